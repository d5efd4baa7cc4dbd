"""`GET /api/world-graph` and `GET /api/world-graph/entities/{slug}`, cut at the reader's position.

The cursor comes from the session when `session_id` is given (the furthest page the server has seen the reader
reach). The original's `episode_slug` + `page` (+ `right_page`) parameters still work for clients written for it:
the page is clamped into the episode, the rightmost visible page is the cursor, and node kinds use the original's
names (`coven`, not our `faction`), as there.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from scriptorium.companion.api.common import SESSION_QUERY_PATTERN, normalize_id
from scriptorium.companion.positions import resolve_cursor, resolve_position
from scriptorium.companion.schemas import SLUG_PATTERN, EntityDetailPublic, GraphMode, WorldGraphPublic
from scriptorium.companion.world import entity_detail, world_graph
from scriptorium.core.deps import SessionDep, SettingsDep

router = APIRouter()

SessionQuery = Annotated[str | None, Query(pattern=SESSION_QUERY_PATTERN)]
SlugQuery = Annotated[str | None, Query(pattern=SLUG_PATTERN)]
PageQuery = Annotated[int | None, Query(ge=1)]


# The original's entity kinds, for clients written for it (they drop kinds they do not know). Ingest folds
# `coven` (and `school`, `group`) into our `faction`; our own UI, which passes a session, keeps our names.
ORIGINAL_KINDS = {"faction": "coven", "concept": "object"}


def original_kinds(graph: WorldGraphPublic) -> WorldGraphPublic:
    """The graph with node kinds renamed to the original's vocabulary."""
    nodes = [n.model_copy(update={"kind": ORIGINAL_KINDS.get(n.kind, n.kind)}) for n in graph.nodes]
    return graph.model_copy(update={"nodes": nodes})


@dataclass(frozen=True)
class Position:
    """The cursor parameters both routes accept: a session, or the original's episode and page(s)."""

    session_id: SessionQuery = None
    episode_slug: SlugQuery = None
    page: PageQuery = None
    right_page: PageQuery = None


async def position(
    session_id: SessionQuery = None,
    episode_slug: SlugQuery = None,
    page: PageQuery = None,
    right_page: PageQuery = None,
) -> Position:
    """An async dependency, not `Depends(Position)`: FastAPI would build a class in its thread pool."""
    return Position(normalize_id(session_id) if session_id else None, episode_slug, page, right_page)


PositionQuery = Annotated[Position, Depends(position)]


@router.get("/api/world-graph", summary="Entities and relations the reader has met (full or focus mode)")
async def get_world_graph(
    db: SessionDep, settings: SettingsDep, at: PositionQuery, spread: bool = False, mode: GraphMode = "full"
) -> WorldGraphPublic:
    cursor, first, last = await resolve_position(db, **asdict(at), spread=spread)
    graph = await world_graph(db, settings, cursor, mode=mode, first_visible=first, last_visible=last)
    # The original's call names no session: answer it in the original's kinds.
    return graph if at.session_id else original_kinds(graph)


@router.get("/api/world-graph/entities/{slug}", summary="One entity with its wiki summary up to the position")
async def get_entity(
    slug: Annotated[str, Path(pattern=SLUG_PATTERN)], db: SessionDep, settings: SettingsDep, at: PositionQuery
) -> EntityDetailPublic:
    cursor, _ = await resolve_cursor(db, **asdict(at))
    return await entity_detail(db, settings, cursor, slug)
