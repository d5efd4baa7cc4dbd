"""Database operations on job rows: submit, claim fairly, renew, complete, fail, cancel, reclaim.

Every state change is one conditional UPDATE, so two workers can never both own a row: a claim only succeeds on
a `pending` row, and completion only succeeds while the caller still holds the lease (its token is the fence).
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, inspect, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from scriptorium.core.db import utcnow
from scriptorium.core.jobs.models import Job

FAIRNESS_WINDOW = timedelta(hours=6)


class LeaseLost(Exception):
    """This worker no longer owns the job (its lease lapsed and someone else claimed it, or it was cancelled)."""


async def job_table_exists(engine: AsyncEngine) -> bool:
    """Whether the database has been migrated far enough to hold jobs (a worker started first has nothing to do)."""
    async with engine.connect() as connection:
        return bool(await connection.run_sync(lambda sync: inspect(sync).has_table(Job.__tablename__)))


def submit(
    session: AsyncSession,
    *,
    kind: str,
    payload: dict[str, Any],
    fair_key: str = "",
    max_attempts: int = 3,
    job_id: str | None = None,
) -> Job:
    """Add a pending job to the caller's transaction; it becomes visible to workers when that commits."""
    job = Job(kind=kind, payload=payload, fair_key=fair_key, max_attempts=max_attempts, status="pending")
    if job_id:
        job.id = job_id
    session.add(job)
    return job


def worker_name() -> str:
    """Who claims a job (host:pid), so a reclaimed job's log line says whose lease lapsed; read per claim, since a
    process may fork after import."""
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


CLAIM_CANDIDATES = 32
"""How far down the fair order a claimer walks when others win the rows above (many workers claim at once)."""


async def claim_next(
    session: AsyncSession, *, kinds: list[str], lease_seconds: float, now: datetime | None = None
) -> Job | None:
    """Claim the fairest claimable job and return it, or None when there is nothing to do.

    Fairness is round-robin across `fair_key` (a user): a job's rank is its position among that key's pending
    jobs plus the key's running jobs, ties going to the key served least recently, so one user's batch of 100
    never starves a user who submits one. Concurrent claimers walk down the same ranked list, each taking the
    first row nobody else took, so a burst of idle workers does not come back empty while work is waiting.
    """
    now = now or utcnow()
    for _ in range(3):
        candidates = await _fair_candidates(session, kinds=kinds, now=now, limit=CLAIM_CANDIDATES)
        if not candidates:
            return None
        for candidate in candidates:
            token = uuid.uuid4().hex
            result = await session.execute(
                update(Job)
                .where(Job.id == candidate, Job.status == "pending")
                .values(
                    status="running",
                    lease_token=token,
                    lease_until=now + timedelta(seconds=lease_seconds),
                    attempts=Job.attempts + 1,
                    started_at=now,
                    claimed_by=worker_name(),
                )
                .execution_options(synchronize_session=False)
            )
            await session.commit()
            if _rowcount(result) == 1:
                return await session.get(Job, candidate, populate_existing=True)
    return None


async def _fair_candidates(session: AsyncSession, *, kinds: list[str], now: datetime, limit: int) -> list[str]:
    rank = func.row_number().over(partition_by=Job.fair_key, order_by=(Job.created_at, Job.id))
    pending = (
        select(Job.id, Job.fair_key, Job.created_at, rank.label("rn"))
        .where(
            Job.status == "pending",
            Job.kind.in_(kinds),
            or_(Job.not_before.is_(None), Job.not_before <= now),
        )
        .subquery()
    )
    running = (
        select(Job.fair_key, func.count().label("n")).where(Job.status == "running").group_by(Job.fair_key)
    ).subquery()
    served = (
        select(Job.fair_key, func.max(Job.started_at).label("last"))
        .where(Job.started_at >= now - FAIRNESS_WINDOW)
        .group_by(Job.fair_key)
    ).subquery()
    query = (
        select(pending.c.id)
        .outerjoin(running, running.c.fair_key == pending.c.fair_key)
        .outerjoin(served, served.c.fair_key == pending.c.fair_key)
        .order_by(
            pending.c.rn + func.coalesce(running.c.n, 0),
            served.c.last.asc().nulls_first(),  # ties go to whoever was served least recently
            pending.c.created_at,
            pending.c.id,
        )
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def renew(session: AsyncSession, *, job_id: str, token: str, lease_seconds: float) -> bool:
    """Extend a running job's lease; False means the lease is gone (cancelled or reclaimed)."""
    result = await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.lease_token == token, Job.status == "running")
        .values(lease_until=utcnow() + timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return _rowcount(result) == 1


async def complete(session: AsyncSession, *, job_id: str, token: str, result: dict[str, Any] | None = None) -> None:
    """Mark the job done inside the caller's transaction, so effects and completion commit together.

    Raises LeaseLost when this worker no longer owns the job; the caller's transaction must then roll back.
    """
    outcome = await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.lease_token == token, Job.status == "running")
        .values(status="done", result=result, finished_at=utcnow(), lease_token=None, lease_until=None, error=None)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(outcome) != 1:
        raise LeaseLost(job_id)


