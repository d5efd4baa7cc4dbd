"""The world graph as the reader has met it: entities and relations with debut at or before the cursor.

`full` mode returns every visible entity and every visible relation whose two ends are visible. `focus` mode starts
from who is on the visible page(s), adds one hop over membership, home and familiar relations, and then
returns every visible relation among those nodes; with nobody on the page it falls back to `full`, as the
original did. A relation can debut after both of its ends (a secret revealed later), so relations are filtered
on their own debut as well as their ends'.

Rows are cut by `boundary.py`; their text by `spoilers.NameIndex.gate`: a summary is the latest version "as of" a
page at or before the cursor, and every sentence of it (and of a card's wiki summary and section headings) that
names something the reader has not met is withheld.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.companion.boundary import Cursor, visible_in_series
from scriptorium.companion.episodes import character_keys, entity_keys
from scriptorium.companion.media import signed_url
from scriptorium.companion.models import Entity, Episode, Page, Relation, WikiArticle, WikiSection
from scriptorium.companion.schemas import EntityDetailPublic, GraphEdge, GraphMode, GraphNode, WorldGraphPublic
from scriptorium.companion.spoilers import NameIndex, name_index
from scriptorium.core.errors import NotFound
from scriptorium.core.settings import Settings

EXPANSION_LABELS = frozenset({"member_of", "lives_in", "familiar_of"})
KIND_ORDER = ("character", "creature", "faction", "coven", "place", "object", "concept")
WIKI_SUMMARY_CHARS = 900


async def visible_entities(db: AsyncSession, cursor: Cursor) -> list[Entity]:
    query = select(Entity).where(visible_in_series(Entity.series_id, Entity.debut_index, cursor))
    return list((await db.scalars(query.order_by(Entity.kind, Entity.slug))).all())


async def visible_relations(db: AsyncSession, cursor: Cursor, entity_ids: set[str]) -> list[Relation]:
    query = select(Relation).where(visible_in_series(Relation.series_id, Relation.debut_index, cursor))
    rows = (await db.scalars(query.order_by(Relation.label, Relation.id))).all()
    return [r for r in rows if r.source_id in entity_ids and r.target_id in entity_ids]


async def _positions(db: AsyncSession, series_id: str, indexes: Iterable[int]) -> dict[int, tuple[int, int]]:
    """Global index -> (episode number, page number), for the original's `episode_debut`/`page_debut`."""
    wanted = sorted(set(indexes))
    if not wanted:
        return {}
    rows = await db.execute(
        select(Page.global_index, Episode.number, Page.number)
        .join(Episode, Episode.id == Page.episode_id)
        .where(Page.series_id == series_id, Page.global_index.in_(wanted))
    )
    return {index: (episode, page) for index, episode, page in rows}


def spiral_layout(entities: Sequence[Entity]) -> dict[str, tuple[float, float]]:
    """Curated x/y when every node has one; otherwise a deterministic golden-angle spiral grouped by kind."""
    if entities and all(e.x is not None and e.y is not None for e in entities):
        return {e.id: (float(e.x or 0.0), float(e.y or 0.0)) for e in entities}
    rank = {kind: i for i, kind in enumerate(KIND_ORDER)}
    ordered = sorted(entities, key=lambda e: (rank.get(e.kind, len(KIND_ORDER)), e.debut_index, e.slug))
    golden = math.pi * (3 - math.sqrt(5))
    return {
        e.id: (round(110 * math.sqrt(i) * math.cos(i * golden), 1), round(110 * math.sqrt(i) * math.sin(i * golden), 1))
        for i, e in enumerate(ordered)
    }


def summary_as_of(entity: Entity, index: int) -> str:
    """The entity's summary as of page `index`: the latest version that starts at or before it."""
    text = entity.summary
    for version in entity.summary_versions or []:
        if isinstance(version, dict) and isinstance(version.get("from"), int) and version["from"] <= index:
            text = str(version.get("text") or "")
    return text


def _node(
    settings: Settings, entity: Entity, xy: tuple[float, float], where: tuple[int, int], summary: str
) -> GraphNode:
    return GraphNode(
        id=entity.id,
        slug=entity.slug,
        name=entity.name,
        kind=entity.kind,
        summary=summary,
        image_url=signed_url(settings, entity.image_key),
        x=xy[0],
        y=xy[1],
        episode_debut=where[0],
        page_debut=where[1],
        debut_index=entity.debut_index,
    )


def _edge(relation: Relation, where: tuple[int, int], summary: str) -> GraphEdge:
    return GraphEdge(
        id=relation.id,
        source=relation.source_id,
        target=relation.target_id,
        kind=relation.label,
        summary=summary,
        episode_debut=where[0],
        page_debut=where[1],
        debut_index=relation.debut_index,
    )


