"""Who is on a page, computed when a question is asked from what ingest already stored.

A page's stored character list is only as good as its source: the bundled format lists the cast per page, but the
official Pepper&Carrot lettering has no speaker names, so on the real episodes most pages list no one and "Who is
on this page?" named nobody. Three signals are joined instead, each about this page alone:

- the page's own character list (`Page.characters`);
- the world graph's debuts: a character or creature whose debut is this page is on it;
- names in the page's text: a character or creature named in the lettering ("Hey look, it's Pepper").

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
from scriptorium.companion.service import character_keys
from scriptorium.companion.service_catalog import Catalog, CatalogEntity, CatalogPage

CAST_KINDS = frozenset({"character", "creature"})
TITLES = frozenset({"the", "keeper", "miss", "sir", "lady", "lord", "master", "mister", "old", "young", "mr", "mrs"})


@dataclass(frozen=True, slots=True)
class Cast:
    """Names linked to the page (`on_page`), or, when there are none, the context offered instead."""

    on_page: tuple[str, ...]
    context: tuple[str, ...] = ()
    context_from: Literal["", "episode", "series"] = ""

    def sentence(self) -> str:
        """One sentence for the page's passage; empty when there is nothing to say."""
        if self.on_page:
            return f"On this page {'is' if len(self.on_page) == 1 else 'are'} {_join(self.on_page)}."
        if self.context_from == "episode":
            return f"No one is named on this page; so far this episode has shown {_join(self.context)}."
        if self.context_from == "series":
            return f"No one is named on this page; the series follows {_join(self.context)}."
        return ""


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def name_variants(entity: CatalogEntity) -> list[str]:
    """Ways a text may name it: full name, proper-noun aliases, and the first word of a longer name ("Wren")."""
    first = entity.name.split()[0] if " " in entity.name else ""
    proper = [a for a in entity.aliases if a[:1].isupper()]
    usable = first if len(first) >= 3 and first.lower() not in TITLES else ""
    return [v for v in dict.fromkeys((entity.name, *proper, usable)) if len(v) >= 2]


def names(text: str, entity: CatalogEntity) -> bool:
    """Whether `text` names the entity: case-sensitive whole words, so "carrots" or "pepper" (the spice) do not."""
    return any(re.search(rf"(?<![\w-]){re.escape(v)}(?![\w-])", text) for v in name_variants(entity))


def linked(page: CatalogPage, visible: Sequence[CatalogEntity]) -> list[str]:
    """Names linked to this page by its list, its debuts and its text, in that order, each once."""
    by_key = {key: e for e in visible for key in e.lookup_keys()}
    found: list[CatalogEntity] = [by_key[k.lower()] for k in character_keys(page) if k.lower() in by_key]
    cast = [e for e in visible if e.kind in CAST_KINDS]
    found += [e for e in cast if e.debut_index == page.global_index]
    text = "\n".join((page.description, page.text))
    found += [e for e in cast if names(text, e)]
    return list(dict.fromkeys(e.name for e in found))


def page_cast(
    page: CatalogPage, catalog: Catalog, cursor: Cursor, earlier: Sequence[CatalogPage], series_title: str
) -> Cast:
    """The page's cast, or the episode's so far, or the series' title characters (see the module docstring)."""
    visible = catalog.visible(cursor)
    on_page = linked(page, visible)
    if on_page:
        return Cast(tuple(on_page))
    so_far = list(dict.fromkeys(n for p in earlier if p.global_index < page.global_index for n in linked(p, visible)))
    if so_far:
        return Cast((), tuple(so_far), "episode")
    titled = [e.name for e in visible if e.kind in CAST_KINDS and names(series_title, e)]
    if titled:
        return Cast((), tuple(titled), "series")
    return Cast(())
