"""A per-process snapshot of a series' slowly changing tables: entities, wiki coverage, episode numbers, pages.

Chips, the leak guard and every page-mode prompt need these on every question. Reading them once per content
version (the number every ingest bumps, which arrives with the session row anyway) saves four queries per
question. That matters on a Pi, where each SQLite round trip costs milliseconds under load (four thread hops
through aiosqlite), and against a hosted PostgreSQL, where each costs a network round trip. Only ingest writes
these tables, so a snapshot cannot go stale between bumps. Cutting at the cursor happens in memory with
`boundary.is_visible`, the same rule the SQL applies, and a re-ingest is picked up on the next question. The
page texts of a 300-page series are well under a megabyte. The series' name index (the text gate's, see
`spoilers.py`) is loaded with it, so a question costs no extra query for it.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.companion.boundary import Cursor, is_visible
from scriptorium.companion.models import Entity, Episode, Page, Series, WikiArticle, WikiSection
from scriptorium.companion.spoilers import HiddenNames, NameIndex, load_name_index


@dataclass(frozen=True, slots=True)
class CatalogEntity:
    slug: str
    name: str
    kind: str
    debut_index: int
    aliases: tuple[str, ...]
    summary: str = ""
    """The entity's card text as stored (answers gate it at the reader's position before use)."""
    versions: tuple[tuple[int, str], ...] = ()
    """Later card texts as (first page index, text), oldest first (`summary_as_of` in our folder format)."""

    def summary_at(self, index: int) -> str:
        """The card as of page `index`: the latest version starting at or before it (still to be gated)."""
        text = self.summary
        for start, version in self.versions:
            if start <= index:
                text = version
        return text

    def lookup_keys(self) -> set[str]:
        """Lower-cased ways a page may list it (slug, name, aliases)."""
        return {k.lower() for k in (self.slug, self.name, *self.aliases)}


@dataclass(frozen=True, slots=True)
class CatalogPage:
    """What a chat turn reads of a page: its place, its words and who is on it."""

    id: str
    episode_id: str
    number: int
    global_index: int
    text: str
    description: str
    recap: str
    characters: tuple[object, ...]


@dataclass(frozen=True)
class Catalog:
    version: int
    entities: tuple[CatalogEntity, ...]
    wiki_debut: dict[str, int]
    """Entity slug -> debut of the earliest wiki section about it."""
    episode_numbers: dict[str, int]
    pages_by_episode: dict[str, tuple[CatalogPage, ...]] = field(default_factory=dict)
    """Episode id -> its pages in reading order."""
    names: NameIndex = field(default_factory=lambda: NameIndex(()))
    """The text gate's name index for this content version."""

    def episode_pages(self, episode_id: str, cursor: Cursor) -> list[CatalogPage]:
        """This episode's pages at or before the cursor, in order."""
        return [p for p in self.pages_by_episode.get(episode_id, ()) if is_visible(p.global_index, cursor)]

    def visible(self, cursor: Cursor) -> list[CatalogEntity]:
        return [e for e in self.entities if is_visible(e.debut_index, cursor)]

    def has_wiki(self, slug: str, cursor: Cursor) -> bool:
        debut = self.wiki_debut.get(slug)
        return debut is not None and is_visible(debut, cursor)

    def hidden_names(self, cursor: Cursor, *, unless_in: str) -> frozenset[str]:
        """Every name the reader may not see yet: entity names and aliases past the cursor, and every entry of the
        name index that debuts later or has no known debut (for the answer guards; never sent anywhere).

        A name the turn's own (gated) context contains is left out: the reader is looking at it.
        """
        entities = {
            candidate
            for e in self.entities
            if not is_visible(e.debut_index, cursor)
            for candidate in (e.name, *e.aliases)
            if len(candidate) >= 2
        }
        hidden = self.names.hidden_at(cursor.index)
        # Every entity name is in the index when the series was ingested with one; older ingests have none.
        covered = all(self.names.is_late(name, cursor.index) for name in entities)
        names = hidden if covered else HiddenNames(hidden | entities, exact=hidden.exact)
        context = set(self.names.names_in(unless_in))
        # Whole words only: "Willow" on the page does not unhide Will.
        return names.keep(lambda n: n not in context and not (len(n) > 3 and _has_word(unless_in, n)))


