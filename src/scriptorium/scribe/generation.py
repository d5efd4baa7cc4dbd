"""The `scribe.generate` job (registered in `jobs.py`): run the pipeline for one item, store the email once.

Progress is written before each step, and cancellation is checked there, so a cancelled item stops before its
next step. The email, its versions, sources, usage, the queue item's final status and the core job's completion
commit in one transaction: a worker killed at any instant leaves either nothing (the job runs again after its
lease lapses) or everything (it never runs again). Concurrency and fairness across users are the core's.

A retried attempt resumes after the steps an earlier attempt of the same item finished: each finished step is
saved on the item in its own short transaction (`step_results`, see `pipeline/resume.py`) and cleared when the
item ends, so a worker killed after research does not make the retry ask every source again. A regeneration is a
new queue item, so it never sees another item's saved steps: it is asked for fresh research.

A dry run takes the same path with the pipeline in dry-run mode (no research requests), and its final transaction
writes only the queue item's status, its usage rows (marked `dry_run`, so an operator can see what probes cost
while the user's totals skip them) and the job's completion: no email, version, source or counter.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.core.db import transaction, utcnow
from scriptorium.core.errors import ScriptoriumError, UpstreamError
from scriptorium.core.jobs import Job, JobCancelled, JobContext, LeaseLost
from scriptorium.core.resources import CacheKey
from scriptorium.scribe.models import ACTIVE_STATUSES, QueueItem, Recipient
from scriptorium.scribe.pipeline import Addressee, PipelineDeps, PipelineResult, Step, run_pipeline
from scriptorium.scribe.pipeline.resume import StepResults, fingerprint
from scriptorium.scribe.pipeline.runner import DryRunModelFailed
from scriptorium.scribe.results import store_result, usage_rows

log = logging.getLogger(__name__)
ERROR_MAX_CHARS = 1000


class StepTracker:
    """The pipeline's `on_step`: stop if cancelled, else record the step and how long the previous one took."""

    def __init__(self, ctx: JobContext, item_id: str) -> None:
        self.ctx = ctx
        self.item_id = item_id
        self.timings: dict[str, float] = {}
        self._step: str | None = None
        self._since = time.monotonic()

    async def __call__(self, step: Step) -> None:
        await self.ctx.check_cancelled()
        now = time.monotonic()
        if self._step is not None:
            self.timings[self._step] = round(now - self._since, 3)
        self._step, self._since = step, now
        await self._write(current_step=step, step_timings=dict(self.timings))

    async def begin(self) -> None:
        await self._write(attempts=self.ctx.attempt, started_at=utcnow(), current_step=None)

    async def _write(self, **values: Any) -> None:
        async with self.ctx.sessionmaker() as session:
            result = await session.execute(
                update(QueueItem)
                .where(QueueItem.id == self.item_id, QueueItem.status.in_(ACTIVE_STATUSES))
                .values(status="processing", updated_at=utcnow(), **values)
                .execution_options(synchronize_session=False)
            )
            await session.commit()
        if getattr(result, "rowcount", 0) != 1:
            raise JobCancelled(self.ctx.job_id)


class StepSaver:
    """The pipeline's `on_saved`: store the finished steps on the item, fenced to this attempt of an active item."""

    def __init__(self, ctx: JobContext, item_id: str) -> None:
        self.ctx = ctx
        self.item_id = item_id

    async def __call__(self, results: StepResults) -> None:
        try:
            async with self.ctx.sessionmaker() as session:
                result = await session.execute(
                    update(QueueItem)
                    .where(
                        QueueItem.id == self.item_id,
                        QueueItem.status.in_(ACTIVE_STATUSES),
                        QueueItem.attempts == self.ctx.attempt,
                    )
                    .values(step_results=results.to_json(), updated_at=utcnow())
                    .execution_options(synchronize_session=False)
                )
                await session.commit()
        except SQLAlchemyError:  # only a retry's shortcut: this attempt can still finish without it
            log.warning("could not save finished steps", extra={"queue_item_id": self.item_id}, exc_info=True)
            return
        if getattr(result, "rowcount", 0) != 1:
            raise JobCancelled(self.ctx.job_id)


#: The chat models, sources and checks a generation uses, built once per worker process.
PIPELINE_DEPS: CacheKey[PipelineDeps] = CacheKey("scribe.pipeline_deps")


def pipeline_deps(ctx: JobContext) -> PipelineDeps:
    resources = ctx.resources
    deps: PipelineDeps = resources.cached(
        PIPELINE_DEPS, lambda: PipelineDeps.from_settings(resources.settings, resources.http)
    )
    return deps


#: Kept between the pipeline's deadline and the hard limit: the final transaction must fit after the run.
STORE_RESERVE_SECONDS = 5.0


def time_limit(ctx: JobContext) -> float:
    """A hard ceiling for one run. The pipeline gets a deadline STORE_RESERVE_SECONDS before it and fits its model
    calls into the time left (falling back to rules or the offline merge when a call runs out), so the ceiling is
    a backstop: a slow model ends in a stored draft, not in a timeout that reruns the whole job, research and all.
    """
    settings = ctx.resources.settings
    return float(settings.llm_timeout_seconds * 4 + settings.research_timeout_seconds * 3)


async def _load(ctx: JobContext, item_id: str) -> tuple[QueueItem, Recipient | None] | None:
    """The active item and its recipient; a dry run has none (its name and interest are on the item)."""
    async with ctx.sessionmaker() as session:
        item = await session.get(QueueItem, item_id)
        if item is None or item.status not in ACTIVE_STATUSES:
            return None
        if item.recipient_id is None:
            return (item, None) if item.dry_run else None
        recipient = await session.get(Recipient, item.recipient_id)
        return (item, recipient) if recipient is not None else None


