"""Where a request reads from: the cursor and the visible pages, from a session or from an episode and page.

The world graph and retrieval accept either a session (the furthest page the server has seen the reader reach)
or the original's `episode_slug` + `page` (+ `right_page`) parameters, so clients written for it still work.
Session ids arrive normalized (`api.common.normalize_id`).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.companion.boundary import Cursor
from scriptorium.companion.episodes import episode_by_slug
from scriptorium.companion.sessions import load_view
from scriptorium.core.errors import ValidationFailed


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
        view = await load_view(db, session_id)
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
