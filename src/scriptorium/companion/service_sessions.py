"""Opening, resuming, moving and reading reader sessions."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.companion.episodes import page_views
from scriptorium.companion.schemas import (
    CitationPublic,
    MessagePublic,
    Ok,
    SessionCreate,
    SessionCreated,
    SessionPublic,
    SuggestionPublic,
)
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

SESSION_LIST_LIMIT = 20
TITLE_CHARS = 80


class SessionSummary(BaseModel):
    """One earlier conversation in the list: named by its first question, as chat apps name them."""

    session_id: str
    title: str
    message_count: int
    current_page: int
    furthest_page: int
    created_at: str
    updated_at: str


class SessionList(BaseModel):
    episode_slug: str
    sessions: list[SessionSummary]


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


def _title(question: str | None) -> str:
    text = " ".join((question or "").split())
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1].rstrip() + "…"


async def list_sessions(db: AsyncSession, settings: Settings, episode_slug: str, *, token: str) -> SessionList:
    """The reader's conversations in one episode, newest first (at most SESSION_LIST_LIMIT).

    Only the reader the token names: sessions are listed by the signed reader id, never by anything a client can
    guess. Conversations without a question are left out (every "New chat" makes one, and an empty one is not worth
    reopening). The title is the reader's own first question, so it can spoil nothing they have not typed.
    """
    reader_id = reader_from_token(settings, token)
    episode, _ = await episode_by_slug(db, episode_slug)
    sessions = (
        (
            await db.execute(
                select(ReaderSession)
                .where(ReaderSession.reader_id == reader_id, ReaderSession.episode_id == episode.id)
                .order_by(ReaderSession.updated_at.desc())
                .limit(SESSION_LIST_LIMIT * 3)
            )
        )
        .scalars()
        .all()
    )
    ids = [s.id for s in sessions]
    counts: dict[str, int] = {}
    firsts: dict[str, str] = {}
    if ids:
        count_rows = await db.execute(
            select(ChatMessage.session_id, func.count())
            .where(ChatMessage.session_id.in_(ids))
            .group_by(ChatMessage.session_id)
        )
        counts = {str(session_id): int(count) for session_id, count in count_rows}
        question_rows = await db.execute(
            select(ChatMessage.session_id, ChatMessage.content)
            .where(ChatMessage.session_id.in_(ids), ChatMessage.role == "user")
            .order_by(ChatMessage.created_at)
        )
        for session_id, content in question_rows:
            firsts.setdefault(str(session_id), content)
    summaries = [
        SessionSummary(
            session_id=s.id,
            title=_title(firsts.get(s.id)),
            message_count=counts.get(s.id, 0),
            current_page=s.current_page,
            furthest_page=max(s.furthest_page, s.current_page),
            created_at=s.created_at.isoformat(),
            updated_at=s.updated_at.isoformat(),
        )
        for s in sessions
        if s.id in firsts
    ]
    return SessionList(episode_slug=episode.slug, sessions=summaries[:SESSION_LIST_LIMIT])
