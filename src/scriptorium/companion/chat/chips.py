"""Suggestion chips: at most one page question and one wiki question, each answerable within the boundary.

Chips are built from data, not asked of a model, and offered only when they would get an answer (`answerable`):
the page chip names someone who is on the visible page and is named in its text (so the page itself answers it),
the wiki chip names an entity the reader has met that has an unlocked wiki section or a card. The caller passes
only cursor-visible material, so a chip can never name someone the reader hasn't reached. Building them needs no
model call, so the `done` frame is never held back waiting for chips (the original's second, non-streaming call
did that).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from scriptorium.companion.catalog import CatalogEntity
from scriptorium.companion.chat.cast import name_variants
from scriptorium.companion.chat.offline import NOT_FOUND_INTRO, select
from scriptorium.companion.chat.turn import Passage, Suggestion, Turn

QUESTION_STEMS = (
    "what", "who", "why", "how", "where", "when", "which", "whose", "is", "are", "does", "do", "did", "can",
    "could", "would", "will", "should", "tell me", "show me", "explain", "describe",
)  # fmt: skip
DANGLING = frozenset({"and", "or", "but", "with", "to", "of", "for", "the", "a", "an"})
MAX_CHIP_CHARS = 120

WIKI_TEMPLATES = {
    "character": "Who is {name}?",
    "creature": "What kind of creature is {name}?",
    "place": "What is {name} like?",
    "faction": "What is {name}?",
    "object": "What is {name} used for?",
    "concept": "What does {name} mean?",
}


@dataclass(frozen=True, slots=True)
class ChipEntity:
    """An entity at or before the cursor, with what we know about it at this position."""

    name: str
    kind: str
    debut_index: int
    on_page: bool = False
    mentioned: bool = False
    has_wiki: bool = False
    aliases: tuple[str, ...] = ()

    def variants(self) -> list[str]:
        """Ways a page may refer to it: full name, proper aliases, then a character's given name ("Wren", "Osric"
        for Keeper Osric Vell), as `cast.name_variants` reads names everywhere else."""
        # Lower-case aliases are usually slugs; a chip should say the name as the comic writes it.
        entity = CatalogEntity(self.name, self.name, self.kind, self.debut_index, self.aliases)
        return [v for v in name_variants(entity) if len(v) >= 3]


def looks_like_question(text: str) -> bool:
    """A complete single question: starts with a question stem, ends with `?`, no dangling last word."""
    words = text.strip().rstrip("?").split()
    lowered = text.strip().lower()
    if not words or len(text) > MAX_CHIP_CHARS or not text.strip().endswith("?") or text.count("?") > 1:
        return False
    if not any(lowered == stem or lowered.startswith(stem + " ") for stem in QUESTION_STEMS):
        return False
    return words[-1].lower().strip(",;:") not in DANGLING


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name.lower())}(?!\w)", text.lower()) is not None


def page_chips(
    question: str, page_numbers: Sequence[int], page_text: str, entities: Iterable[ChipEntity]
) -> list[Suggestion]:
    """Page questions worth offering, best first: about someone on the visible page the reader didn't just ask
    about, then about the page itself."""
    found: list[Suggestion] = []
    for entity in sorted((e for e in entities if e.on_page), key=lambda e: (e.kind != "character", e.name)):
        if any(_mentions(question, v) for v in entity.variants()):
            continue
        named = next((v for v in entity.variants() if _mentions(page_text, v)), None)
        text = f"What is {named} doing on this page?"
        if named and looks_like_question(text):
            found.append(Suggestion("page", text))
    if page_numbers and not re.search(r"\b(happen|going on|this page)", question.lower()):
        found.append(Suggestion("page", f"What happens on page {page_numbers[-1]}?"))
    return found


def wiki_question(entity: ChipEntity) -> str:
    """The template for its kind; a plural name ("Lumen moths", "Argiope Spiders") is asked about as plural."""
    plural = entity.kind in {"creature", "object"} and re.search(r"[^s]s$", entity.name) is not None
    template = "What are {name}?" if plural else WIKI_TEMPLATES.get(entity.kind, "What is {name}?")
    return template.format(name=entity.name)


def wiki_chips(question: str, entities: Iterable[ChipEntity]) -> list[Suggestion]:
    """Wiki questions worth offering, best first: entities the reader has met, who is on the page now first."""
    ranked = sorted(
        (e for e in entities if e.has_wiki and not any(_mentions(question, v) for v in e.variants())),
        key=lambda e: (not e.on_page, not e.mentioned, -e.debut_index, e.name),
    )
    return [Suggestion("wiki", text) for text in map(wiki_question, ranked) if looks_like_question(text)]


def page_chip(
    question: str, page_numbers: Sequence[int], page_text: str, entities: Iterable[ChipEntity]
) -> Suggestion | None:
    return next(iter(page_chips(question, page_numbers, page_text, entities)), None)


def wiki_chip(question: str, entities: Iterable[ChipEntity]) -> Suggestion | None:
    return next(iter(wiki_chips(question, entities)), None)


MAX_PROBES = 4
"""Candidates tried per chip slot before giving up (each try runs the offline selection once)."""


def choose(
    question: str,
    *,
    page_numbers: Sequence[int],
    page_text: str,
    entities: Sequence[ChipEntity],
    keep: Callable[[Suggestion], bool] = lambda _: True,
) -> list[Suggestion]:
    """Page chip first, wiki chip second, as the original's `done` frame ordered them; either may be missing.

    Each is the first candidate that `keep` accepts (the caller passes `answerable`), so a chip that would not be
    answered gives way to the next one instead of leaving the slot empty.
    """
    slots = [page_chips(question, page_numbers, page_text, entities), wiki_chips(question, entities)]
    return [chip for slot in slots for chip in [next((c for c in slot[:MAX_PROBES] if keep(c)), None)] if chip]


def answerable(suggestion: Suggestion, turn: Turn, visible: Sequence[Passage], cards: Sequence[Passage]) -> bool:
    """Whether asking the chip would get an answer: the offline selection finds something to say.

    The chip's question is put to the same cursor with the passages it would certainly have (the visible page in
    page mode, the cards it names, and in wiki mode the turn's unlocked wiki sections). Retrieval for the chip's own
    words could only add passages, so a chip that passes here is answered when clicked; one that fails is dropped
    rather than offered to say "I can't find that".
    """
    wiki = [p for p in turn.passages if p.kind == "wiki" and not p.is_card] if suggestion.mode == "wiki" else []
    base = list(visible) if suggestion.mode == "page" else []
    probe = replace(turn, mode=suggestion.mode, question=suggestion.text, passages=(*base, *wiki, *cards))
    chosen = select(probe)
    # Reading the page out after "I can't find that exactly" is a fallback, not an answer worth suggesting.
    return bool(chosen) and chosen[0].text != NOT_FOUND_INTRO
