"""Reader sessions: open or resume (`POST`), list a reader's (`GET`), move (`PATCH`), read with history (`GET`)."""

from __future__ import annotations

import logging
import time
from typing import Annotated

from fastapi import APIRouter, Query, Request

from scriptorium.companion.api.common import SessionId, header_token, normalize_id
from scriptorium.companion.schemas import SLUG_PATTERN, Ok, SessionCreate, SessionCreated, SessionPublic, SessionUpdate
from scriptorium.companion.sessions import (
    SessionList,
    describe_session,
    list_sessions,
    move_session,
    open_session,
)
from scriptorium.core import llm
from scriptorium.core.deps import ResourcesDep, SessionDep, SettingsDep
from scriptorium.core.errors import Unauthorized
from scriptorium.core.openapi import errors
from scriptorium.core.resources import Resources

router = APIRouter()
WARMUP_EVERY = 60.0
log = logging.getLogger(__name__)


@router.post(
    "/api/sessions",
    summary="Open an episode: resumes the reader's position when given their token",
    responses=errors(404),
)
async def create_session(
    body: SessionCreate, request: Request, db: SessionDep, settings: SettingsDep, resources: ResourcesDep
) -> SessionCreated:
    created = await open_session(db, settings, body, header_token=header_token(request))
    # The reader is still choosing a page: wake the model server and load the embedder now, so the first
    # answer does not pay for either. Both are best effort and never delay this response.
    spec = settings.model_for("chat")
    now = time.monotonic()
    if not llm.is_offline(spec) and now - resources.cache.get("companion.warmed_at", -WARMUP_EVERY) >= WARMUP_EVERY:
        # Once a minute is enough to keep a scale-to-zero GPU awake; each warm-up costs a TLS context.
        resources.cache["companion.warmed_at"] = now
        resources.spawn(llm.warmup(settings, spec))
    if "companion.embedder_warm" not in resources.cache:
        resources.cache["companion.embedder_warm"] = True
        resources.spawn(_warm_embedder(resources))
    return created


async def _warm_embedder(resources: Resources) -> None:
    try:
        await resources.embedder().embed(["warm up"], input_type="query")
    except Exception:  # best effort: the first real question reports real errors
        log.warning("companion: embedder warm-up failed", exc_info=True)


@router.get(
    "/api/sessions",
    summary="The reader's earlier conversations in one episode, newest first",
    responses=errors(401, 404),
)
async def get_sessions(
    episode_slug: Annotated[str, Query(pattern=SLUG_PATTERN, max_length=200)],
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
) -> SessionList:
    token = header_token(request)
    if token is None:
        raise Unauthorized("send the reader token (X-Reader-Token) to list your conversations")
    return await list_sessions(db, settings, episode_slug, token=token)


@router.patch("/api/sessions/{session_id}", summary="Show another page; the furthest page reached never goes down")
async def update_session(session_id: SessionId, body: SessionUpdate, db: SessionDep, settings: SettingsDep) -> Ok:
    return await move_session(db, settings, normalize_id(session_id), body.current_page, spread=body.spread)


@router.get("/api/sessions/{session_id}", summary="A session's position and its history up to that position")
async def get_session(session_id: SessionId, db: SessionDep) -> SessionPublic:
    return await describe_session(db, normalize_id(session_id))
