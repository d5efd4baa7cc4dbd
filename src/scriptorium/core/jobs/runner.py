"""Runs claimed jobs on one asyncio loop: leases, heartbeats, retries, cancellation and the reclaim sweep.

Handlers are plain async functions registered by kind. They receive a `JobContext` and should call
`ctx.check_cancelled()` between steps and `ctx.complete(session)` inside the transaction that writes their final
effects, so a worker killed at any instant leaves either no effects (the job runs again) or effects plus a done
row (it never runs again).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scriptorium.core.errors import ScriptoriumError, UpstreamError
from scriptorium.core.jobs import store
from scriptorium.core.jobs.models import Job
from scriptorium.core.outages import outage_of, state_of

log = logging.getLogger(__name__)

GENERIC_FAILURE = "The job failed unexpectedly. It has been logged; try again, and report it if it repeats."


class JobCancelled(Exception):
    """Raised by `check_cancelled` when the job was cancelled or this worker lost it."""


class RetryLater(Exception):
    """Raise from a handler to retry the attempt after backoff (a transient problem)."""


@dataclass
class JobContext:
    """What a handler gets: its job's identity and payload, plus a way to stop and finish safely."""

    job_id: str
    kind: str
    payload: dict[str, Any]
    attempt: int
    token: str
    sessionmaker: async_sessionmaker[AsyncSession]
    resources: Any
    completed: bool = False

    async def check_cancelled(self) -> None:
        async with self.sessionmaker() as session:
            if await store.is_cancelled(session, job_id=self.job_id, token=self.token):
                raise JobCancelled(self.job_id)

    async def complete(self, session: AsyncSession, result: dict[str, Any] | None = None) -> None:
        """Mark done inside `session`'s transaction: commit it together with the job's effects."""
        await store.complete(session, job_id=self.job_id, token=self.token, result=result)
        self.completed = True


Handler = Callable[[JobContext], Awaitable[None]]
FailureHook = Callable[[Any, Job, str], Awaitable[None]]


@dataclass
class HandlerSpec:
    run: Handler
    on_failure: FailureHook | None = None


@dataclass
class Registry:
    """Handlers by job kind. Apps register theirs when their `jobs` module is imported."""

    handlers: dict[str, HandlerSpec] = field(default_factory=dict)

    def handler(self, kind: str, *, on_failure: FailureHook | None = None) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.handlers[kind] = HandlerSpec(run=fn, on_failure=on_failure)
            return fn

        return register


registry = Registry()


def backoff_seconds(attempt: int, *, base: float = 1.0, cap: float = 60.0) -> float:
    return float(min(cap, base * 2 ** max(0, attempt - 1)))