async def _focus(
    db: AsyncSession,
    cursor: Cursor,
    entities: list[Entity],
    relations: list[Relation],
    first_visible: int,
    last_visible: int,
) -> tuple[list[Entity], list[Relation]] | None:
    pages = await db.scalars(
        select(Page).where(
            visible_in_series(Page.series_id, Page.global_index, cursor),
            Page.global_index >= first_visible,
            Page.global_index <= last_visible,
        )
    )
    keys = {key.lower() for page in pages for key in character_keys(page)}
    seeds = {e.id for e in entities if set(entity_keys(e)) & keys}
    if not seeds:
        return None
    chosen = set(seeds)
    for relation in relations:
        if relation.label in EXPANSION_LABELS and {relation.source_id, relation.target_id} & seeds:
            chosen |= {relation.source_id, relation.target_id}
    kept = [e for e in entities if e.id in chosen]
    return kept, [r for r in relations if r.source_id in chosen and r.target_id in chosen]


async def world_graph(
    db: AsyncSession,
    settings: Settings,
    cursor: Cursor,
    *,
    mode: GraphMode,
    first_visible: int | None = None,
    last_visible: int | None = None,
) -> WorldGraphPublic:
    """The graph at `cursor`; focus mode centres on the pages on screen, `first_visible` to `last_visible`
    (default: the cursor), which may be behind the cursor when the reader went back."""
    entities = await visible_entities(db, cursor)
    relations = await visible_relations(db, cursor, {e.id for e in entities})
    if mode == "focus":
        last = min(cursor.index if last_visible is None else last_visible, cursor.index)
        first = min(last if first_visible is None else first_visible, last)
        focused = await _focus(db, cursor, entities, relations, first, last)
        if focused is not None:
            entities, relations = focused
    where = await _positions(
        db, cursor.series_id, [e.debut_index for e in entities] + [r.debut_index for r in relations]
    )
    layout = spiral_layout(entities)
    names = await name_index(db, cursor.series_id)
    at = cursor.index
    return WorldGraphPublic(
        nodes=[
            _node(settings, e, layout[e.id], where.get(e.debut_index, (0, 0)), entity_summary(names, e, at))
            for e in entities
        ],
        edges=[_edge(r, where.get(r.debut_index, (0, 0)), names.gate(r.summary, at)) for r in relations],
        mode=mode,
        cursor_index=cursor.index,
    )


async def entity_detail(db: AsyncSession, settings: Settings, cursor: Cursor, slug: str) -> EntityDetailPublic:
    """One visible entity, its visible relations and neighbours, and a wiki summary cut at the cursor."""
    entities = await visible_entities(db, cursor)
    by_id = {e.id: e for e in entities}
    entity = next((e for e in entities if e.slug == slug), None)
    if entity is None:
        raise NotFound(f"no entity {slug!r} at your reading position")
    relations = [r for r in await visible_relations(db, cursor, set(by_id)) if entity.id in (r.source_id, r.target_id)]
    neighbour_ids = {r.source_id for r in relations} | {r.target_id for r in relations}
    neighbours = [by_id[i] for i in sorted(neighbour_ids - {entity.id})]
    sections = await visible_sections(db, cursor, entity.slug)
    where = await _positions(
        db,
        cursor.series_id,
        [entity.debut_index, *[n.debut_index for n in neighbours], *[r.debut_index for r in relations]],
    )
    layout = spiral_layout([entity, *neighbours])
    names = await name_index(db, cursor.series_id)
    at = cursor.index
    texts = [names.gate(s.text.strip(), at) for s in sections]
    return EntityDetailPublic(
        node=_node(
            settings,
            entity,
            layout[entity.id],
            where.get(entity.debut_index, (0, 0)),
            entity_summary(names, entity, at),
        ),
        wiki_summary=_clip(" ".join(t for t in texts if t)),
        wiki_sections=[s.heading for s in sections if s.heading and not names.late_names(s.heading, at)],
        relations=[_edge(r, where.get(r.debut_index, (0, 0)), names.gate(r.summary, at)) for r in relations],
        neighbours=[
            _node(settings, n, layout[n.id], where.get(n.debut_index, (0, 0)), entity_summary(names, n, at))
            for n in neighbours
        ],
    )


def entity_summary(names: NameIndex, entity: Entity, index: int) -> str:
    """What a card says at page `index`: the summary as of that page, without sentences naming anything later."""
    return names.gate(summary_as_of(entity, index), index)


async def visible_sections(db: AsyncSession, cursor: Cursor, entity_slug: str) -> list[WikiSection]:
    query = (
        select(WikiSection)
        .join(WikiArticle, WikiArticle.id == WikiSection.article_id)
        .where(
            WikiArticle.entity_slug == entity_slug,
            visible_in_series(WikiArticle.series_id, WikiSection.debut_index, cursor),
        )
        .order_by(WikiSection.position)
    )
    return list((await db.scalars(query)).all())


def _clip(text: str) -> str:
    if len(text) <= WIKI_SUMMARY_CHARS:
        return text
    cut = text[:WIKI_SUMMARY_CHARS]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    return cut[: end + 1] if end > WIKI_SUMMARY_CHARS // 2 else cut.rstrip() + "…"
