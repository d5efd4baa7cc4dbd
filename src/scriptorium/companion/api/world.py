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
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.companion.api.common import SESSION_QUERY_PATTERN, normalize_id
from scriptorium.companion.boundary import Cursor
from scriptorium.companion.schemas import SLUG_PATTERN, EntityDetailPublic, GraphMode, WorldGraphPublic
from scriptorium.companion.sessions import episode_by_slug, load_view
from scriptorium.companion.world import entity_detail, world_graph
from scriptorium.core.deps import SessionDep, SettingsDep
from scriptorium.core.errors import ValidationFailed

router = APIRouter()

SessionQuery = Annotated[str | None, Query(pattern=SESSION_QUERY_PATTERN)]
SlugQuery = Annotated[str | None, Query(pattern=SLUG_PATTERN)]
PageQuery = Annotated[int | None, Query(ge=1)]


async def resolve_position(
    db: AsyncSession,
    *,
    session_id: str | None,
    episode_slug: str | None,
    page: int | None,
    right_page: int | None,
    spread: bool = False,
) -> tuple[Cursor, int, int]:
    """(cursor, first and last visible page index) from the session, or from the original's parameters.

    With a session the cursor is the furthest page reached, and the visible pages are the current page and,
    with `spread`, the one after it (the original's spread: the client sends the left page), which counts as
    reached. Without one, the rightmost visible page (`right_page`, else `page`) is the cursor, as there.
    """
    if session_id:
        view = await load_view(db, normalize_id(session_id))
        first = view.page_index
        last = first + view.spread_right(spread) - view.session.current_page
        return Cursor(view.series.id, max(view.cursor.index, last)), first, last
    if not episode_slug or page is None:
        raise ValidationFailed("give session_id, or episode_slug and page", field="session_id")
    episode, series = await episode_by_slug(db, episode_slug)
    count = max(episode.page_count, 1)
    left = min(page, count)
    right = min(max(right_page or left, left), count)
    cursor = Cursor(series.id, episode.start_index + right - 1)
    return cursor, episode.start_index + left - 1, cursor.index


async def resolve_cursor(
    db: AsyncSession,
    *,
    session_id: str | None,
    episode_slug: str | None,
    page: int | None,
    right_page: int | None,
    spread: bool = False,
) -> tuple[Cursor, int]:
    """(cursor, index of the leftmost visible page): `resolve_position` without the last visible page."""
    cursor, first, _ = await resolve_position(
        db, session_id=session_id, episode_slug=episode_slug, page=page, right_page=right_page, spread=spread
    )
    return cursor, first


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
    return Position(session_id, episode_slug, page, right_page)


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
