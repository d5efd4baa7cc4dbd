"""Helpers shared by the Scribe routes: pagination, committing a submission, and ringing the job queue."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, TypeVar

from fastapi import Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.core.errors import Conflict
from scriptorium.core.idempotency import IdempotentRequest
from scriptorium.core.resources import Resources
from scriptorium.scribe.schemas import BatchItem
from scriptorium.scribe.submit import Submission, submit_items

T = TypeVar("T")

PAGE_DEFAULT = 20
PAGE_MAX = 100

Limit = Annotated[int, Query(ge=1, description="Page size; values above 100 are clamped to 100.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


def clamp(limit: int) -> int:
    """The original silently clamped `limit` to 100; keep that so its clients are not broken by a 422."""
    return min(limit, PAGE_MAX)


async def commit_with_retry(session: AsyncSession, work: Callable[[], Awaitable[T]]) -> T:
    """Run `work` and commit; on a unique-key race with a concurrent request, roll back and run it once more.

    Everything `work` added commits together or not at all (a batch's items and their jobs).
    """
    for attempt in (1, 2):
        try:
            result = await work()
            await session.commit()
            return result
        except IntegrityError:
            await session.rollback()
            if attempt == 2:
                raise Conflict("another request changed the same records; try again") from None
    raise AssertionError("unreachable")


Answer = TypeVar("Answer", bound=BaseModel)


async def submit_answering(
    session: AsyncSession,
    resources: Resources,
    *,
    idempotent: IdempotentRequest | None,
    answer: Callable[[Submission], Answer],
    status_code: int,
    user_id: str,
    items: Sequence[BatchItem],
    template_text: str | None,
    template_id: str | None,
    origin: str,
    skip_duplicates: bool = False,
    dry_run: bool = False,
) -> Answer | JSONResponse:
    """A submit route's whole body: the stored answer for a retried `Idempotency-Key`, or submit and answer.

    The items and their jobs commit in one transaction, with the answer when the request carried a key (so a retry
    gets it back: core/idempotency.py); then the queue is rung once per new job.
    """
    if idempotent is not None and (replayed := await idempotent.replay(session)) is not None:
        return replayed

    async def work() -> Submission:
        submission = await submit_items(
            session,
            settings=resources.settings,
            user_id=user_id,
            items=items,
            template_text=template_text,
            template_id=template_id,
            origin=origin,
            skip_duplicates=skip_duplicates,
            dry_run=dry_run,
        )
        if idempotent is not None:
            idempotent.remember(session, status_code=status_code, response=answer(submission).model_dump(mode="json"))
        return submission

    submission = await commit_with_retry(session, work)
    await resources.queue.notify(len(submission.items))
    return answer(submission)
