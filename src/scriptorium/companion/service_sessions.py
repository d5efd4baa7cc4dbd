"""Opening, resuming, moving and reading reader sessions."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.companion.schemas import (
    CitationPublic,
    MessagePublic,
    Ok,
    SessionCreate,
    SessionCreated,
    SessionPublic,
    SuggestionPublic,
)
from scriptorium.companion.service import page_views
from scriptorium.companion.sessions import (
    ChatMessage,
    ReaderSession,
    SessionView,
    check_page,
    episode_by_slug,
    issue_reader_token,
    latest_for_reader,
    load_view,
    reader_from_token,
    visible_history,
)
from scriptorium.core.db import new_id, utcnow
from scriptorium.core.settings import Settings


async def open_session(
    db: AsyncSession, settings: Settings, body: SessionCreate, *, header_token: str | None
) -> SessionCreated:
    """Resume the reader's latest session in this episode, or start one (at their last position on a new chat)."""
    episode, series = await episode_by_slug(db, body.episode_slug)
    token = body.reader_token or header_token
    reader_id = reader_from_token(settings, token) if token else new_id()
    previous = await latest_for_reader(db, reader_id, episode.id) if token else None
    if previous is not None and body.resume:
        previous.updated_at = utcnow()
        await db.commit()
        session, resumed = previous, True
    else:
        # A new chat starts where the reader is and keeps what they have reached: it is a new conversation,
        # not a new reading.
        last = max(episode.page_count, 1)
        start = min(previous.current_page, last) if previous is not None else 1
        furthest = min(max(previous.furthest_page, start), last) if previous is not None else 1
        session = ReaderSession(
            reader_id=reader_id,
            series_id=series.id,
            episode_id=episode.id,
            user_email=str(body.user_email) if body.user_email else None,
            current_page=start,
            furthest_page=furthest,
        )
        db.add(session)
        await db.commit()
        resumed = False
    return SessionCreated(
        session_id=session.id,
        current_page=session.current_page,
        furthest_page=max(session.furthest_page, session.current_page),
        reader_token=issue_reader_token(settings, reader_id),
        episode_slug=episode.slug,
        page_count=episode.page_count,
        resumed=resumed,
    )


async def move_session(db: AsyncSession, settings: Settings, session_id: str, page: int, *, spread: bool = False) -> Ok:
    """Show `page` (range-checked), and with `spread` the page after it; the furthest page only ever grows.

    The reply carries the page URLs now visible: every page up to the furthest, so a reader who went back can
    flip forward again without asking.
    """
    view = await load_view(db, session_id)
    view.session.current_page = check_page(view.episode, page)
    view.session.furthest_page = max(view.session.furthest_page, view.spread_right(spread))
    view.session.updated_at = utcnow()
    await db.commit()
    moved = SessionView(view.session, view.episode, view.series)
    pages, _ = await page_views(db, settings, moved.episode, moved.cursor)
    return Ok(current_page=page, furthest_page=view.session.furthest_page, pages=[p for p in pages if p.visible])


def message_public(message: ChatMessage) -> MessagePublic:
    return MessagePublic(
        id=message.id,
        role="assistant" if message.role == "assistant" else "user",
        mode="wiki" if message.mode == "wiki" else ("page" if message.mode == "page" else None),
        content=message.content,
        status=message.status,
        citations=[CitationPublic.model_validate(c) for c in message.citations or []],
        suggestions=[SuggestionPublic.model_validate(s) for s in message.suggestions or []],
        retrieved_doc_ids=[str(i) for i in message.retrieved_doc_ids or []],
        created_at=message.created_at.isoformat(),
    )


async def describe_session(db: AsyncSession, session_id: str) -> SessionPublic:
    view = await load_view(db, session_id)
    messages = await visible_history(db, view)
    return SessionPublic(
        session_id=view.session.id,
        episode_slug=view.episode.slug,
        episode_number=view.episode.number,
        current_page=view.session.current_page,
        furthest_page=max(view.session.furthest_page, view.session.current_page),
        page_count=view.episode.page_count,
        cursor_index=view.cursor.index,
        messages=[message_public(m) for m in messages],
    )
