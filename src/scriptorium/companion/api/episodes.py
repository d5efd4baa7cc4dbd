"""`GET /api/episodes` (the picker), `GET /api/episodes/{slug}` (one episode's pages) and `GET /api/series`
(the comics, for the series page), gated by position.

Covers: a card shows an episode's cover once the reader has reached the episode, and the first episode of a series
always shows its page 1, because opening it shows that page to anyone (a cover is no spoiler when the page it is
cut from is one the reader may see; a grey tile in its place tells a new reader nothing about the comic).

With COMPANION_LEGACY_IMAGE_URLS on, an episode asked for without a session (the original companion's client
never sends one) lists image links for every page; story text and page characters stay gated.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from scriptorium.companion.api.common import SESSION_QUERY_PATTERN, reader_context
from scriptorium.companion.episodes import episode_detail, list_episodes, with_opening_covers
from scriptorium.companion.media import every_page_image
from scriptorium.companion.schemas import SLUG_PATTERN, EpisodeDetailPublic, EpisodeListPublic
from scriptorium.companion.series import SeriesListPublic, list_series
from scriptorium.core.deps import SessionDep, SettingsDep
from scriptorium.core.openapi import errors

router = APIRouter()

SessionQuery = Annotated[
    str | None, Query(pattern=SESSION_QUERY_PATTERN, description="Gate by this session's position.")
]
TokenQuery = Annotated[str | None, Query(max_length=200, description="Reader token (or the X-Reader-Token header).")]


@router.get(
    "/api/episodes", summary="Episodes, with story text only up to the reader's position", responses=errors(404)
)
async def get_episodes(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    session_id: SessionQuery = None,
    reader_token: TokenQuery = None,
) -> EpisodeListPublic:
    context = await reader_context(db, settings, request, session_id=session_id, reader_token=reader_token)
    return await with_opening_covers(db, settings, await list_episodes(db, settings, context))


@router.get(
    "/api/series",
    summary="The comics: name, blurb (gated at the reader's position) and episode slugs",
    responses=errors(404),
)
async def get_series(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    session_id: SessionQuery = None,
    reader_token: TokenQuery = None,
) -> SeriesListPublic:
    context = await reader_context(db, settings, request, session_id=session_id, reader_token=reader_token)
    return await list_series(db, context)


@router.get("/api/episodes/{slug}", summary="One episode; image URLs only for pages at or before the position")
async def get_episode(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    slug: Annotated[str, Path(pattern=SLUG_PATTERN)],
    session_id: SessionQuery = None,
    reader_token: TokenQuery = None,
) -> EpisodeDetailPublic:
    context = await reader_context(db, settings, request, session_id=session_id, reader_token=reader_token)
    detail = await episode_detail(db, settings, slug, context)
    if settings.companion_legacy_image_urls and context.view is None:
        detail = with_every_image(detail, await every_page_image(db, settings, detail.id))
    return detail


def with_every_image(
    detail: EpisodeDetailPublic, images: dict[str, tuple[str | None, str | None, dict[str, int]]]
) -> EpisodeDetailPublic:
    """The episode with image links on pages past the position too (`visible` still says where the reader is)."""
    pages = []
    for page in detail.pages:
        if page.image_url is None and page.id in images:
            image, thumb, size = images[page.id]
            page = page.model_copy(update={"image_url": image, "thumbnail_url": thumb, "image_metadata": size})
        pages.append(page)
    return detail.model_copy(update={"pages": pages})
