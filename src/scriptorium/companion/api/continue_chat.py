"""`POST /api/sessions/{id}/continue`: pick an earlier conversation up again, at the reader's current place.

What the continued chat may know, and who may continue which chat, is `sessions.continue_session`'s to say.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from scriptorium.companion.api.common import SessionId, header_token, normalize_id
from scriptorium.companion.schemas import SessionCreated
from scriptorium.companion.sessions import continue_session
from scriptorium.core.deps import SessionDep, SettingsDep
from scriptorium.core.errors import Unauthorized
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
    return await continue_session(
        db, settings, normalize_id(session_id), token=token, from_session_id=normalize_id(body.from_session_id)
    )