async def release_for_retry(
    session: AsyncSession, *, job_id: str, token: str, error: str, delay_seconds: float
) -> bool:
    """Put a job whose attempt failed transiently back to pending after a delay. False if out of attempts."""
    job = await session.get(Job, job_id, populate_existing=True)
    if job is None or job.lease_token != token or job.status != "running":
        return False
    if job.attempts >= job.max_attempts:
        await fail(session, job_id=job_id, token=token, error=error)
        return False
    job.status = "pending"
    job.error = error
    job.lease_token = None
    job.lease_until = None
    job.not_before = utcnow() + timedelta(seconds=delay_seconds)
    await session.commit()
    return True


async def fail(session: AsyncSession, *, job_id: str, token: str, error: str) -> None:
    """Mark a job failed with a message a user can read."""
    await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.lease_token == token, Job.status == "running")
        .values(status="failed", error=error, finished_at=utcnow(), lease_token=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    await session.commit()


async def release(session: AsyncSession, *, job_id: str, token: str) -> None:
    """Give a running job back to the queue untouched (graceful shutdown); the attempt does not count."""
    await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.lease_token == token, Job.status == "running")
        .values(status="pending", lease_token=None, lease_until=None, attempts=Job.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    await session.commit()


async def cancel(session: AsyncSession, *, job_id: str) -> bool:
    """Cancel a pending or running job. A running job notices at its next step. False if already finished."""
    result = await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(("pending", "running")))
        .values(status="cancelled", finished_at=utcnow(), lease_token=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


async def requeue(session: AsyncSession, *, job_id: str) -> bool:
    """Send a failed or cancelled job back to pending with a fresh attempt budget."""
    result = await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(("failed", "cancelled")))
        .values(status="pending", attempts=0, error=None, finished_at=None, not_before=None)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


@dataclass(frozen=True, slots=True)
class LapsedLease:
    """A running job whose worker stopped renewing its lease (killed, or cut off from the database)."""

    job_id: str
    kind: str
    claimed_by: str | None


async def reclaim_expired(session: AsyncSession, *, now: datetime | None = None) -> list[LapsedLease]:
    """Return running jobs whose lease lapsed (their worker died) to pending; says which, and whose they were."""
    now = now or utcnow()
    result = await session.execute(
        update(Job)
        .where(Job.status == "running", Job.lease_until < now)
        .values(status="pending", lease_token=None, lease_until=None)
        .returning(Job.id, Job.kind, Job.claimed_by)
        .execution_options(synchronize_session=False)
    )
    lapsed = [LapsedLease(job_id, kind, claimed_by) for job_id, kind, claimed_by in result.all()]
    await session.commit()
    return lapsed


async def claimable_count(session: AsyncSession, *, kinds: list[str], now: datetime | None = None) -> int:
    now = now or utcnow()
    query = select(func.count()).where(
        and_(Job.status == "pending", Job.kind.in_(kinds)),
        or_(Job.not_before.is_(None), Job.not_before <= now),
    )
    return int((await session.execute(query)).scalar_one())


async def is_cancelled(session: AsyncSession, *, job_id: str, token: str) -> bool:
    """True when the job was cancelled or this worker lost it: either way, stop before the next step."""
    row = (await session.execute(select(Job.status, Job.lease_token).where(Job.id == job_id))).one_or_none()
    return row is None or row.status != "running" or row.lease_token != token


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
