"""Reader sessions and chat history: where a reader is, and what was said there.

A session is one chat in one episode. It keeps two positions: `current_page`, the page on screen, and
`furthest_page`, the furthest page the reader has reached in it. The spoiler cursor (what the companion knows, which
images and history it may show) is the furthest page: going back to reread page 1, following a citation or
opening a deep link moves `current_page` only, so it never makes the companion forget what the reader has already
seen nor hides the conversation held further on. "This page" questions are answered at `current_page`.

Readers are anonymous: a reader token (`rt1.<reader id>.<hmac>`, signed with SECRET_KEY) is handed out when a
session is created and, sent back later, resumes the reader's position and history in that episode. Nothing is
stored for the token itself, so it cannot be enumerated, and a forged one fails the signature check.

Every message records the cursor it was asked at, so history shown or replayed to a model never includes an
exchange from further ahead than the reader has reached (a new chat opened at an earlier page starts short).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy import Row, Select, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from scriptorium.companion.boundary import Cursor
from scriptorium.companion.episodes import episode_by_slug, page_views
from scriptorium.companion.models import ChatMessage, Episode, ReaderSession, Series
from scriptorium.companion.schemas import (
    CitationPublic,
    MessagePublic,
    Ok,
    SessionCreate,
    SessionCreated,
    SessionPublic,
    SuggestionPublic,
)
from scriptorium.core.db import new_id, utcnow
from scriptorium.core.errors import NotFound, Unauthorized, ValidationFailed
from scriptorium.core.settings import Settings

TOKEN_PREFIX = "rt1"  # noqa: S105  (a format marker, not a secret)


# --- reader tokens -------------------------------------------------------------------------------------------
def _signature(settings: Settings, reader_id: str) -> str:
    key = settings.secret_key.get_secret_value().encode()
    digest = hmac.new(key, f"companion-reader:{reader_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def issue_reader_token(settings: Settings, reader_id: str) -> str:
    return f"{TOKEN_PREFIX}.{reader_id}.{_signature(settings, reader_id)}"


def reader_from_token(settings: Settings, token: str) -> str:
    """The reader id a token names, or Unauthorized when it was not signed by this server."""
    prefix, _, rest = token.strip().partition(".")
    reader_id, _, signature = rest.partition(".")
    valid = (
        prefix == TOKEN_PREFIX
        and len(reader_id) == 32
        and hmac.compare_digest(signature.encode(), _signature(settings, reader_id).encode())
    )
    if not valid:
        raise Unauthorized("reader_token is not valid here; drop it and open the episode again for a new one")
    return reader_id


# --- the session's view of the comic -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SessionView:
    """A session with its episode and series: everything needed to compute the cursor."""

    session: ReaderSession
    episode: Episode
    series: Series

    @property
    def cursor(self) -> Cursor:
        """The knowledge boundary: the furthest page reached (never below the page on screen)."""
        furthest = max(self.session.furthest_page or 1, self.session.current_page)
        return Cursor(self.series.id, self.episode.start_index + furthest - 1)

    @property
    def page_index(self) -> int:
        """Global index of the page on screen (the left page of a spread), at or before the cursor."""
        return self.episode.start_index + self.session.current_page - 1

    def spread_right(self, spread: bool) -> int:
        """Page number of the rightmost page on screen: with `spread` the page after `current_page`, as the
        original companion reads it (clamped to the episode's last page)."""
        page = self.session.current_page
        return min(page + 1, max(self.episode.page_count, 1)) if spread else page


# The two reads of every chat turn are built once with bound parameters: building a select costs more CPU than
# SQLite spends running it (0.9 ms against 0.4 ms per turn, measured), and that CPU is the event loop's.
_VIEW = (
    select(ReaderSession, Episode, Series)
    .join(Episode, Episode.id == ReaderSession.episode_id)
    .join(Series, Series.id == Episode.series_id)
    .where(ReaderSession.id == bindparam("session_id"))
)
_HISTORY = (
    select(ChatMessage)
    .where(ChatMessage.session_id == bindparam("session_id"), ChatMessage.cursor_index <= bindparam("cursor"))
    .order_by(ChatMessage.created_at.desc(), ChatMessage.id.desc())
)
_HISTORY_LAST = _HISTORY.limit(bindparam("limit"))


def _view_or_404(row: Row[ReaderSession, Episode, Series] | None, session_id: str) -> SessionView:
    if row is None:
        raise NotFound(f"session {session_id!r} not found; create one with POST /api/sessions")
    return SessionView(*row)


async def load_view(db: AsyncSession, session_id: str) -> SessionView:
    return _view_or_404((await db.execute(_VIEW, {"session_id": session_id})).first(), session_id)


async def latest_for_reader(db: AsyncSession, reader_id: str, episode_id: str) -> ReaderSession | None:
    result = await db.execute(
        select(ReaderSession)
        .where(ReaderSession.reader_id == reader_id, ReaderSession.episode_id == episode_id)
        .order_by(ReaderSession.updated_at.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def reach(db: AsyncSession, view: SessionView, page: int) -> SessionView:
    """Record that the reader has seen `page` (furthest only ever grows); returns the view as it now stands."""
    if page > view.session.furthest_page:
        await db.execute(
            update(ReaderSession)
            .where(ReaderSession.id == view.session.id, ReaderSession.furthest_page < page)
            .values(furthest_page=page)
        )
        await db.commit()
        view.session.furthest_page = page
    return view


def check_page(episode: Episode, page: int) -> int:
    if not 1 <= page <= max(episode.page_count, 1):
        raise ValidationFailed(
            f"current_page must be between 1 and {max(episode.page_count, 1)} for episode {episode.slug!r}",
            field="current_page",
        )
    return page


def _history_args(view: SessionView, limit: int | None) -> tuple[Select[ChatMessage], dict[str, object]]:
    args: dict[str, object] = {"session_id": view.session.id, "cursor": view.cursor.index}
    if limit is None:
        return _HISTORY, args
    return _HISTORY_LAST, {**args, "limit": limit}


async def visible_history(db: AsyncSession, view: SessionView, *, limit: int | None = None) -> list[ChatMessage]:
    """Messages of this session asked at or before the current cursor, oldest first."""
    rows = list((await db.execute(*_history_args(view, limit))).scalars())
    rows.reverse()
    return rows


def read_turn(db: Session, session_id: str, *, history: int) -> tuple[SessionView, list[ChatMessage]]:
    """A chat turn's reads in one go (for `Resources.reads`): the session's view and its last `history` messages.

    Synchronous on purpose: on SQLite both queries then cost one trip off the event loop instead of ten.
    """
    view = _view_or_404(db.execute(_VIEW, {"session_id": session_id}).first(), session_id)
    if history <= 0:
        return view, []
    rows = list(db.execute(*_history_args(view, history)).scalars())
    rows.reverse()
    return view, rows


# --- opening, moving, describing and listing sessions -------------------------------------------------------
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


async def continue_session(
    db: AsyncSession, settings: Settings, session_id: str, *, token: str, from_session_id: str
) -> SessionCreated:
    """Make an earlier conversation the reader's session again, at the place of the session they are in now.

    The conversation carries on, but its place (page on screen, furthest page) is the current session's, never
    the one it had: an old chat from a later page cannot widen what the companion knows, and older answers past
    the current place stay hidden because history is always cut at the cursor. Both sessions must be the reader's
    own (named by the signed token; someone else's is a 404, as if it did not exist) and in the same episode.
    """
    reader_id = reader_from_token(settings, token)
    earlier = await load_view(db, session_id)
    current = await load_view(db, from_session_id)
    for view in (earlier, current):
        if view.session.reader_id != reader_id:
            raise NotFound(f"session {view.session.id!r} not found among your conversations")
    if earlier.episode.id != current.episode.id:
        raise ValidationFailed(
            "that conversation is about another episode; open that episode to continue it", field="from_session_id"
        )
    earlier.session.current_page = current.session.current_page
    earlier.session.furthest_page = max(current.session.furthest_page, current.session.current_page)
    earlier.session.updated_at = utcnow()  # the latest session is the one a reader resumes
    await db.commit()
    return SessionCreated(
        session_id=earlier.session.id,
        current_page=earlier.session.current_page,
        furthest_page=earlier.session.furthest_page,
        reader_token=issue_reader_token(settings, reader_id),
        episode_slug=earlier.episode.slug,
        page_count=earlier.episode.page_count,
        resumed=True,
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
