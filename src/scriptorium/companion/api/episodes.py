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
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.companion.api.common import SESSION_QUERY_PATTERN, reader_context
from scriptorium.companion.episodes import ReaderContext, cursor_for, episode_detail, list_episodes
from scriptorium.companion.media import every_page_image, signed_url
from scriptorium.companion.models import Episode, Page, Series
from scriptorium.companion.schemas import SLUG_PATTERN, EpisodeDetailPublic, EpisodeListPublic
from scriptorium.companion.spoilers import name_index
from scriptorium.core.deps import SessionDep, SettingsDep
from scriptorium.core.openapi import errors
from scriptorium.core.settings import Settings

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


async def with_opening_covers(db: AsyncSession, settings: Settings, listing: EpisodeListPublic) -> EpisodeListPublic:
    """The listing with each series' first episode showing its page 1 as its cover, whoever asks.

    Only page 1 of the first episode: that is the page a session opened by anyone starts on, so its image is one
    the server would serve to a new reader anyway. Other unreached episodes keep no cover.
    """
    missing = {card.id for card in listing.episodes if card.cover_image_url is None}
    if not missing:
        return listing
    first = select(Episode.series_id, func.min(Episode.start_index).label("start")).group_by(Episode.series_id)
    firsts = first.subquery()
    rows = await db.execute(
        select(Episode.id, Page.thumb_key, Page.image_key)
        .join(firsts, (firsts.c.series_id == Episode.series_id) & (firsts.c.start == Episode.start_index))
        .join(Page, (Page.episode_id == Episode.id) & (Page.global_index == Episode.start_index))
        .where(Episode.id.in_(missing))
    )
    covers = {episode_id: signed_url(settings, thumb or image) for episode_id, thumb, image in rows}
    if not covers:
        return listing
    cards = [
        card.model_copy(update={"cover_image_url": covers[card.id]}) if card.id in covers else card
        for card in listing.episodes
    ]
    return listing.model_copy(update={"episodes": cards})


class SeriesPublic(BaseModel):
    """One comic for the series page: its name, its blurb as far as the reader may read it, its episodes."""

    slug: str
    title: str
    description: str
    language: str
    episode_count: int
    page_total: int
    episode_slugs: list[str]


class SeriesListPublic(BaseModel):
    series: list[SeriesPublic]


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
    return SeriesListPublic(series=[await _series_card(db, context, series) for series in await _all_series(db)])


async def _all_series(db: AsyncSession) -> list[Series]:
    return list((await db.scalars(select(Series).order_by(Series.title, Series.slug))).all())


async def _series_card(db: AsyncSession, context: ReaderContext, series: Series) -> SeriesPublic:
    episodes = (
        await db.execute(
            select(Episode.slug, Episode.start_index).where(Episode.series_id == series.id).order_by(Episode.number)
        )
    ).all()
    cursor = await cursor_for(db, context, series.id)
    # The blurb goes through the text gate like any story text: a sentence naming someone the reader has not met
    # yet is left out. A reader with no position stands at the series' first page.
    index = cursor.index if cursor is not None else min((start for _, start in episodes), default=0)
    names = await name_index(db, series.id)
    return SeriesPublic(
        slug=series.slug,
        title=series.title,
        description=names.gate(series.description.strip(), index),
        language=series.language,
        episode_count=len(episodes),
        page_total=series.page_total,
        episode_slugs=[slug for slug, _ in episodes],
    )


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
