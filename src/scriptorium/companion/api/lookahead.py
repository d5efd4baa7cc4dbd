"""`GET /api/sessions/{id}/ahead`: the signed link of the page(s) the next forward turn will show, to preload.

A forward turn to a page never reached used to wait for the PATCH that moves the reader (the page's link did not
exist before it) and then for the image download: two round trips between the key press and the paint. With this
link the reader downloads and decodes the next image while it is still reading the current page, and the turn
paints at once while the PATCH records it in the background.

Bounds: at most the two pages right after the furthest page reached (a spread turn shows two), never further, and
asking moves nothing. The companion's knowledge (the cursor) still ends at the furthest page and grows only when a
PATCH or a question says the page is on screen; an image in the browser's cache is not a page the reader has read.
The links are the same signed links the PATCH returns in the same half-window (`media.expiry`), so the image
preloaded is the image painted.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from scriptorium.companion.api.common import SessionId, normalize_id
from scriptorium.companion.episodes import pages_after
from scriptorium.companion.media import signed_url
from scriptorium.companion.sessions import load_view
from scriptorium.core.deps import SessionDep, SettingsDep
from scriptorium.core.openapi import errors

router = APIRouter()

MAX_AHEAD = 2


class AheadPage(BaseModel):
    page_number: int
    image_url: str
    width: int
    height: int


class Ahead(BaseModel):
    """The pages after `furthest_page` the next turn may show; empty at the episode's end."""

    furthest_page: int
    pages: list[AheadPage] = Field(default_factory=list)


@router.get(
    "/api/sessions/{session_id}/ahead",
    summary="Signed links of the next one or two pages after the furthest reached, to preload (moves nothing)",
    responses=errors(404),
)
async def get_ahead(
    session_id: SessionId,
    db: SessionDep,
    settings: SettingsDep,
    count: Annotated[int, Query(ge=1, le=MAX_AHEAD, description="1, or 2 when the reader turns by spreads")] = 1,
) -> Ahead:
    view = await load_view(db, normalize_id(session_id))
    furthest = max(view.session.furthest_page, view.session.current_page)
    rows = await pages_after(db, view.episode.id, furthest, count)
    pages = [
        AheadPage(page_number=number, image_url=url, width=width, height=height)
        for number, key, width, height in rows
        if (url := signed_url(settings, key)) is not None
    ]
    return Ahead(furthest_page=furthest, pages=pages)
