"""The durable job system: claims, fairness, leases, fencing, retries, cancellation, reclaim."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from scriptorium.core import jobs
from scriptorium.core.db import transaction, utcnow
from scriptorium.core.errors import SourceError, ValidationFailed
from scriptorium.core.jobs import Job, JobContext, JobRunner, Registry, RetryLater, store
from scriptorium.core.resources import Resources, open_resources
from scriptorium.core.settings import Settings


@pytest.fixture
async def resources(migrated: Settings) -> AsyncIterator[Resources]:
    async with open_resources(migrated) as res:
        yield res


def runner_for(resources: Resources, registry: Registry, *, concurrency: int = 4, lease: float = 30) -> JobRunner:
    return JobRunner(
        sessionmaker=resources.sessionmaker,
        resources=resources,
        lease_seconds=lease,
        concurrency=concurrency,
        job_registry=registry,
    )


async def add_jobs(resources: Resources, specs: list[tuple[str, str]], kind: str = "t.echo") -> list[str]:
    """Submit (fair_key, label) jobs in order, one transaction each so created_at increases."""
    ids = []
    for fair_key, label in specs:
        async with transaction(resources.sessionmaker) as session:
            job = jobs.submit(session, kind=kind, payload={"label": label}, fair_key=fair_key)
        ids.append(job.id)
    return ids


async def status_of(resources: Resources, job_id: str) -> Job:
    async with resources.sessionmaker() as session:
        job = await session.get(Job, job_id)
        assert job is not None
        return job


async def test_fair_order_interleaves_users_instead_of_draining_one_batch(resources: Resources) -> None:
    registry = Registry()
    order: list[str] = []

    @registry.handler("t.echo")
    async def echo(ctx: JobContext) -> None:
        order.append(ctx.payload["label"])

    await add_jobs(resources, [("alice", f"a{i}") for i in range(5)] + [("bob", "b0"), ("bob", "b1")])
    ran = await runner_for(resources, registry, concurrency=1).drain()
    assert ran == 7
    assert order[:4] == ["a0", "b0", "a1", "b1"]
    assert sorted(order) == sorted(["a0", "a1", "a2", "a3", "a4", "b0", "b1"])


async def test_running_jobs_count_against_their_owner_in_fairness(resources: Resources) -> None:
    await add_jobs(resources, [("alice", "a0"), ("alice", "a1"), ("bob", "b0")])
    async with resources.sessionmaker() as session:
        first = await store.claim_next(session, kinds=["t.echo"], lease_seconds=30)
        second = await store.claim_next(session, kinds=["t.echo"], lease_seconds=30)
    assert first is not None and second is not None
    assert (first.payload["label"], second.payload["label"]) == ("a0", "b0")


async def test_a_job_is_claimed_by_exactly_one_of_many_concurrent_claimers(resources: Resources) -> None:
    await add_jobs(resources, [("u", "only")])

    async def claim() -> Job | None:
        async with resources.sessionmaker() as session:
            return await store.claim_next(session, kinds=["t.echo"], lease_seconds=30)

    claimed = [job for job in await asyncio.gather(*(claim() for _ in range(8))) if job is not None]
    assert len(claimed) == 1
    assert claimed[0].attempts == 1


async def test_completion_is_fenced_by_the_lease_token(resources: Resources) -> None:
    [job_id] = await add_jobs(resources, [("u", "x")])
    async with resources.sessionmaker() as session:
        job = await store.claim_next(session, kinds=["t.echo"], lease_seconds=30)
    assert job is not None and job.lease_token
    async with resources.sessionmaker() as session:
        with pytest.raises(store.LeaseLost):
            await store.complete(session, job_id=job_id, token="someone-else")
    async with transaction(resources.sessionmaker) as session:
        await store.complete(session, job_id=job_id, token=job.lease_token, result={"ok": True})
    done = await status_of(resources, job_id)
    assert (done.status, done.result) == ("done", {"ok": True})


async def test_effects_and_completion_roll_back_together_when_the_lease_was_lost(resources: Resources) -> None:
    registry = Registry()

    @registry.handler("t.echo")
    async def steal_then_finish(ctx: JobContext) -> None:
        async with resources.sessionmaker() as session:  # another worker reclaimed it meanwhile
            await session.execute(update(Job).where(Job.id == ctx.job_id).values(lease_token="thief"))
            await session.commit()
        async with transaction(resources.sessionmaker) as session:
            job = await session.get(Job, ctx.job_id)
            assert job is not None
            job.error = "effect that must not survive"
            await ctx.complete(session)

    [job_id] = await add_jobs(resources, [("u", "x")])
    await runner_for(resources, registry).drain()
    job = await status_of(resources, job_id)
    assert job.status == "running" and job.lease_token == "thief"
    assert job.error is None


async def test_expired_lease_is_reclaimed_and_the_job_runs_again(resources: Resources) -> None:
    [job_id] = await add_jobs(resources, [("u", "x")])
    async with resources.sessionmaker() as session:
        job = await store.claim_next(session, kinds=["t.echo"], lease_seconds=30)
        assert job is not None
        assert await store.reclaim_expired(session) == []
        lapsed = await store.reclaim_expired(session, now=utcnow() + timedelta(seconds=31))
        assert [(entry.job_id, entry.claimed_by) for entry in lapsed] == [(job.id, store.worker_name())]
    reclaimed = await status_of(resources, job_id)
    assert (reclaimed.status, reclaimed.lease_token) == ("pending", None)


async def test_transient_errors_retry_with_backoff_then_succeed(resources: Resources) -> None:
    registry = Registry()
    attempts: list[int] = []

    @registry.handler("t.echo")
    async def flaky(ctx: JobContext) -> None:
        attempts.append(ctx.attempt)
        if ctx.attempt == 1:
            raise SourceError("arXiv timed out", service="arxiv", transient=True)

    [job_id] = await add_jobs(resources, [("u", "x")])
    runner = runner_for(resources, registry)
    await runner.drain()
    waiting = await status_of(resources, job_id)
    assert waiting.status == "pending" and waiting.not_before is not None
    assert waiting.error == "arXiv timed out"
    async with resources.sessionmaker() as session:
        await session.execute(update(Job).values(not_before=utcnow()))
        await session.commit()
    await runner.drain()
    assert attempts == [1, 2]
    assert (await status_of(resources, job_id)).status == "done"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        pytest.param(ValidationFailed("template is empty"), "template is empty", id="permanent-error-message-kept"),
        pytest.param(KeyError("secret internals"), jobs.runner.GENERIC_FAILURE, id="unexpected-error-hidden"),
    ],
)
async def test_failures_end_with_a_message_a_user_can_read(
    resources: Resources, error: Exception, expected: str
) -> None:
    registry = Registry()
    hooked: list[str] = []

    async def on_failure(_: object, job: Job, message: str) -> None:
        hooked.append(message)

    @registry.handler("t.echo", on_failure=on_failure)
    async def broken(ctx: JobContext) -> None:
        raise error

    [job_id] = await add_jobs(resources, [("u", "x")])
    async with resources.sessionmaker() as session:
        await session.execute(update(Job).values(max_attempts=1))
        await session.commit()
    await runner_for(resources, registry).drain()
    job = await status_of(resources, job_id)
    assert (job.status, job.error) == ("failed", expected)
    assert hooked == [expected]
    assert "secret internals" not in (job.error or "")


async def test_retry_later_exhausts_attempts_and_fails(resources: Resources) -> None:
    registry = Registry()

    @registry.handler("t.echo")
    async def always_later(ctx: JobContext) -> None:
        raise RetryLater("provider busy")

    [job_id] = await add_jobs(resources, [("u", "x")])
    runner = runner_for(resources, registry)
    for _ in range(3):
        async with resources.sessionmaker() as session:
            await session.execute(update(Job).values(not_before=None))
            await session.commit()
        await runner.drain()
    job = await status_of(resources, job_id)
    assert (job.status, job.attempts, job.error) == ("failed", 3, "provider busy")


async def test_cancelling_a_running_job_stops_it_before_its_next_step(resources: Resources) -> None:
    registry = Registry()
    steps: list[int] = []
    started = asyncio.Event()
    proceed = asyncio.Event()

    @registry.handler("t.echo")
    async def stepped(ctx: JobContext) -> None:
        for step in range(3):
            await ctx.check_cancelled()
            steps.append(step)
            started.set()
            await proceed.wait()

    [job_id] = await add_jobs(resources, [("u", "x")])
    drain = asyncio.create_task(runner_for(resources, registry).drain())
    await started.wait()
    async with transaction(resources.sessionmaker) as session:
        assert await jobs.cancel(session, job_id=job_id)
    proceed.set()
    await drain
    assert steps == [0]
    assert (await status_of(resources, job_id)).status == "cancelled"


async def test_failed_job_can_be_requeued_with_a_fresh_budget(resources: Resources) -> None:
    [job_id] = await add_jobs(resources, [("u", "x")])
    async with transaction(resources.sessionmaker) as session:
        await session.execute(update(Job).values(status="failed", attempts=3, error="boom"))
    async with transaction(resources.sessionmaker) as session:
        assert await jobs.requeue(session, job_id=job_id)
        assert not await jobs.requeue(session, job_id=job_id)
    job = await status_of(resources, job_id)
    assert (job.status, job.attempts, job.error) == ("pending", 0, None)


async def test_concurrency_limit_is_respected(resources: Resources) -> None:
    registry = Registry()
    running = 0
    peak = 0

    @registry.handler("t.echo")
    async def slow(ctx: JobContext) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1

    await add_jobs(resources, [(f"u{i}", str(i)) for i in range(9)])
    runner = runner_for(resources, registry, concurrency=3)
    await asyncio.gather(*(runner.drain() for _ in range(6)))
    assert peak == 3
    async with resources.sessionmaker() as session:
        statuses = set((await session.execute(select(Job.status))).scalars())
    assert statuses == {"done"}


async def test_heartbeat_keeps_a_long_job_from_being_reclaimed(resources: Resources) -> None:
    registry = Registry()

    @registry.handler("t.echo")
    async def long(ctx: JobContext) -> None:
        await asyncio.sleep(1.2)
        async with resources.sessionmaker() as session:
            assert await store.reclaim_expired(session) == []

    [job_id] = await add_jobs(resources, [("u", "x")])
    await runner_for(resources, registry, lease=0.6).drain()
    assert (await status_of(resources, job_id)).status == "done"


async def test_doorbell_runs_jobs_through_huey_consumer_threads(
    make_settings: Callable[..., Settings],
) -> None:
    from scriptorium.migrations import upgrade

    settings = make_settings(job_backend="sqlite")
    upgrade(settings)
    registry = Registry()
    done = asyncio.Event()

    @registry.handler("t.echo")
    async def mark(ctx: JobContext) -> None:
        done.set()

    async with open_resources(settings) as resources:
        runner = runner_for(resources, registry)
        runner.notify = resources.queue.notify
        resources.runner = runner
        resources.queue.attach(runner, asyncio.get_running_loop())
        resources.queue.start_consumer(2)
        await add_jobs(resources, [("u", "x")])
        await resources.queue.notify(1)
        await asyncio.wait_for(done.wait(), timeout=10)


async def burst_of_claims(resources: Resources, *, jobs_count: int, claimers: int) -> list[Job | None]:
    await add_jobs(resources, [(f"u{i % 7}", str(i)) for i in range(jobs_count)])

    async def claim() -> Job | None:
        async with resources.sessionmaker() as session:
            return await store.claim_next(session, kinds=["t.echo"], lease_seconds=30)

    return list(await asyncio.gather(*(claim() for _ in range(claimers))))


async def test_a_burst_of_claimers_each_gets_a_distinct_job_while_work_waits(resources: Resources) -> None:
    claimed = await burst_of_claims(resources, jobs_count=40, claimers=16)
    assert all(job is not None for job in claimed)
    assert len({job.id for job in claimed if job}) == 16


@pytest.mark.postgres
async def test_a_burst_of_claimers_on_postgres_never_comes_back_empty(make_settings: Callable[..., Settings]) -> None:
    from scriptorium.migrations import upgrade
    from tests.services import fresh_postgres_schema

    with fresh_postgres_schema() as url:
        settings = make_settings(database_url=url, db_pool_size=20)
        upgrade(settings)
        async with open_resources(settings) as resources:
            claimed = await burst_of_claims(resources, jobs_count=100, claimers=32)
    assert all(job is not None for job in claimed)
    assert len({job.id for job in claimed if job}) == 32


async def test_a_database_outage_logs_down_a_reminder_and_back_not_a_line_per_sweep(
    resources: Resources, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from sqlalchemy.exc import OperationalError

    from scriptorium.core.outages import state_of

    runner = runner_for(resources, Registry(), lease=1)  # a sweep every 0.5 s
    monkeypatch.setattr(state_of("database"), "remind_seconds", 1.2)  # a reminder every ~2 sweeps, not a minute
    outage = {"on": True}
    real_sweep = runner.sweep
    sweeps = 0

    async def sweep() -> int:
        nonlocal sweeps
        sweeps += 1
        if outage["on"]:
            raise OperationalError("SELECT 1", {}, ConnectionRefusedError("database restarting"))
        return await real_sweep()

    monkeypatch.setattr(runner, "sweep", sweep)
    caplog.set_level("WARNING")

    def said(text: str) -> bool:
        return any(record.getMessage() == text for record in caplog.records)

    async def until(condition: Callable[[], bool]) -> None:
        for _ in range(300):
            if condition():
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"log never showed it: {[r.getMessage() for r in caplog.records]}")

    task = asyncio.create_task(runner.sweep_forever())
    try:
        await until(lambda: said("database still unreachable"))
        outage["on"] = False
        await until(lambda: said("database reachable again"))
    finally:
        runner._stopping = True
        task.cancel()
    # The redaction filter (core/telemetry.py) may already have turned exc_info into a redacted exc_text.
    messages = [
        (r.getMessage(), bool(r.exc_info or r.exc_text)) for r in caplog.records if "database" in r.getMessage()
    ]
    assert messages[0] == ("database unreachable", False), "a known outage is not a bug: no traceback"
    assert messages[-1] == ("database reachable again", False)
    assert len(messages) < sweeps, "fewer lines than failed sweeps"


async def test_a_sweep_failing_for_an_unknown_reason_logs_its_traceback_once(
    resources: Resources, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    runner = runner_for(resources, Registry(), lease=1)
    failures = 0

    async def sweep() -> int:
        nonlocal failures
        failures += 1
        if failures >= 4:
            runner._stopping = True
        raise ValueError("a bug, not an outage")

    monkeypatch.setattr(runner, "sweep", sweep)
    caplog.set_level("WARNING")
    await asyncio.wait_for(runner.sweep_forever(), timeout=60)
    traces = [r for r in caplog.records if r.exc_info or r.exc_text]
    assert [r.getMessage() for r in traces] == ["job sweep failed; will retry"]
