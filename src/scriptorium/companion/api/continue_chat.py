"""`POST /api/sessions/{id}/continue`: pick an earlier conversation up again, at the reader's current place.

A session is a conversation and a place in the episode. "New chat" starts a new session where the reader is; the
earlier ones are listed (`GET /api/sessions`) and can be read. Continuing one makes it the reader's session again:
its conversation carries on, but its place becomes the place of the session the reader is in now (the page on
screen and the furthest page reached), never the place it had. So the companion in a continued chat knows exactly
what the reader knows now: an old chat from a later page cannot widen it, and older answers past the current
place stay hidden, as the history is always cut at the cursor.

Both sessions must be the reader's own (named by the signed reader token) and in the same episode.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from scriptorium.companion.api.common import SessionId, header_token, normalize_id
from scriptorium.companion.schemas import SessionCreated
from scriptorium.companion.sessions import issue_reader_token, load_view, reader_from_token
from scriptorium.core.db import utcnow
from scriptorium.core.deps import SessionDep, SettingsDep
from scriptorium.core.errors import NotFound, Unauthorized, ValidationFailed
from scriptorium.core.openapi import errors

router = APIRouter()


class ContinueChat(BaseModel):
    """`from_session_id`: the session the reader is in now; its place is the place the continued chat takes."""

    model_config = ConfigDict(extra="ignore")

    from_session_id: str = Field(pattern=r"^[0-9a-fA-F-]{32,36}$")


@router.post(
    "/api/sessions/{session_id}/continue",
    summary="Continue an earlier conversation at the place of the reader's current session",
    responses=errors(401, 404, 422),
)
async def continue_chat(
    session_id: SessionId, body: ContinueChat, request: Request, db: SessionDep, settings: SettingsDep
) -> SessionCreated:
    token = header_token(request)
    if token is None:
        raise Unauthorized("send the reader token (X-Reader-Token) to continue one of your conversations")
    reader_id = reader_from_token(settings, token)
    earlier = await load_view(db, normalize_id(session_id))
    current = await load_view(db, normalize_id(body.from_session_id))
    # Someone else's conversation is answered as if it did not exist.
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
