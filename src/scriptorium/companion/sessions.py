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
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, Row, Select, String, Text, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Session, mapped_column

from scriptorium.companion.boundary import Cursor
from scriptorium.companion.models import Episode, Series
from scriptorium.core.db import Base, UTCDateTime, new_id, utcnow
from scriptorium.core.errors import NotFound, Unauthorized, ValidationFailed
from scriptorium.core.settings import Settings

TOKEN_PREFIX = "rt1"  # noqa: S105  (a format marker, not a secret)


class ReaderSession(Base):
    """One chat in one episode, at one position."""

    __tablename__ = "companion_reader_sessions"
    __table_args__ = (Index("ix_companion_reader_sessions_reader_episode", "reader_id", "episode_id", "updated_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    reader_id: Mapped[str] = mapped_column(String(32))
    series_id: Mapped[str] = mapped_column(ForeignKey("companion_series.id", ondelete="CASCADE"), index=True)
    episode_id: Mapped[str] = mapped_column(ForeignKey("companion_episodes.id", ondelete="CASCADE"), index=True)
    user_email: Mapped[str | None] = mapped_column(String(320))
    current_page: Mapped[int] = mapped_column(Integer, default=1)
    furthest_page: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatMessage(Base):
    """A question or an answer. `cursor_index` is the reader's position when it was asked."""

    __tablename__ = "companion_messages"
    __table_args__ = (Index("ix_companion_messages_session_created", "session_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    session_id: Mapped[str] = mapped_column(ForeignKey("companion_reader_sessions.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str | None] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text, default="")
    cursor_index: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="complete")
    provider: Mapped[str] = mapped_column(String(200), default="")
    retrieved_doc_ids: Mapped[list[Any]] = mapped_column(default=list)
    citations: Mapped[list[Any]] = mapped_column(default=list)
    suggestions: Mapped[list[Any]] = mapped_column(default=list)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    token_counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


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


async def latest_for_reader(db: AsyncSession, reader_id: str, episode_id: str) -> ReaderSession | None:
    result = await db.execute(
        select(ReaderSession)
        .where(ReaderSession.reader_id == reader_id, ReaderSession.episode_id == episode_id)
        .order_by(ReaderSession.updated_at.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


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
