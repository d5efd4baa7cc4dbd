"""Reader sessions: open or resume (`POST`), move (`PATCH`), read with history (`GET`)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from scriptorium.companion.api.common import SessionId, header_token, normalize_id
from scriptorium.companion.schemas import Ok, SessionCreate, SessionCreated, SessionPublic, SessionUpdate
from scriptorium.companion.service_sessions import describe_session, move_session, open_session
from scriptorium.core import llm
from scriptorium.core.deps import ResourcesDep, SessionDep, SettingsDep

router = APIRouter()


@router.post("/api/sessions", summary="Open an episode: resumes the reader's position when given their token")
async def create_session(
    body: SessionCreate, request: Request, db: SessionDep, settings: SettingsDep, resources: ResourcesDep
) -> SessionCreated:
    created = await open_session(db, settings, body, header_token=header_token(request))
    spec = settings.model_for("chat")
    if not llm.is_offline(spec):
        # The reader is still choosing a page: wake the model server now so the first answer starts warm.
        resources.spawn(llm.warmup(settings, spec))
    return created


@router.patch("/api/sessions/{session_id}", summary="Move the reader (the spoiler cursor) to another page")
async def update_session(session_id: SessionId, body: SessionUpdate, db: SessionDep, settings: SettingsDep) -> Ok:
    return await move_session(db, settings, normalize_id(session_id), body.current_page)


@router.get("/api/sessions/{session_id}", summary="A session's position and its history up to that position")
async def get_session(session_id: SessionId, db: SessionDep) -> SessionPublic:
    return await describe_session(db, normalize_id(session_id))
