"""Who is on a page, computed when a question is asked from what ingest already stored.

A page's stored character list is only as good as its source: the bundled format lists the cast per page, but the
official Pepper&Carrot lettering has no speaker names, so on the real episodes most pages list no one and "Who is
on this page?" named nobody. Three signals are joined instead, each about this page alone:

- the page's own character list (`Page.characters`);
- the world graph's debuts: a character or creature whose debut is this page is on it;
- names in the page's text: a character or creature named in the lettering ("Hey look, it's Pepper").

Places are linked the same way (debut or name on the page) and said as "This takes place in Komona."

When none of them names anyone, the answer says so and offers the best honest context rather than nothing: the
cast linked to this episode's earlier pages, or else the characters the series is named after. Only entities
visible at the cursor are considered, so this can never name someone the reader has not met.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from scriptorium.companion.boundary import Cursor
from scriptorium.companion.catalog import Catalog, CatalogEntity, CatalogPage, derived
from scriptorium.companion.episodes import character_keys

CAST_KINDS = frozenset({"character", "creature"})
PLACE_KINDS = frozenset({"place"})
TITLES = frozenset({"the", "keeper", "miss", "sir", "lady", "lord", "master", "mister", "old", "young", "mr", "mrs"})


@dataclass(frozen=True, slots=True)
class Cast:
    """Names linked to the page (`on_page`), or, when there are none, the context offered instead."""

    on_page: tuple[str, ...]
    context: tuple[str, ...] = ()
    context_from: Literal["", "episode", "series"] = ""
    places: tuple[str, ...] = ()

    def sentence(self) -> str:
        """One or two sentences for the page's passage; empty when there is nothing to say.

        offline.CAST_SENTENCE recognises these openings, so keep the two in step.
        """
        where = f" This takes place in {_join(self.places)}." if self.places else ""
        if self.on_page:
            return f"On this page {'is' if len(self.on_page) == 1 else 'are'} {_join(self.on_page)}.{where}"
        if self.context_from == "episode":
            return f"No one is named on this page; so far this episode has shown {_join(self.context)}.{where}"
        if self.context_from == "series":
            return f"No one is named on this page; the series follows {_join(self.context)}.{where}"
        return where.strip()


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def name_variants(entity: CatalogEntity) -> list[str]:
    """Ways a text may name it: full name, proper-noun aliases, and for a character or creature the given name of a
    longer name, after any title ("Wren" for Wren Alder, "Osric" for Keeper Osric Vell). Names that start with
    "The" are epithets ("The Fog Thief"), and a place's first word is often a common noun ("Gull Rock"), so
    neither gets a short form."""
    words = entity.name.split()
    given = ""
    if entity.kind in CAST_KINDS and len(words) > 1 and words[0].lower() != "the":
        rest = [w for w in words if w.lower() not in TITLES]
        given = rest[0] if len(rest) > 1 or (rest and rest[0] != words[0]) else ""
    proper = [a for a in entity.aliases if a[:1].isupper()]
    usable = given if len(given) >= 3 else ""
    return [v for v in dict.fromkeys((entity.name, *proper, usable)) if len(v) >= 2]


def names(text: str, entity: CatalogEntity) -> bool:
    """Whether `text` names the entity: case-sensitive whole words, so "carrots" or "pepper" (the spice) do not."""
    return any(re.search(rf"(?<![\w-]){re.escape(v)}(?![\w-])", text) for v in name_variants(entity))


class Linker:
    """Who and where each page of one catalog links to, found with one regex over every name and remembered.

    A page's links do not depend on the reader's position: only an entity that debuts at or before a page can be on
    it, and such an entity is visible to anyone who has reached the page. So each page is scanned once per catalog
    (content version), not once per question; a question near the end of a long episode otherwise re-read every
    earlier page of it.
    """

    def __init__(self, catalog: Catalog) -> None:
        self.by_key = {key: e for e in catalog.entities for key in e.lookup_keys()}
        self.by_variant: dict[str, CatalogEntity] = {}
        for entity in sorted(catalog.entities, key=lambda e: (e.debut_index, e.slug)):
            if entity.kind in CAST_KINDS | PLACE_KINDS:
                for variant in name_variants(entity):
                    self.by_variant.setdefault(variant, entity)
        longest_first = sorted(self.by_variant, key=len, reverse=True)
        alternation = "|".join(re.escape(v) for v in longest_first)
        self.pattern = re.compile(rf"(?<![\w-])(?:{alternation})(?![\w-])") if alternation else None
        self.debuting: dict[int, list[CatalogEntity]] = {}
        for entity in catalog.entities:
            self.debuting.setdefault(entity.debut_index, []).append(entity)
        self.memo: dict[str, tuple[CatalogEntity, ...]] = {}

    def links(self, page: CatalogPage) -> tuple[CatalogEntity, ...]:
        """Entities on the page: its list, then its debuts, then names in its text; none debuting after it."""
        hit = self.memo.get(page.id)
        if hit is None:
            listed = [self.by_key[k.lower()] for k in character_keys(page) if k.lower() in self.by_key]
            text = "\n".join((page.description, page.text))
            named = [self.by_variant[m.group(0)] for m in self.pattern.finditer(text)] if self.pattern else []
            found = (*listed, *self.debuting.get(page.global_index, ()), *named)
            hit = tuple(dict.fromkeys(e for e in found if e.debut_index <= page.global_index))
            self.memo[page.id] = hit
        return hit


def linked(page: CatalogPage, catalog: Catalog, kinds: frozenset[str] = CAST_KINDS) -> list[str]:
    """Names of `kinds` linked to this page (see `Linker`), in order, each once."""
    linker = derived(catalog, "cast.linker", Linker)
    return [e.name for e in linker.links(page) if e.kind in kinds]


def page_cast(
    page: CatalogPage, catalog: Catalog, cursor: Cursor, earlier: Sequence[CatalogPage], series_title: str
) -> Cast:
    """The page's cast, or the episode's so far, or the series' title characters (see the module docstring)."""
    on_page = linked(page, catalog)
    places = tuple(linked(page, catalog, PLACE_KINDS))
    if on_page:
        return Cast(tuple(on_page), places=places)
    so_far = list(dict.fromkeys(n for p in earlier if p.global_index < page.global_index for n in linked(p, catalog)))
    if so_far:
        return Cast((), tuple(so_far), "episode", places)
    visible = catalog.visible(cursor)
    titled = [e.name for e in visible if e.kind in CAST_KINDS and names(series_title, e)]
    if titled:
        return Cast((), tuple(titled), "series", places)
    return Cast((), places=places)