async def mark_retrying(ctx: JobContext, item_id: str, message: str) -> None:
    """A transient failure: show the item as waiting again, with the reason, until the retry claims it."""
    async with ctx.sessionmaker() as session:
        await session.execute(
            update(QueueItem)
            .where(QueueItem.id == item_id, QueueItem.status.in_(ACTIVE_STATUSES))
            .values(status="pending", current_step=None, error_message=f"{message} (will retry)", updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        await session.commit()


async def mark_failed(resources: Any, job: Job, message: str) -> None:
    """Core's failure hook: the job is out of attempts or failed permanently."""
    async with resources.sessionmaker() as session:
        await session.execute(
            update(QueueItem)
            .where(QueueItem.job_id == job.id, QueueItem.status.in_(ACTIVE_STATUSES))
            .values(
                status="failed",
                error_message=message[:ERROR_MAX_CHARS],
                step_results=None,
                completed_at=utcnow(),
                updated_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )
        await session.commit()


async def generate_email(ctx: JobContext) -> None:
    item_id = str(ctx.payload["queue_item_id"])
    loaded = await _load(ctx, item_id)
    if loaded is None:
        log.info("queue item is gone or finished; nothing to do", extra={"queue_item_id": item_id})
        return
    item, recipient = loaded
    tracker = StepTracker(ctx, item_id)
    await tracker.begin()
    target = Addressee(  # name and interest as submitted with this item; contact details as last known
        name=item.recipient_name,
        interest=item.recipient_interest,
        email=recipient.email if recipient else None,
        profile_urls=tuple(recipient.profile_urls or ()) if recipient else (),
        affiliation=recipient.institution if recipient else None,
    )
    resume = StepResults.load(
        item.step_results,
        fingerprint=fingerprint(item.email_template, target, dry_run=item.dry_run),
        attempt=ctx.attempt,
        now=utcnow(),
    )
    try:
        limit = time_limit(ctx)
        deadline = time.monotonic() + max(limit - STORE_RESERVE_SECONDS, limit / 2)
        async with asyncio.timeout(limit):
            result = await run_pipeline(
                item.email_template,
                target,
                deps=pipeline_deps(ctx),
                on_step=tracker,
                dry_run=item.dry_run,
                deadline=deadline,
                resume=resume,
                on_saved=StepSaver(ctx, item_id),
            )
    except (JobCancelled, LeaseLost):
        raise
    except TimeoutError:
        await mark_retrying(ctx, item_id, "generation took too long")
        raise UpstreamError("generation took too long", service="scribe", transient=True) from None
    except ScriptoriumError as exc:
        if isinstance(exc, UpstreamError) and exc.transient:
            await mark_retrying(ctx, item_id, exc.public_message)
        if isinstance(exc, DryRunModelFailed) and exc.usage:
            await store_probe_usage(ctx, item_id, exc.usage)
        raise
    except Exception:
        await mark_retrying(ctx, item_id, "a temporary error interrupted generation")
        raise
    await finish(ctx, item_id, result, tracker.timings)


async def store_probe_usage(ctx: JobContext, item_id: str, usage: list[dict[str, Any]]) -> None:
    """A failed dry run's model calls, as its usage rows (marked `dry_run`, tied to the item, no email)."""
    async with transaction(ctx.sessionmaker) as session:
        item = await session.get(QueueItem, item_id)
        if item is not None and item.dry_run:
            session.add_all(usage_rows(usage, item=item, email_id=None))


async def finish(ctx: JobContext, item_id: str, result: PipelineResult, live: dict[str, float]) -> None:
    """Write every effect of the run and complete the job in one transaction."""
    timings = {**live, **{str(step): round(seconds, 3) for step, seconds in result.timings.items()}}
    async with transaction(ctx.sessionmaker) as session:
        email_id, dry_run = await _store(session, item_id, result, timings)
        outcome: dict[str, Any] = {"email_id": email_id, "status": result.status}
        if dry_run:
            outcome |= {"dry_run": True, "composer": result.draft.composer}
        await ctx.complete(session, result=outcome)
    if dry_run:  # the tokens are in its usage rows too; the log puts them beside the worker's other lines
        tokens = {key: sum(int(u.get(key, 0) or 0) for u in result.usage) for key in ("input_tokens", "output_tokens")}
        log.info("dry run finished", extra={"queue_item_id": item_id, "composer": result.draft.composer, **tokens})


async def _store(
    session: AsyncSession, item_id: str, result: PipelineResult, timings: dict[str, float]
) -> tuple[str | None, bool]:
    """Store the email (a dry run: only its usage) and close the item; returns the email id and whether it was a dry
    run."""
    item = await session.get(QueueItem, item_id, populate_existing=True)
    if item is None:
        raise JobCancelled(item_id)
    email_id = None
    if item.dry_run:
        session.add_all(usage_rows(result.usage, item=item, email_id=None))
    else:
        email_id = (await store_result(session, item=item, result=result, timings=timings)).id
    changed = await session.execute(
        update(QueueItem)
        .where(QueueItem.id == item_id, QueueItem.status.in_(ACTIVE_STATUSES))
        .values(
            status=result.status,
            email_id=email_id,
            current_step=None,
            step_timings=timings,
            step_results=None,
            error_message=None,
            completed_at=utcnow(),
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(changed, "rowcount", 0) != 1:
        raise JobCancelled(item_id)
    return email_id, item.dry_run
