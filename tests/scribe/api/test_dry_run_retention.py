"""Dry-run retention: submitting a dry run deletes the same user's finished dry runs older than
SCRIBE_DRY_RUN_RETENTION_DAYS (queue item, job and usage), and nothing else: not a real item, not a probe still
queued or running, not a recent one, not another user's. The daily dry-run cap still counts today's probes.
The same scenario runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from scriptorium.core.db import utcnow
from scriptorium.core.jobs import Job
from scriptorium.scribe import quota, retention
from scriptorium.scribe.models import DONE_STATUSES, Email, QueueItem, Usage
from tests.scribe.api.conftest import GENERAL, OKAFOR, Account, ScribeApi
from tests.scribe.api.test_dry_run import PROBE, generate
from tests.services import fresh_postgres_schema
from tests.twins.llm import OpenAITwin


async def probe(api: ScribeApi, me: Account) -> str:
    response = await generate(api, me, GENERAL, PROBE, dry_run=True)
    assert response.status_code == 202, response.text
    task_id: str = response.json()["task_id"]
    return task_id


async def age(api: ScribeApi, item_id: str, days: float) -> None:
    """Move an item (and its usage) `days` into the past, as if it had been submitted then."""
    then = utcnow() - timedelta(days=days)
    async with api.resources.sessionmaker() as session:
        await session.execute(update(QueueItem).where(QueueItem.id == item_id).values(created_at=then))
        await session.execute(update(Usage).where(Usage.queue_item_id == item_id).values(created_at=then))
        await session.commit()


async def job_of(api: ScribeApi, item_id: str) -> str:
    async with api.resources.sessionmaker() as session:
        item = await session.get(QueueItem, item_id)
        assert item is not None
        return item.job_id


async def set_states(api: ScribeApi, item_id: str, *, item: str, job: str) -> None:
    """Put an item and its job in the given states, as a worker would leave them at some instant."""
    job_id = await job_of(api, item_id)
    async with api.resources.sessionmaker() as session:
        await session.execute(update(QueueItem).where(QueueItem.id == item_id).values(status=item))
        await session.execute(update(Job).where(Job.id == job_id).values(status=job))
        await session.commit()


async def check_retention(api: ScribeApi) -> None:
    me, other = await api.user(), await api.user()
    expired = [await probe(api, me) for _ in range(2)]
    real = (await generate(api, me, GENERAL, OKAFOR)).json()["task_id"]
    recent = await probe(api, me)
    others = await probe(api, other)
    assert await api.drain() == 5
    assert await api.count(Usage, Usage.queue_item_id == expired[0]) > 0, "the probes spent tokens"
    queued = await probe(api, me)  # submitted, never run: its job is still pending
    running, failing, closing = [await probe(api, me) for _ in range(3)]
    await set_states(api, running, item="processing", job="running")  # mid-run
    await set_states(api, failing, item="processing", job="failed")  # the job failed, the item not yet marked
    await set_states(api, closing, item="failed", job="running")  # the item final, the job not: the job decides
    in_flight = [queued, running, failing, closing]
    for item_id in (*expired, real, others, *in_flight):
        await age(api, item_id, days=8)
    await age(api, recent, days=6)
    expired_jobs = [await job_of(api, item_id) for item_id in expired]
    kept = [real, recent, others, *in_flight]
    kept_jobs = [await job_of(api, item_id) for item_id in kept]
    real_usage = await api.count(Usage, Usage.queue_item_id == real)
    assert real_usage > 0

    fresh = await probe(api, me)  # this submission prunes

    assert await api.count(QueueItem, QueueItem.id.in_(expired)) == 0
    assert await api.count(Job, Job.id.in_(expired_jobs)) == 0
    assert await api.count(Usage, Usage.queue_item_id.in_(expired)) == 0
    assert await api.count(QueueItem, QueueItem.id.in_([*kept, fresh])) == len(kept) + 1
    assert await api.count(Job, Job.id.in_(kept_jobs)) == len(kept)
    assert await api.count(Usage, Usage.queue_item_id == real) == real_usage
    assert await api.count(Usage, Usage.queue_item_id.in_([recent, others])) > 0
    assert await api.count(Email, Email.queue_item_id == real) == 1
    # The probes left alone still finish normally: the pending one and the fresh one run now.
    assert await api.drain() == 2
    async with api.resources.sessionmaker() as session:
        for item_id in (queued, fresh):
            item = await session.get(QueueItem, item_id)
            assert item is not None and item.status in DONE_STATUSES
    assert (await api.client.get(f"/api/email/status/{real}", headers=me.headers)).json()["status"] == "SUCCESS"


async def test_submitting_a_dry_run_prunes_only_the_users_old_finished_dry_runs(
    scribe_api_factory: Any, openai_twin: OpenAITwin
) -> None:
    async with scribe_api_factory(chat_provider=openai_twin.chat_spec()) as api:  # a model, so probes have usage
        await check_retention(api)


@pytest.fixture
async def pg_api(scribe_api_factory: Any, openai_twin: OpenAITwin) -> AsyncIterator[ScribeApi]:
    with fresh_postgres_schema() as database_url:
        async with scribe_api_factory(
            profile="scale", database_url=database_url, job_backend="memory", chat_provider=openai_twin.chat_spec()
        ) as api:
            yield api


@pytest.mark.postgres
async def test_dry_run_retention_on_postgres(pg_api: ScribeApi) -> None:
    await check_retention(pg_api)


async def test_the_daily_cap_still_counts_todays_dry_runs_after_pruning(
    scribe_api_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(quota, "DRY_RUNS_PER_DAY", 3)
    async with scribe_api_factory(scribe_dry_run_retention_days=1) as api:  # the shortest retention there is
        me = await api.user()
        yesterday = await probe(api, me)
        today = [await probe(api, me) for _ in range(2)]
        assert await api.drain() == 3
        await age(api, yesterday, days=1.01)  # past the retention, and before today's start
        cancelled = await probe(api, me)  # the third of today: pruning ran, and counted nothing of today's away
        assert await api.count(QueueItem, QueueItem.id == yesterday) == 0
        assert await api.count(QueueItem, QueueItem.id.in_(today)) == 2
        assert (await api.client.delete(f"/api/queue/{cancelled}", headers=me.headers)).status_code == 200

        refused = await generate(api, me, GENERAL, PROBE, dry_run=True)
        assert refused.status_code == 429
        assert refused.json()["detail"].startswith("dry-run limit reached: 3 of 3 dry runs used today")


async def test_pruning_is_bounded_per_submission(scribe_api: ScribeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retention, "PRUNE_BATCH", 2)
    me = await scribe_api.user()
    old = [await probe(scribe_api, me) for _ in range(3)]
    assert await scribe_api.drain() == 3
    for n, item_id in enumerate(old):
        await age(scribe_api, item_id, days=30 - n)  # oldest first: old[0]
    await probe(scribe_api, me)
    assert await scribe_api.count(QueueItem, QueueItem.id.in_(old)) == 1
    assert await scribe_api.count(QueueItem, QueueItem.id == old[2]) == 1  # the newest of them waits its turn
    await probe(scribe_api, me)
    assert await scribe_api.count(QueueItem, QueueItem.id.in_(old)) == 0
