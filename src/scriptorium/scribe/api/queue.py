"""`/api/queue/*`: batch submit (all-or-nothing), the queue with positions and progress, a live SSE stream,
cancel and retry."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from sse_starlette import EventSourceResponse

from scriptorium.core.auth import CurrentUser
from scriptorium.core.deps import ResourcesDep, SessionDep, SettingsDep
from scriptorium.core.idempotency import IdempotencyKeyHeader, IdempotentRequest
from scriptorium.core.openapi import errors, event_stream
from scriptorium.core.resources import Resources
from scriptorium.scribe.api.common import commit_with_retry, submit_answering
from scriptorium.scribe.batches import retry_unreachable, review
from scriptorium.scribe.models import ACTIVE_STATUSES
from scriptorium.scribe.queue import cancel_item, list_items, queue_item_response, retry_item
from scriptorium.scribe.schemas import BatchSubmitRequest, BatchSubmitResponse, MessageResponse, QueueItemResponse
from scriptorium.scribe.schemas_review import BatchReview, OutageRetryResponse
from scriptorium.scribe.submit import Submission

router = APIRouter(prefix="/api/queue", tags=["scribe: queue"])
STREAM_POLL_SECONDS = 0.5
STREAM_PING_SECONDS = 15
BatchId = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z_-]+$")]
SinceHours = Annotated[int, Query(ge=1, le=24 * 90, description="Finished items newer than this are listed.")]


@router.post(
    "/batch",
    status_code=201,
    response_model=BatchSubmitResponse,
    summary="Queue one email per recipient",
    responses=errors(409, 429),
)
async def batch(
    body: BatchSubmitRequest,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    resources: ResourcesDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> BatchSubmitResponse | JSONResponse:
    def answer(submission: Submission) -> BatchSubmitResponse:
        kind = "dry-run items" if body.dry_run else "items"
        return BatchSubmitResponse(
            queue_item_ids=[item.id for item in submission.items],
            message=f"Successfully queued {len(submission.items)} {kind}",
            batch_id=submission.batch_id,
            duplicates=submission.duplicates,
            skipped=submission.skipped,
            dry_run=body.dry_run,
        )

    return await submit_answering(
        session,
        resources,
        idempotent=IdempotentRequest.of(idempotency_key, user_id=user.id, scope="POST /api/queue/batch", body=body),
        answer=answer,
        status_code=201,
        user_id=user.id,
        items=body.items,
        template_text=body.email_template,
        template_id=body.template_id,
        origin="batch",
        skip_duplicates=body.skip_duplicates,
        dry_run=body.dry_run,
    )


@router.get("/", response_model=list[QueueItemResponse], summary="The caller's queue, oldest first")
async def queue(
    user: CurrentUser, session: SessionDep, since_hours: SinceHours = 24, batch_id: str | None = None
) -> list[QueueItemResponse]:
    return await list_items(session, user_id=user.id, since_hours=since_hours, batch_id=batch_id)


async def snapshots(
    request: Request, resources: Resources, *, user_id: str, since_hours: int, batch_id: str | None, until_done: bool
) -> AsyncIterator[dict[str, Any]]:
    """Emit the queue whenever it changes; with `until_done`, stop after a snapshot with nothing left to do."""
    last = ""
    while not await request.is_disconnected():
        async with resources.sessionmaker() as session:
            items = await list_items(session, user_id=user_id, since_hours=since_hours, batch_id=batch_id)
        payload = json.dumps([item.model_dump(mode="json") for item in items])
        if payload != last:
            last = payload
            yield {"event": "snapshot", "data": payload}
        if until_done and not any(item.status in ACTIVE_STATUSES for item in items):
            yield {"event": "done", "data": "{}"}
            return
        await asyncio.sleep(STREAM_POLL_SECONDS)


@router.get(
    "/stream",
    summary="Server-sent events: a `snapshot` of the queue whenever it changes",
    response_class=EventSourceResponse,
    responses=event_stream("`snapshot` events, comment pings, and `done` with `until_done=true`."),
)
async def stream(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    resources: ResourcesDep,
    since_hours: SinceHours = 24,
    batch_id: str | None = None,
    until_done: bool = False,
) -> EventSourceResponse:
    """Each `snapshot` event carries the same list as `GET /api/queue/`. A comment ping every 15 s keeps proxies
    from closing an idle stream. With `until_done=true` the stream ends with a `done` event once no item is
    pending or processing."""
    user_id = user.id
    await session.close()  # hold no database connection for the life of the stream
    return EventSourceResponse(
        snapshots(
            request, resources, user_id=user_id, since_hours=since_hours, batch_id=batch_id, until_done=until_done
        ),
        ping=STREAM_PING_SECONDS,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.delete("/{queue_item_id}", response_model=MessageResponse, summary="Cancel a pending or running item")
async def cancel(queue_item_id: str, user: CurrentUser, session: SessionDep) -> MessageResponse:
    """A pending item never runs; a running one stops before its next step and writes no email."""
    item = await cancel_item(session, user_id=user.id, item_id=queue_item_id)
    await session.commit()
    return MessageResponse(message="Queue item cancelled", id=item.id, status=item.status)


@router.post(
    "/{queue_item_id}/retry",
    response_model=QueueItemResponse,
    summary="Queue a failed or cancelled item again",
    responses=errors(409, 429),
)
async def retry(
    queue_item_id: str, user: CurrentUser, session: SessionDep, settings: SettingsDep, resources: ResourcesDep
) -> QueueItemResponse:
    item = await retry_item(session, settings=settings, user_id=user.id, item_id=queue_item_id)
    await session.commit()
    await resources.queue.notify(1)
    return queue_item_response(item, None)


@router.get("/batches/{batch_id}", response_model=BatchReview, summary="A batch's emails, verdicts and any outage")
async def batch_review(batch_id: BatchId, user: CurrentUser, session: SessionDep) -> BatchReview:
    """The emails in submission order (to step through), what is still running, and `outage`: the research
    sources that could not be reached for the emails that need review, said once for the batch."""
    return await review(session, user_id=user.id, batch_id=batch_id)


@router.post(
    "/batches/{batch_id}/retry",
    response_model=OutageRetryResponse,
    summary="Regenerate the batch's emails that hit a research outage",
    responses=errors(409, 429),
)
async def batch_retry(
    batch_id: BatchId, user: CurrentUser, session: SessionDep, settings: SettingsDep, resources: ResourcesDep
) -> OutageRetryResponse:
    """Each email of `outage` is regenerated (the old text stays as a version). Emails holding your edit, or
    already being regenerated, are skipped and listed with the reason."""
    user_id = user.id
    answer, jobs = await commit_with_retry(
        session, lambda: retry_unreachable(session, settings=settings, user_id=user_id, batch_id=batch_id)
    )
    if jobs:
        await resources.queue.notify(jobs)
    return answer
