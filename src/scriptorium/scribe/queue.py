"""The queue as a user sees it: positions in the fair order, step progress, cancel and retry.

Positions mirror the core's round-robin: a pending item's rank is its place among its owner's pending items plus
that owner's running items, so a user with one email is not shown behind someone's batch of 100. Cancelling
goes through the core job (a pending job is never claimed; a running one stops before its next step), and every
status change is a conditional UPDATE so a late worker can never overwrite "cancelled" with "processing".
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.core.db import utcnow
from scriptorium.core.errors import Conflict, NotFound
from scriptorium.core.jobs import cancel, requeue
from scriptorium.core.settings import Settings
from scriptorium.scribe.models import ACTIVE_STATUSES, DONE_STATUSES, QueueItem
from scriptorium.scribe.pipeline import STEPS
from scriptorium.scribe.quota import reserve_emails
from scriptorium.scribe.schemas import QueueItemResponse, TaskStatusResponse

# The original's measured step latencies (seconds), used to weight the progress bar.
STEP_WEIGHTS: dict[str, float] = {"template": 1.2, "research": 5.3, "papers": 0.8, "compose": 3.1, "checks": 0.2}
CELERY_STATES = {
    "pending": "PENDING",
    "processing": "STARTED",
    "completed": "SUCCESS",
    "needs_review": "SUCCESS",
    "failed": "FAILURE",
    "cancelled": "REVOKED",
}


def progress(item: QueueItem) -> float:
    """0 while waiting, the weighted share of finished steps while running, 1 when an email exists."""
    if item.status in DONE_STATUSES:
        return 1.0
    if item.current_step not in STEP_WEIGHTS:
        return 0.0
    done = sum(STEP_WEIGHTS[step] for step in STEPS[: STEPS.index(item.current_step)])
    return round(done / sum(STEP_WEIGHTS.values()), 3)


async def owned_item(session: AsyncSession, *, user_id: str, item_id: str) -> QueueItem:
    item = await session.get(QueueItem, item_id, populate_existing=True)
    if item is None or item.user_id != user_id:
        raise NotFound("no such queue item")
    return item


async def pending_positions(session: AsyncSession, item_ids: list[str]) -> dict[str, int]:
    """1-based positions of the given pending items in the fair order across all users."""
    if not item_ids:
        return {}
    running = (
        select(QueueItem.user_id, func.count().label("n"))
        .where(QueueItem.status == "processing")
        .group_by(QueueItem.user_id)
        .subquery()
    )
    rank = func.row_number().over(partition_by=QueueItem.user_id, order_by=(QueueItem.created_at, QueueItem.id))
    ranked = (
        select(
            QueueItem.id,
            QueueItem.created_at,
            (rank + func.coalesce(running.c.n, 0)).label("fair_rank"),
        )
        .outerjoin(running, running.c.user_id == QueueItem.user_id)
        .where(QueueItem.status == "pending")
        .subquery()
    )
    ordered = select(
        ranked.c.id,
        func.row_number().over(order_by=(ranked.c.fair_rank, ranked.c.created_at, ranked.c.id)).label("pos"),
    ).subquery()
    rows = await session.execute(select(ordered.c.id, ordered.c.pos).where(ordered.c.id.in_(item_ids)))
    return {item_id: int(pos) for item_id, pos in rows}


async def list_items(
    session: AsyncSession, *, user_id: str, since_hours: int = 24, batch_id: str | None = None
) -> list[QueueItemResponse]:
    """The user's items from the last `since_hours` hours (always including unfinished ones), oldest first.

    Dry runs are left out: they are deployment probes, not the user's work (status polling still finds them).
    Positions still count them, because a waiting dry run really is ahead in the line.
    """
    since = utcnow() - timedelta(hours=since_hours)
    query = select(QueueItem).where(
        QueueItem.user_id == user_id,
        QueueItem.dry_run.is_(False),
        (QueueItem.created_at >= since) | QueueItem.status.in_(ACTIVE_STATUSES),
    )
    if batch_id:
        query = query.where(QueueItem.batch_id == batch_id)
    items = list((await session.scalars(query.order_by(QueueItem.created_at, QueueItem.id).limit(1000))).all())
    positions = await pending_positions(session, [i.id for i in items if i.status == "pending"])
    return [queue_item_response(item, positions.get(item.id)) for item in items]


def queue_item_response(item: QueueItem, position: int | None) -> QueueItemResponse:
    return QueueItemResponse(
        id=item.id,
        recipient_name=item.recipient_name,
        status=item.status,
        position=position,
        email_id=item.email_id,
        error_message=item.error_message,
        current_step=item.current_step,
        created_at=item.created_at,
        recipient_interest=item.recipient_interest,
        batch_id=item.batch_id,
        origin=item.origin,
        attempts=item.attempts,
        progress=progress(item),
        step_timings={k: float(v) for k, v in (item.step_timings or {}).items()},
        started_at=item.started_at,
        completed_at=item.completed_at,
        updated_at=item.updated_at,
    )


async def cancel_item(session: AsyncSession, *, user_id: str, item_id: str) -> QueueItem:
    """Cancel a pending or running item; raises Conflict once it has finished."""
    item = await owned_item(session, user_id=user_id, item_id=item_id)
    changed = await session.execute(
        update(QueueItem)
        .where(QueueItem.id == item.id, QueueItem.status.in_(ACTIVE_STATUSES))
        .values(status="cancelled", completed_at=utcnow(), updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if getattr(changed, "rowcount", 0) != 1:
        raise Conflict(f"cannot cancel an item that is {item.status}")
    await cancel(session, job_id=item.job_id)
    await session.refresh(item)
    return item


async def retry_item(session: AsyncSession, *, settings: Settings, user_id: str, item_id: str) -> QueueItem:
    """Send a failed or cancelled item back to the queue with a fresh attempt budget."""
    item = await owned_item(session, user_id=user_id, item_id=item_id)
    if item.status not in ("failed", "cancelled"):
        raise Conflict(f"only failed or cancelled items can be retried; this one is {item.status}")
    if item.status == "cancelled" and not item.dry_run:  # a dry run used its cap when submitted, cancelled or not
        await reserve_emails(session, settings=settings, user_id=user_id, count=1)
    if not await requeue(session, job_id=item.job_id):
        raise Conflict("this item's job is still finishing; try again in a moment")
    item.status = "pending"
    item.error_message = None
    item.current_step = None
    item.step_timings = {}
    item.started_at = None
    item.completed_at = None
    item.attempts = 0
    await session.flush()
    return item


def task_status(item: QueueItem) -> TaskStatusResponse:
    """The original's Celery-shaped status, computed from the durable row (so it never expires after 1 h)."""
    state = CELERY_STATES[item.status]
    result: dict[str, Any] | None = None
    if item.status == "processing":
        result = {"current_step": item.current_step, "step_status": "started", "step_timings": item.step_timings}
    elif item.status in DONE_STATUSES:
        result = {
            "task_id": item.id,
            "status": "completed",
            "email_id": item.email_id,
            "needs_review": item.status == "needs_review",
            "metadata": {"step_timings": item.step_timings},
        }
        if item.dry_run:
            result["dry_run"] = True  # and `email_id` is None: a dry run stores no email
    error = item.error_message if item.status == "failed" else None
    return TaskStatusResponse(task_id=item.id, status=state, result=result, error=error, queue_status=item.status)
