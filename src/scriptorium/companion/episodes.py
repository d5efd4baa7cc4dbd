"""Episodes as a reader at some position may see them: the picker and one episode's pages.

Everything a response carries about the comic goes through the cursor: an episode the reader hasn't reached shows
its number, title and length only (no story text, no cover); a page past the position is listed without image
URLs or characters, so a client can lay out the book without being able to show what comes next. The story text
in the picker is the episode's page recaps joined up to the reader's page (all of them once finished), never a
whole-episode summary. Every such text also goes through the text gate (`spoilers.py`): a sentence naming
something that debuts after the reader's page is withheld.

The episode lookups the routes need live here too (by slug, by number, the pages after a page), as does a
reader's furthest position in a series, so no route runs its own query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.companion.boundary import Cursor, is_visible, visible_in_series
from scriptorium.companion.media import signed_url
from scriptorium.companion.models import Entity, Episode, Page, ReaderSession, Series
from scriptorium.companion.schemas import (
    CharacterRef,
    EpisodeDetailPublic,
    EpisodeListPublic,
    EpisodeSummaryPublic,
    PagePublic,
    ReadingStatus,
)
from scriptorium.companion.spoilers import NameIndex, name_index
from scriptorium.core.errors import NotFound
from scriptorium.core.settings import Settings

if TYPE_CHECKING:
    from scriptorium.companion.sessions import SessionView


@dataclass(frozen=True, slots=True)
class ReaderContext:
    """Who is asking: a session (exact cursor) and/or a reader (furthest position per series)."""

    view: SessionView | None = None
    reader_id: str | None = None


async def episode_by_slug(db: AsyncSession, slug: str) -> tuple[Episode, Series]:
    row = (
        await db.execute(
            select(Episode, Series)
            .join(Series, Series.id == Episode.series_id)
            .where(Episode.slug == slug)
            .order_by(Series.updated_at.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        raise NotFound(f"episode {slug!r} not found; GET /api/episodes lists them")
    return row[0], row[1]


async def slug_by_number(db: AsyncSession, number: int) -> str | None:
    """The slug of episode `number` in the most recently updated series (the original named episodes by number)."""
    return await db.scalar(
        select(Episode.slug)
        .join(Series, Series.id == Episode.series_id)
        .where(Episode.number == number)
        .order_by(Series.updated_at.desc())
        .limit(1)
    )


async def reader_cursor(db: AsyncSession, reader_id: str, series_id: str) -> Cursor | None:
    """The furthest position this reader has reached in any session of the series (the picker's boundary)."""
    result = await db.execute(
        select(Episode.start_index + ReaderSession.furthest_page - 1)
        .select_from(ReaderSession)
        .join(Episode, Episode.id == ReaderSession.episode_id)
        .where(ReaderSession.reader_id == reader_id, ReaderSession.series_id == series_id)
    )
    indexes = [int(value) for value in result.scalars()]
    return Cursor(series_id, max(indexes)) if indexes else None


def last_index(episode: Episode) -> int:
    return episode.start_index + max(episode.page_count, 1) - 1


def status_of(episode: Episode, cursor: Cursor | None) -> ReadingStatus:
    if cursor is None or cursor.series_id != episode.series_id or cursor.index < episode.start_index:
        return "unread"
    return "finished" if cursor.index >= last_index(episode) else "reading"


class HasCharacters(Protocol):
    """A page row or a cached page: anything with the page's character list."""

    @property
    def characters(self) -> Sequence[Any]: ...


def character_keys(page: HasCharacters) -> list[str]:
    """Page.characters holds entity slugs (or names, or {"name": ...} objects from older imports)."""
    keys: list[str] = []
    for item in page.characters or []:
        key = item.get("slug") or item.get("name") if isinstance(item, dict) else item
        if isinstance(key, str) and key.strip() and key.strip() not in keys:
            keys.append(key.strip())
    return keys


def entity_keys(entity: Entity) -> list[str]:
    """Lower-cased ways a page may list an entity: its slug, its name and its aliases."""
    aliases = [a for a in entity.aliases or [] if isinstance(a, str) and a.strip()]
    return [k.lower() for k in (entity.slug, entity.name, *aliases)]


async def cursor_for(db: AsyncSession, context: ReaderContext, series_id: str) -> Cursor | None:
    if context.view is not None and context.view.series.id == series_id:
        return context.view.cursor
    if context.reader_id is not None:
        return await reader_cursor(db, context.reader_id, series_id)
    return None


def join_recaps(recaps: list[str], max_chars: int) -> str:
    """Page recaps in story order as one text; when too long, the newest are kept (what a returning reader needs)."""
    kept: list[str] = []
    for recap in reversed([r.strip() for r in recaps if r and r.strip()]):
        if kept and sum(len(k) + 1 for k in kept) + len(recap) > max_chars:
            return "… " + " ".join(reversed(kept))
        kept.append(recap)
    return " ".join(reversed(kept))


async def story_so_far(
    db: AsyncSession, episode: Episode, cursor: Cursor, *, max_chars: int = 480, names: NameIndex | None = None
) -> str:
    """This episode's page recaps up to the cursor: each says what happened on its page, so together they tell
    the episode so far without a word about later pages (the SQL boundary keeps those out, the text gate any
    sentence that names something later)."""
    query = select(Page.recap).where(
        Page.episode_id == episode.id, visible_in_series(Page.series_id, Page.global_index, cursor)
    )
    names = names if names is not None else await name_index(db, cursor.series_id)
    recaps = (await db.scalars(query.order_by(Page.global_index))).all()
    return join_recaps([names.gate(recap, cursor.index) for recap in recaps], max_chars)


async def _picker_summary(
    db: AsyncSession, episode: Episode, cursor: Cursor, names: NameIndex | None = None
) -> str | None:
    names = names if names is not None else await name_index(db, cursor.series_id)
    teaser = names.gate(episode.summary.strip(), cursor.index)
    return (await story_so_far(db, episode, cursor, names=names)) or teaser or None


async def list_episodes(db: AsyncSession, settings: Settings, context: ReaderContext) -> EpisodeListPublic:
    rows = (
        await db.execute(
            select(Episode, Series).join(Series, Series.id == Episode.series_id).order_by(Series.slug, Episode.number)
        )
    ).all()
    cursors: dict[str, Cursor | None] = {}
    indexes: dict[str, NameIndex] = {}
    positions = await _reader_positions(db, context)
    cards: list[EpisodeSummaryPublic] = []
    for episode, series in rows:
        if series.id not in cursors:
            cursors[series.id] = await cursor_for(db, context, series.id)
        cursor = cursors[series.id]
        status = status_of(episode, cursor)
        summary = cover = None
        if cursor is not None and status != "unread":
            if series.id not in indexes:
                indexes[series.id] = await name_index(db, series.id)
            summary = await _picker_summary(db, episode, cursor, indexes[series.id])
            cover = await _cover_url(db, settings, episode, cursor)
        cards.append(
            EpisodeSummaryPublic(
                id=episode.id,
                slug=episode.slug,
                title=episode.title,
                episode_number=episode.number,
                page_count=episode.page_count,
                cover_image_url=cover,
                plot_summary=summary,
                reading_status=status,
                current_page=positions.get(episode.id),
            )
        )
    return EpisodeListPublic(episodes=cards)


async def _reader_positions(db: AsyncSession, context: ReaderContext) -> dict[str, int]:
    positions: dict[str, int] = {}
    if context.reader_id is not None:
        result = await db.execute(
            select(ReaderSession.episode_id, ReaderSession.current_page)
            .where(ReaderSession.reader_id == context.reader_id)
            .order_by(ReaderSession.updated_at)
        )
        positions.update({episode_id: page for episode_id, page in result})
    if context.view is not None:
        positions[context.view.episode.id] = context.view.session.current_page
    return positions


async def _cover_url(db: AsyncSession, settings: Settings, episode: Episode, cursor: Cursor) -> str | None:
    query = select(Page.thumb_key, Page.image_key).where(
        Page.episode_id == episode.id, visible_in_series(Page.series_id, Page.global_index, cursor)
    )
    chosen = query.where(Page.id == episode.cover_page_id) if episode.cover_page_id else query.where(Page.number == 1)
    row = (await db.execute(chosen)).first() or (await db.execute(query.order_by(Page.number).limit(1))).first()
    return signed_url(settings, row[0] or row[1]) if row else None


async def page_views(
    db: AsyncSession, settings: Settings, episode: Episode, cursor: Cursor
) -> tuple[list[PagePublic], list[CharacterRef]]:
    """All pages of the episode (gated) and the characters seen so far on its visible pages."""
    pages = list((await db.scalars(select(Page).where(Page.episode_id == episode.id).order_by(Page.number))).all())
    avatars = await _visible_characters(db, settings, cursor)
    names = await name_index(db, cursor.series_id)
    out: list[PagePublic] = []
    seen: dict[str, CharacterRef] = {}
    for page in pages:
        visible = is_visible(page.global_index, cursor) and page.series_id == cursor.series_id
        refs = [avatars.get(key.lower()) or CharacterRef(id=key, name=_pretty(key)) for key in character_keys(page)]
        refs = [ref for ref in refs if not names.late_names(ref.name, cursor.index)]
        if visible:
            seen.update({ref.name: ref for ref in refs})
        out.append(
            PagePublic(
                id=page.id,
                page_number=page.number,
                global_index=page.global_index,
                visible=visible,
                image_url=signed_url(settings, page.image_key) if visible else None,
                thumbnail_url=signed_url(settings, page.thumb_key or page.image_key) if visible else None,
                image_metadata={"width": page.width, "height": page.height} if visible else {},
                characters=refs if visible else [],
            )
        )
    return out, sorted(seen.values(), key=lambda ref: ref.name)


async def _visible_characters(db: AsyncSession, settings: Settings, cursor: Cursor) -> dict[str, CharacterRef]:
    """Entities the reader has met, by lower-cased slug, name and alias, with gated avatars."""
    entities = await db.scalars(select(Entity).where(visible_in_series(Entity.series_id, Entity.debut_index, cursor)))
    refs: dict[str, CharacterRef] = {}
    for entity in entities:
        ref = CharacterRef(id=entity.id, name=entity.name, image_url=signed_url(settings, entity.image_key))
        for key in entity_keys(entity):
            refs.setdefault(key, ref)
    return refs


def _pretty(key: str) -> str:
    return key.replace("-", " ").replace("_", " ").strip().title() if key.islower() else key


async def episode_detail(
    db: AsyncSession, settings: Settings, slug: str, context: ReaderContext
) -> EpisodeDetailPublic:
    episode, series = await episode_by_slug(db, slug)
    cursor = await cursor_for(db, context, series.id)
    # A reader who has not reached this episode sees it as opening it would show it: its first page, as a new
    # session would. (Anyone may open any episode; what is gated is what lies past the page they are on.)
    opening = Cursor(series.id, episode.start_index)
    effective = cursor if cursor is not None and cursor.index >= opening.index else opening
    pages, characters = await page_views(db, settings, episode, effective)
    status = status_of(episode, effective)
    summary = None
    if status != "unread":
        summary = await _picker_summary(db, episode, effective)
    position = None
    if context.view is not None and context.view.episode.id == episode.id:
        position = context.view.session.current_page
    return EpisodeDetailPublic(
        id=episode.id,
        slug=episode.slug,
        title=episode.title,
        episode_number=episode.number,
        page_count=episode.page_count,
        plot_summary=summary,
        credits_url=episode.credits_url,
        characters=characters,
        pages=pages,
        current_page=position,
    )


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


async def pages_after(db: AsyncSession, episode_id: str, page: int, count: int) -> list[tuple[int, str, int, int]]:
    """(number, image key, width, height) of the `count` pages after `page` in the episode, in order."""
    rows = await db.execute(
        select(Page.number, Page.image_key, Page.width, Page.height)
        .where(Page.episode_id == episode_id, Page.number > page, Page.number <= page + count)
        .order_by(Page.number)
    )
    return [(number, key, width, height) for number, key, width, height in rows]
