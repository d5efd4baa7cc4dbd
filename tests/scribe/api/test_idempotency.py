"""`Idempotency-Key` on the submit routes (issue 11, finding 2): a client's retry after a network error is safe.

The retry sends the same key: if the first request committed, its answer comes back and nothing is queued twice;
the same key with another body is refused; without a key the routes behave as before.
"""

from __future__ import annotations

from typing import Any

import pytest

from scriptorium.core.jobs import Job
from scriptorium.core.models import IdempotencyKey
from scriptorium.scribe import submit
from scriptorium.scribe.models import QueueItem
from tests.scribe.api.conftest import GENERAL, ScribeApi

PEOPLE = [{"recipient_name": f"Person {letter}", "recipient_interest": "soil microbiology"} for letter in "ABC"]
BATCH = {"email_template": GENERAL, "items": PEOPLE}


async def test_the_same_key_twice_queues_one_batch_and_answers_the_same(scribe_api: ScribeApi) -> None:
    me = await scribe_api.user()
    headers = me.headers | {"Idempotency-Key": "batch-2026-12-07-0001"}
    first = await scribe_api.client.post("/api/queue/batch", json=BATCH, headers=headers)
    retry = await scribe_api.client.post("/api/queue/batch", json=BATCH, headers=headers)
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await scribe_api.count(QueueItem) == 3
    assert await scribe_api.count(Job) == 3


async def test_keys_are_per_user_and_per_route(scribe_api: ScribeApi) -> None:
    me, other = await scribe_api.user(), await scribe_api.user()
    key = {"Idempotency-Key": "shared-key-0001"}
    mine = await scribe_api.client.post("/api/queue/batch", json=BATCH, headers=me.headers | key)
    theirs = await scribe_api.client.post("/api/queue/batch", json=BATCH, headers=other.headers | key)
    single = await scribe_api.client.post(
        "/api/email/generate", json={"email_template": GENERAL, **PEOPLE[0]}, headers=me.headers | key
    )
    again = await scribe_api.client.post(
        "/api/email/generate", json={"email_template": GENERAL, **PEOPLE[0]}, headers=me.headers | key
    )
    assert (mine.status_code, theirs.status_code, single.status_code, again.status_code) == (201, 201, 202, 202)
    assert theirs.json()["queue_item_ids"] != mine.json()["queue_item_ids"]
    assert again.json() == single.json() and again.headers["idempotent-replayed"] == "true"
    assert await scribe_api.count(QueueItem) == 7


async def test_the_same_key_with_another_request_is_refused(scribe_api: ScribeApi) -> None:
    me = await scribe_api.user()
    headers = me.headers | {"Idempotency-Key": "reused-key-0001"}
    await scribe_api.client.post("/api/queue/batch", json=BATCH, headers=headers)
    other = await scribe_api.client.post(
        "/api/queue/batch", json={"email_template": GENERAL, "items": PEOPLE[:1]}, headers=headers
    )
    assert other.status_code == 422
    assert other.json()["field"] == "Idempotency-Key"
    assert await scribe_api.count(QueueItem) == 3


async def test_a_request_that_failed_stores_no_answer_so_its_retry_runs(
    scribe_api: ScribeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    me = await scribe_api.user()
    headers = me.headers | {"Idempotency-Key": "retry-after-failure-0001"}
    real_enqueue = submit.enqueue
    calls = 0

    async def failing_second(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("disk full")
        return await real_enqueue(*args, **kwargs)

    monkeypatch.setattr(submit, "enqueue", failing_second)
    failed = await scribe_api.client.post("/api/queue/batch", json=BATCH, headers=headers)
    assert failed.status_code == 500
    assert await scribe_api.count(IdempotencyKey) == 0  # rolled back with the work
    monkeypatch.setattr(submit, "enqueue", real_enqueue)
    retried = await scribe_api.client.post("/api/queue/batch", json=BATCH, headers=headers)
    assert retried.status_code == 201 and "idempotent-replayed" not in retried.headers
    assert await scribe_api.count(QueueItem) == 3


@pytest.mark.parametrize("key", ["", "x" * 201, "has space", "tab\\there"])
async def test_malformed_keys_are_422(scribe_api: ScribeApi, key: str) -> None:
    me = await scribe_api.user()
    response = await scribe_api.client.post(
        "/api/queue/batch", json=BATCH, headers=me.headers | {"Idempotency-Key": key.replace("\\t", "\t")}
    )
    assert response.status_code == 422
    assert await scribe_api.count(QueueItem) == 0
