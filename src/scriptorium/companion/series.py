"""The comics as a reader at some position may see them: name, blurb (gated by the text gate) and episodes."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.companion.episodes import ReaderContext, cursor_for
from scriptorium.companion.models import Episode, Series
from scriptorium.companion.spoilers import name_index


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


async def all_series(db: AsyncSession) -> list[Series]:
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


async def list_series(db: AsyncSession, context: ReaderContext) -> SeriesListPublic:
    """Every comic, each gated at the reader's position in it."""
    return SeriesListPublic(series=[await _series_card(db, context, series) for series in await all_series(db)])