class JobRunner:
    """Claims and runs jobs until none are left; at most `concurrency` at once on this loop."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        resources: Any,
        lease_seconds: float,
        concurrency: int,
        notify: Callable[[int], Awaitable[None]] | None = None,
        kinds: list[str] | None = None,
        job_registry: Registry | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.resources = resources
        self.lease_seconds = lease_seconds
        self.registry = job_registry or registry
        self.kinds = kinds
        self.notify = notify
        self._slots = asyncio.Semaphore(concurrency)
        self._running: set[asyncio.Task[None]] = set()
        self._rings: set[asyncio.Future[None]] = set()
        self._stopping = False

    @property
    def active_kinds(self) -> list[str]:
        return self.kinds or sorted(self.registry.handlers)

    async def drain(self) -> int:
        """Run jobs until nothing is claimable; returns how many this call ran."""
        ran = 0
        while not self._stopping:
            async with self._slots:
                async with self.sessionmaker() as session:
                    job = await store.claim_next(session, kinds=self.active_kinds, lease_seconds=self.lease_seconds)
                if job is None:
                    return ran
                task = asyncio.current_task()
                if task is not None:
                    self._running.add(task)
                try:
                    await self._run(job)
                finally:
                    if task is not None:
                        self._running.discard(task)
            ran += 1
        return ran

    async def _run(self, job: Job) -> None:
        assert job.lease_token is not None
        spec = self.registry.handlers[job.kind]
        ctx = JobContext(
            job_id=job.id,
            kind=job.kind,
            payload=dict(job.payload),
            attempt=job.attempts,
            token=job.lease_token,
            sessionmaker=self.sessionmaker,
            resources=self.resources,
        )
        heartbeat = asyncio.create_task(self._heartbeat(ctx))
        try:
            await spec.run(ctx)
            if not ctx.completed:
                async with self.sessionmaker() as session, session.begin():
                    await ctx.complete(session)
        except asyncio.CancelledError:
            # Shutdown: hand the job straight back instead of waiting for the lease to lapse.
            async with self.sessionmaker() as session:
                await store.release(session, job_id=job.id, token=ctx.token)
            raise
        except (JobCancelled, store.LeaseLost):
            log.info("job stopped: cancelled or lease lost", extra={"job_id": job.id, "kind": job.kind})
        except (RetryLater, UpstreamError) as exc:
            transient = isinstance(exc, RetryLater) or getattr(exc, "transient", False)
            message = exc.public_message if isinstance(exc, ScriptoriumError) else str(exc) or "temporary failure"
            await self._retry_or_fail(job, ctx, spec, message, retry=transient)
        except ScriptoriumError as exc:
            await self._retry_or_fail(job, ctx, spec, exc.public_message, retry=False)
        except Exception:
            log.exception("job raised", extra={"job_id": job.id, "kind": job.kind})
            await self._retry_or_fail(job, ctx, spec, GENERIC_FAILURE, retry=True)
        finally:
            heartbeat.cancel()

    async def _retry_or_fail(self, job: Job, ctx: JobContext, spec: HandlerSpec, message: str, *, retry: bool) -> None:
        async with self.sessionmaker() as session:
            if retry:
                delay = backoff_seconds(ctx.attempt)
                requeued = await store.release_for_retry(
                    session, job_id=job.id, token=ctx.token, error=message, delay_seconds=delay
                )
                if requeued:
                    log.warning("job will retry", extra={"job_id": job.id, "attempt": ctx.attempt, "delay": delay})
                    if self.notify:
                        asyncio.get_running_loop().call_later(delay, self._ring_later)
                    return
            else:
                await store.fail(session, job_id=job.id, token=ctx.token, error=message)
            refreshed = await session.get(Job, job.id, populate_existing=True)
        if refreshed is not None and refreshed.status == "failed" and spec.on_failure is not None:
            await spec.on_failure(self.resources, refreshed, message)

    def _ring_later(self) -> None:
        if self.notify and not self._stopping:
            task = asyncio.ensure_future(self.notify(1))
            self._rings.add(task)
            task.add_done_callback(self._rings.discard)

    async def _heartbeat(self, ctx: JobContext) -> None:
        interval = max(0.2, self.lease_seconds / 3)
        while True:
            await asyncio.sleep(interval)
            try:
                async with self.sessionmaker() as session:
                    if not await store.renew(
                        session, job_id=ctx.job_id, token=ctx.token, lease_seconds=self.lease_seconds
                    ):
                        return
            except Exception:
                log.warning("lease renewal failed; will retry", exc_info=True)

    async def sweep(self) -> int:
        """Reclaim jobs of dead workers and ring for every claimable job; returns the claimable count."""
        async with self.sessionmaker() as session:
            reclaimed = await store.reclaim_expired(session)
            claimable = await store.claimable_count(session, kinds=self.active_kinds)
        for lapsed in reclaimed:
            log.warning(
                "reclaimed job %s (%s): the lease of %s lapsed",
                lapsed.job_id,
                lapsed.kind,
                lapsed.claimed_by or "an unknown worker",
                extra={"job_id": lapsed.job_id, "kind": lapsed.kind, "worker": lapsed.claimed_by},
            )
        if claimable and self.notify:
            await self.notify(claimable)
        return claimable

    async def sweep_forever(self) -> None:
        """Sweep every half lease. A sweep only talks to the database, so a failing sweep reports the database
        down (`core/outages.py`: one line, a reminder each minute, one line when it is back); an error that is not
        a known outage also logs its traceback once, since it may be a bug rather than a restart."""
        interval = max(0.5, self.lease_seconds / 2)
        database = state_of("database")
        traced = False
        while not self._stopping:
            try:
                await self.sweep()
            except Exception as exc:
                if outage_of(exc) is None and not traced:
                    traced = True
                    log.warning("job sweep failed; will retry", exc_info=True)
                database.failed(exc, during="job sweep")
            else:
                database.ok()
                traced = False
            await asyncio.sleep(interval)

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Stop claiming; cancel in-flight jobs and wait while they hand their leases back.

        Waiting matters: the hand-back writes to the database, which the caller closes right after this.
        """
        self._stopping = True
        tasks = [task for task in self._running if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=grace_seconds)
        for ring in list(self._rings):
            ring.cancel()
