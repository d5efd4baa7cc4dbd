"""The queue: fair positions, progress, cancel (pending and running), retry (failed and cancelled), transient
failures retried with backoff, and the SSE stream of snapshots."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from httpx_sse import EventSource, ServerSentEvent
from sqlalchemy import select

from scriptorium.app import create_app
from scriptorium.core.errors import UpstreamError, ValidationFailed
from scriptorium.core.jobs import Job
from scriptorium.scribe import generation as jobs
from scriptorium.scribe.models import Email, QueueItem
from tests.scribe.api.conftest import CHEN, GENERAL, OKAFOR, RESEARCH, ScribeApi
from tests.sse import sse_events
from tests.twins.scholarly import ScholarlyTwin
from tests.twins.server import serve_in_thread

PEOPLE = [{"recipient_name": f"Person {n}", "recipient_interest": "soil microbiology"} for n in range(4)]


async def queue_of(api: ScribeApi, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in (await api.client.get("/api/queue/", headers=headers)).json()}


async def job_status(api: ScribeApi, item_id: str) -> str:
    async with api.resources.sessionmaker() as session:
        item = await session.get(QueueItem, item_id)
        assert item is not None
        job = await session.get(Job, item.job_id)
        assert job is not None
        return job.status


async def test_positions_follow_the_fair_order_across_users(scribe_api: ScribeApi) -> None:
    big = await scribe_api.user()
    small = await scribe_api.user()
    batch = await scribe_api.client.post(
        "/api/queue/batch", json={"email_template": GENERAL, "items": PEOPLE}, headers=big.headers
    )
    single = await scribe_api.client.post(
        "/api/email/generate", json={"email_template": GENERAL, **OKAFOR}, headers=small.headers
    )
    big_queue = await queue_of(scribe_api, big.headers)
    small_queue = await queue_of(scribe_api, small.headers)
    assert [big_queue[i]["position"] for i in batch.json()["queue_item_ids"]] == [1, 3, 4, 5]
    assert small_queue[single.json()["task_id"]]["position"] == 2  # not behind the whole batch
    assert all(item["progress"] == 0 and item["status"] == "pending" for item in big_queue.values())


async def test_cancelling_a_pending_item_means_it_never_runs(scribe_api: ScribeApi) -> None:
    me = await scribe_api.user()
    ids = (
        await scribe_api.client.post(
            "/api/queue/batch", json={"email_template": GENERAL, "items": PEOPLE[:2]}, headers=me.headers
        )
    ).json()["queue_item_ids"]
    cancelled = await scribe_api.client.delete(f"/api/queue/{ids[0]}", headers=me.headers)
    assert cancelled.json() == {"message": "Queue item cancelled", "id": ids[0], "status": "cancelled"}
    assert await scribe_api.drain() == 1
    queue = await queue_of(scribe_api, me.headers)
    assert queue[ids[0]]["status"] == "cancelled"
    assert queue[ids[0]]["email_id"] is None
    assert queue[ids[1]]["status"] in {"completed", "needs_review"}
    assert await job_status(scribe_api, ids[0]) == "cancelled"
    again = await scribe_api.client.delete(f"/api/queue/{ids[1]}", headers=me.headers)
    assert again.status_code == 409  # a finished item cannot be cancelled


async def test_cancelling_a_running_item_stops_it_before_the_next_step(
    scribe_api: ScribeApi, scholarly_twin: ScholarlyTwin
) -> None:
    me = await scribe_api.user()
    scholarly_twin.latency["openalex.authors"] = 1.5
    task_id = (
        await scribe_api.client.post(
            "/api/email/generate", json={"email_template": RESEARCH, **CHEN}, headers=me.headers
        )
    ).json()["task_id"]
    drain = asyncio.create_task(scribe_api.drain())
    for _ in range(100):
        item = (await queue_of(scribe_api, me.headers))[task_id]
        if item["current_step"] == "research":
            break
        await asyncio.sleep(0.05)
    assert item["status"] == "processing"
    assert 0 < item["progress"] < 1
    assert (await scribe_api.client.delete(f"/api/queue/{task_id}", headers=me.headers)).status_code == 200
    await drain
    item = (await queue_of(scribe_api, me.headers))[task_id]
    assert item["status"] == "cancelled"
    assert item["current_step"] == "research"  # it never reached "papers"
    assert await scribe_api.count(Email) == 0
    assert scholarly_twin.requests_to("arxiv") == []
    status = (await scribe_api.client.get(f"/api/email/status/{task_id}", headers=me.headers)).json()
    assert status["status"] == "REVOKED"


async def test_a_permanent_failure_is_shown_then_retry_succeeds(
    scribe_api: ScribeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    me = await scribe_api.user()
    real = jobs.run_pipeline

    async def refuse(*args: Any, **kwargs: Any) -> Any:
        raise ValidationFailed("the profile page is not a web page", field="profile_urls")

    monkeypatch.setattr(jobs, "run_pipeline", refuse)
    task_id = (
        await scribe_api.client.post(
            "/api/email/generate", json={"email_template": GENERAL, **OKAFOR}, headers=me.headers
        )
    ).json()["task_id"]
    await scribe_api.drain()
    status = (await scribe_api.client.get(f"/api/email/status/{task_id}", headers=me.headers)).json()
    assert status["status"] == "FAILURE"
    assert status["error"] == "the profile page is not a web page"
    assert (await queue_of(scribe_api, me.headers))[task_id]["error_message"] == "the profile page is not a web page"

    monkeypatch.setattr(jobs, "run_pipeline", real)
    retried = await scribe_api.client.post(f"/api/queue/{task_id}/retry", headers=me.headers)
    assert retried.status_code == 200
    assert retried.json()["status"] == "pending"
    assert retried.json()["error_message"] is None
    await scribe_api.drain()
    assert (await queue_of(scribe_api, me.headers))[task_id]["status"] == "completed"
    assert (await scribe_api.client.post(f"/api/queue/{task_id}/retry", headers=me.headers)).status_code == 409


async def test_a_transient_failure_waits_and_retries_with_backoff(
    scribe_api: ScribeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    me = await scribe_api.user()
    real = jobs.run_pipeline
    calls = 0

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise UpstreamError("the research service is busy", service="openalex", transient=True)
        return await real(*args, **kwargs)

    monkeypatch.setattr(jobs, "run_pipeline", flaky)
    task_id = (
        await scribe_api.client.post(
            "/api/email/generate", json={"email_template": GENERAL, **OKAFOR}, headers=me.headers
        )
    ).json()["task_id"]
    await scribe_api.drain()
    item = (await queue_of(scribe_api, me.headers))[task_id]
    assert item["status"] == "pending"
    assert item["error_message"] == "the research service is busy (will retry)"
    assert await scribe_api.drain() == 0  # backing off: not claimable yet
    await asyncio.sleep(1.2)
    assert await scribe_api.drain() == 1
    item = (await queue_of(scribe_api, me.headers))[task_id]
    assert item["status"] == "completed"
    assert item["attempts"] == 2
    assert item["error_message"] is None


def events(text: str) -> list[tuple[str, str]]:
    return [(event.event, event.data) for event in sse_events(text)]


async def test_stream_until_done_sends_a_snapshot_then_done(scribe_api: ScribeApi) -> None:
    me = await scribe_api.user()
    ids = [i["id"] for i in await scribe_api.submit_and_finish(me, GENERAL, OKAFOR, PEOPLE[0])]
    response = await scribe_api.client.get("/api/queue/stream?until_done=true", headers=me.headers)
    assert response.headers["content-type"].startswith("text/event-stream")
    received = events(response.text)
    assert [kind for kind, _ in received] == ["snapshot", "done"]
    snapshot = json.loads(received[0][1])
    assert [item["id"] for item in snapshot] == ids
    assert all(item["progress"] == 1.0 for item in snapshot)


async def test_live_stream_pushes_changes_and_stops_when_the_client_leaves(
    scribe_settings: Any,
) -> None:
    settings = scribe_settings(auth_mode="none", run_consumer_in_process=False)
    from tests.migrated_template import migrate

    migrate(settings)
    with serve_in_thread(create_app(settings)) as base:
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            async with http.stream("GET", "/api/queue/stream") as stream:
                events = EventSource(stream).aiter_sse()
                first = await _next_event(events)
                assert first == ("snapshot", "[]")
                created = await http.post("/api/email/generate", json={"email_template": GENERAL, **OKAFOR})
                assert created.status_code == 202
                kind, data = await _next_event(events)
                assert kind == "snapshot"
                assert [item["id"] for item in json.loads(data)] == [created.json()["task_id"]]
            # The client left; the server keeps serving and a new stream starts fresh.
            assert (await http.get("/api/queue/")).status_code == 200
            async with http.stream("GET", "/api/queue/stream") as again:
                kind, data = await _next_event(EventSource(again).aiter_sse())
                assert json.loads(data)[0]["status"] == "pending"


async def _next_event(events: AsyncIterator[ServerSentEvent]) -> tuple[str, str]:
    async with asyncio.timeout(10):
        async for event in events:
            return event.event, event.data
    raise AssertionError("stream ended")


async def test_queue_status_changes_are_fenced(scribe_api: ScribeApi) -> None:
    """A late progress write cannot bring a cancelled item back to processing."""
    me = await scribe_api.user()
    task_id = (
        await scribe_api.client.post(
            "/api/email/generate", json={"email_template": GENERAL, **OKAFOR}, headers=me.headers
        )
    ).json()["task_id"]
    await scribe_api.client.delete(f"/api/queue/{task_id}", headers=me.headers)
    async with scribe_api.resources.sessionmaker() as session:
        item = (await session.scalars(select(QueueItem).where(QueueItem.id == task_id))).one()
        job_id = item.job_id
    from scriptorium.core.jobs import JobCancelled, JobContext

    ctx = JobContext(
        job_id=job_id,
        kind="scribe.generate",
        payload={"queue_item_id": task_id},
        attempt=1,
        token="stale",
        sessionmaker=scribe_api.resources.sessionmaker,
        resources=scribe_api.resources,
    )
    with pytest.raises(JobCancelled):
        await jobs.StepTracker(ctx, task_id).begin()
    assert (await queue_of(scribe_api, me.headers))[task_id]["status"] == "cancelled"