def _has_word(text: str, name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) is not None


def _versions(stored: object) -> tuple[tuple[int, str], ...]:
    items = stored if isinstance(stored, list) else []
    return tuple(
        (int(v["from"]), str(v.get("text") or ""))
        for v in items
        if isinstance(v, dict) and isinstance(v.get("from"), int)
    )


async def load_catalog(db: AsyncSession, series_id: str, version: int) -> Catalog:
    rows = await db.execute(
        select(
            Entity.slug,
            Entity.name,
            Entity.kind,
            Entity.debut_index,
            Entity.aliases,
            Entity.summary,
            Entity.summary_versions,
        ).where(Entity.series_id == series_id)
    )
    entities = [
        CatalogEntity(
            slug,
            name,
            kind,
            debut,
            tuple(a for a in aliases or [] if isinstance(a, str) and a.strip()),
            summary or "",
            _versions(versions),
        )
        for slug, name, kind, debut, aliases, summary, versions in rows
    ]
    wiki = await db.execute(
        select(WikiArticle.entity_slug, func.min(WikiSection.debut_index))
        .join(WikiSection, WikiSection.article_id == WikiArticle.id)
        .where(WikiArticle.series_id == series_id, WikiArticle.entity_slug.is_not(None))
        .group_by(WikiArticle.entity_slug)
    )
    numbers = await db.execute(select(Episode.slug, Episode.number).where(Episode.series_id == series_id))
    pages: dict[str, list[CatalogPage]] = {}
    rows = await db.execute(
        select(
            Page.id,
            Page.episode_id,
            Page.number,
            Page.global_index,
            Page.text,
            Page.description,
            Page.recap,
            Page.characters,
        )
        .where(Page.series_id == series_id)
        .order_by(Page.global_index)
    )
    for page_id, episode_id, number, index, text, description, recap, characters in rows:
        page = CatalogPage(page_id, episode_id, number, index, text, description, recap, tuple(characters or ()))
        pages.setdefault(episode_id, []).append(page)
    return Catalog(
        version=version,
        names=await load_name_index(db, series_id, version=(version,)),
        entities=tuple(entities),
        wiki_debut={slug: int(debut) for slug, debut in wiki if slug},
        episode_numbers={slug: number for slug, number in numbers},
        pages_by_episode={episode: tuple(listed) for episode, listed in pages.items()},
    )


class CatalogCache:
    """One catalog per series, replaced when the series' content version moves."""

    def __init__(self) -> None:
        self._by_series: dict[str, Catalog] = {}

    async def get(self, db: AsyncSession, series: Series) -> Catalog:
        hit = self._by_series.get(series.id)
        if hit is None or hit.version != series.content_version:
            hit = await load_catalog(db, series.id, series.content_version)
            self._by_series[series.id] = hit
        return hit


# --- values derived from one catalog ------------------------------------------------------------------------
# A `Catalog` is replaced whenever a series' content version moves (`CatalogCache`), so anything computed from it
# alone (a regex over every entity name, the tokens of every card) stays valid exactly as long as the catalog
# object does. Keyed by the object's identity and checked with `is`, so a new catalog never reads a stale value;
# the few most recent catalogs are kept (one per series being read).
T = TypeVar("T")
DERIVED_KEEP = 16

_MEMO: OrderedDict[tuple[int, str], tuple[Catalog, Any]] = OrderedDict()


def derived(catalog: Catalog, name: str, build: Callable[[Catalog], T]) -> T:
    """`build(catalog)`, computed once per catalog object and `name`."""
    key = (id(catalog), name)
    hit = _MEMO.get(key)
    if hit is not None and hit[0] is catalog:
        _MEMO.move_to_end(key)
        value: T = hit[1]
        return value
    value = build(catalog)
    _MEMO[key] = (catalog, value)
    while len(_MEMO) > DERIVED_KEEP:
        _MEMO.popitem(last=False)
    return value
