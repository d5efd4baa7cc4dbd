"""Entity cards as passages: what the world graph says about someone, as of the reader's position.

"Who is Carrot?" deserves Carrot's card even when no page or wiki section happens to describe him, in either mode.
A card goes into a turn when the question names its entity (name, proper alias, or the first word of a longer
name); in wiki mode the cards that share the most words with the question join too, because the cards are part of
what the wiki knows. Card summaries are often written with later knowledge ("raised by her godmothers" on a
character met on page 1), so every card passes through the text gate at the cursor before it becomes a passage:
sentences naming something that debuts later are withheld, the rest of the card stays.

The gate is `spoilers.NameIndex.gate(text, index)` when the series has a name index; until then (and for series
ingested before it existed) `catalog_gate` withholds sentences naming any catalog entity that debuts later.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from scriptorium.companion.boundary import Cursor
from scriptorium.companion.catalog import Catalog, CatalogEntity, derived
from scriptorium.companion.chat.cast import name_variants
from scriptorium.companion.chat.offline import sentences, terms
from scriptorium.companion.chat.turn import CARD_PREFIX, Mode, Passage

Gate = Callable[[str, int], str]
"""(text, reader's global index) -> the text with every sentence naming something later withheld."""

WIKI_EXTRA_CARDS = 2


def catalog_gate(catalog: Catalog) -> Gate:
    """A sentence-level gate over the catalog's own entities (word boundaries, names and proper aliases)."""

    def gate(text: str, index: int) -> str:
        later = [e for e in catalog.entities if e.debut_index > index]
        kept = [s for s in _split(text) if not any(_names_ci(s, e) for e in later)]
        return " ".join(kept)

    return gate


def _split(text: str) -> list[str]:
    return [s for line in text.splitlines() for s in sentences(line)]


def _names_ci(text: str, entity: CatalogEntity) -> bool:
    return any(re.search(rf"(?<![\w-]){re.escape(v)}(?![\w-])", text, re.IGNORECASE) for v in name_variants(entity))


def card_passage(entity: CatalogEntity, cursor: Cursor, gate: Gate) -> Passage | None:
    card = entity.summary_at(cursor.index).strip()
    text = gate(card, cursor.index).strip() if card else ""
    if not text:
        return None
    return Passage(
        doc_id=f"{CARD_PREFIX}{entity.slug}",
        kind="wiki",
        role="wiki",
        text=text,
        global_index=entity.debut_index,
        title=entity.name,
        names=tuple(name_variants(entity)),
    )


class CardIndex:
    """One catalog's card lookups, built once per catalog (`catalog.derived`): a single case-insensitive regex over
    every entity's name variants, and the terms of each card text seen (cards are re-read on every question)."""

    def __init__(self, catalog: Catalog) -> None:
        self.by_variant: dict[str, list[CatalogEntity]] = {}
        for entity in catalog.entities:
            for variant in name_variants(entity):
                self.by_variant.setdefault(variant.lower(), []).append(entity)
        alternation = "|".join(re.escape(v) for v in sorted(self.by_variant, key=len, reverse=True))
        self.pattern = re.compile(rf"(?<![\w-])(?:{alternation})(?![\w-])", re.IGNORECASE) if alternation else None
        self._terms: dict[str, frozenset[str]] = {}

    def named(self, question: str) -> set[CatalogEntity]:
        """Entities whose name variant appears in `question` (the longest variant wins where two overlap)."""
        if self.pattern is None:
            return set()
        return {e for match in self.pattern.finditer(question) for e in self.by_variant[match.group(0).lower()]}

    def terms(self, text: str) -> frozenset[str]:
        hit = self._terms.get(text)
        if hit is None:
            hit = self._terms[text] = frozenset(terms(text))
        return hit


def card_passages(catalog: Catalog, cursor: Cursor, question: str, mode: Mode, gate: Gate) -> list[Passage]:
    """Cards for the entities the question names; in wiki mode also the best word matches (see module docstring)."""
    index = derived(catalog, "cards.index", CardIndex)
    visible = [e for e in catalog.visible(cursor) if e.summary_at(cursor.index).strip()]
    named = index.named(question)
    chosen = sorted((e for e in visible if e in named), key=lambda e: -len(e.name))
    if mode == "wiki":
        asked = set(terms(question))
        overlap = sorted(
            (
                # Overlap with the card as the reader will see it (gated): a card that matched only through a
                # withheld sentence would hint at what that sentence says.
                (
                    len(asked & index.terms(f"{e.name} {gate(e.summary_at(cursor.index), cursor.index)}")),
                    e.debut_index,
                    e,
                )
                for e in visible
                if e not in chosen
            ),
            key=lambda item: (-item[0], item[1]),
        )
        chosen += [e for n, _, e in overlap[:WIKI_EXTRA_CARDS] if n > 0]
    cards = (card_passage(e, cursor, gate) for e in chosen)
    return [card for card in cards if card is not None]
