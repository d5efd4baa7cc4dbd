"""`POST /api/sessions/{id}/messages`: ask a question, get the answer as server-sent events.

Order matters, so a stream never holds a database connection while a model talks: validate, rate-limit, then
read the session and its history in one trip off the event loop (`Resources.reads`), compute the cursor and
retrieve, and only then return the stream (the question is saved with its answer). A missing session is an
`error` frame with HTTP 200, as in the original contract. A refused request (a bad body or too long a message,
422; over the rate limit, 429 with Retry-After) keeps its status code but its body is an event stream too, one
`error` frame: the original client reads the body as a stream without looking at the status, so a JSON body
would show it an empty bubble (`stream_errors.py`).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from functools import partial

from fastapi import APIRouter, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from scriptorium.companion.api.common import (
    SessionId,
    catalog_cache,
    limit_questions,
    normalize_id,
    retrieval_cache,
)
from scriptorium.companion.api.stream_errors import StreamErrorsRoute
from scriptorium.companion.chat.model import build_answerer
from scriptorium.companion.chat.prompts import HISTORY_TURNS
from scriptorium.companion.chat.stream import ErrorEvent, Event, stream_answer, to_sse
from scriptorium.companion.chat.turn import Answerer
from scriptorium.companion.schemas import MessageCreate
from scriptorium.companion.sessions import reach, read_turn
from scriptorium.core.db import utcnow
from scriptorium.core.deps import ResourcesDep, SettingsDep
from scriptorium.core.errors import ModelError, NotFound, ValidationFailed
from scriptorium.core.openapi import event_stream
from scriptorium.core.resources import CacheKey

router = APIRouter(route_class=StreamErrorsRoute)

PING_SECONDS = 15
#: The offline answerer or the configured chat model's, built on the first question.
ANSWERER: CacheKey[Answerer] = CacheKey("companion.answerer")
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


async def _frames(events: AsyncIterator[Event]) -> AsyncIterator[ServerSentEvent]:
    async for event in events:
        yield to_sse(event)


async def _one(event: ErrorEvent) -> AsyncIterator[ServerSentEvent]:
    yield to_sse(event)


def _stream(content: AsyncIterator[ServerSentEvent]) -> EventSourceResponse:
    return EventSourceResponse(content, ping=PING_SECONDS, headers=STREAM_HEADERS)


@router.post(
    "/api/sessions/{session_id}/messages",
    summary="Ask in page or wiki mode; streams `token` frames, then `done` (or `error`)",
    response_class=EventSourceResponse,
    # Refusals keep their status and arrive as one `error` frame (stream_errors.py); the guards in front of the
    # route (body cap, last-resort 500/503) still answer JSON, so both are documented.
    responses=event_stream(
        "`token` frames, then `done` (or `error`).", errors_too=(400, 404, 408, 409, 422, 429, 500, 502)
    ),
)
async def post_message(
    session_id: SessionId, body: MessageCreate, request: Request, resources: ResourcesDep, settings: SettingsDep
) -> EventSourceResponse:
    if len(body.message) > settings.companion_message_max_chars:
        raise ValidationFailed(
            f"message is {len(body.message)} characters; the limit is {settings.companion_message_max_chars}",
            field="message",
        )
    if not body.message.strip():
        raise ValidationFailed("message is empty; type a question", field="message")
    await limit_questions(resources, request)
    # Retrieval and numpy load with the first question, so a server nobody chats with stays small and starts fast.
    from scriptorium.companion.chat.context import embed_question, prepare_turn

    started, asked_at = time.monotonic(), utcnow()
    answerer = resources.cached(ANSWERER, lambda: build_answerer(settings))
    cache = retrieval_cache(resources)
    # The question's embedding is computed on a worker thread while the session and pages load.
    vector = resources.spawn(embed_question(resources.embedder(), cache, body.message))
    history = 2 * HISTORY_TURNS if answerer.uses_history else 0
    try:
        view, earlier = await resources.reads.run(
            partial(read_turn, session_id=normalize_id(session_id), history=history)
        )
        await vector
        # This session touches the database only when a cache is stale (after an ingest).
        async with resources.sessionmaker() as db:
            # With `spread` the page after the current one is on screen: the reader has reached it.
            view = await reach(db, view, view.spread_right(body.spread))
            turn = await prepare_turn(
                db,
                view,
                body,
                catalog=await catalog_cache(resources).get(db, view.series),
                embedder=resources.embedder(),
                k=settings.companion_retrieval_k,
                cache=cache,
                history=earlier,
            )
    except NotFound as exc:
        await vector
        return _stream(_one(ErrorEvent("not_found", exc.public_message)))
    except ModelError as exc:
        return _stream(_one(ErrorEvent("generation_failed", exc.public_message)))
    events = stream_answer(resources, answerer, turn, session_id=view.session.id, started=started, asked_at=asked_at)
    return _stream(_frames(events))
