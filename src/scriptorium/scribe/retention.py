"""Retention for dry runs: a probe's queue item, core job and usage rows are deleted after
SCRIBE_DRY_RUN_RETENTION_DAYS, so a deployment probed every few minutes does not grow its database forever.

Pruning runs when a user submits a dry run, in that submission's transaction, and deletes only that user's
expired ones. That is where probes come from, so it happens in both profiles (the API process submits in lite and
scale alike) without a sweeper to schedule, and the work is bounded: at most `PRUNE_BATCH` runs per submission,
which drains a backlog left from before retention existed within a few probes. A user who stops probing keeps
the probes of their last retention window, at most the daily cap times the retention days.

Only rows that are provably finished probes go: `dry_run` items whose own status and whose job's status are both
final, created before the cutoff. The retention is at least one day (the setting's minimum), so the cutoff is
never later than the start of today (UTC) and the dry-run cap, which counts today's probes, sees the same number
before and after. Every DELETE repeats its conditions, so an item retried between the SELECT and the DELETE, or a
job whose item survived, is left alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.core.db import utcnow
from scriptorium.core.jobs import FINISHED, Job
from scriptorium.core.settings import Settings
from scriptorium.scribe.models import ACTIVE_STATUSES, QueueItem, Usage

PRUNE_BATCH = 500
"""Dry runs deleted per submission at most: ten days of the 50-a-day cap, far more than one probe adds."""


def dry_run_cutoff(settings: Settings, now: datetime | None = None) -> datetime:
    """Dry runs created before this moment may be deleted (at least a day ago, so never one of today's)."""
    return (now or utcnow()) - timedelta(days=settings.scribe_dry_run_retention_days)


async def prune_dry_runs(
    session: AsyncSession, *, settings: Settings, user_id: str, now: datetime | None = None
) -> int:
    """Delete this user's expired, finished dry runs (queue item, usage, job) in the caller's transaction.

    Returns how many queue items were deleted. Never commits; never touches an item that is not a dry run.
    """
    finished_job = exists().where(Job.id == QueueItem.job_id, Job.status.in_(FINISHED))
    expired = (
        await session.execute(
            select(QueueItem.id, QueueItem.job_id)
            .where(
                QueueItem.user_id == user_id,
                QueueItem.dry_run.is_(True),
                QueueItem.created_at < dry_run_cutoff(settings, now),
                QueueItem.status.not_in(ACTIVE_STATUSES),
                finished_job,
            )
            .order_by(QueueItem.created_at)
            .limit(PRUNE_BATCH)
        )
    ).all()
    if not expired:
        return 0
    item_ids = [item_id for item_id, _ in expired]
    job_ids = [job_id for _, job_id in expired]
    deleted = await session.execute(
        delete(QueueItem)
        .where(
            QueueItem.id.in_(item_ids),
            QueueItem.dry_run.is_(True),
            QueueItem.status.not_in(ACTIVE_STATUSES),
            finished_job,
        )
        .execution_options(synchronize_session=False)
    )
    # The foreign key cascades usage with its item; this catches a database that does not enforce it.
    await session.execute(
        delete(Usage)
        .where(
            Usage.queue_item_id.in_(item_ids),
            Usage.dry_run.is_(True),
            ~exists().where(QueueItem.id == Usage.queue_item_id),
        )
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        delete(Job)
        .where(Job.id.in_(job_ids), Job.status.in_(FINISHED), ~exists().where(QueueItem.job_id == Job.id))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(deleted, "rowcount", 0) or 0)
