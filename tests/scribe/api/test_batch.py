"""Batches are all-or-nothing, duplicates are flagged (and optionally skipped), and the daily quota answers 429."""

from __future__ import annotations

from typing import Any

import pytest

from scriptorium.core.jobs import Job
from scriptorium.scribe import submit
from scriptorium.scribe.models import QueueItem, Recipient
from tests.scribe.api.conftest import GENERAL, OKAFOR, ScribeApi

PEOPLE = [{"recipient_name": f"Person {letter}", "recipient_interest": "soil microbiology"} for letter in "ABCDE"]


async def test_a_failure_mid_batch_writes_nothing(scribe_api: ScribeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    me = await scribe_api.user()
    real_enqueue = submit.enqueue
    calls = 0

    async def failing_third(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("disk full")
        return await real_enqueue(*args, **kwargs)

    monkeypatch.setattr(submit, "enqueue", failing_third)
    response = await scribe_api.client.post(
        "/api/queue/batch", json={"email_template": GENERAL, "items": PEOPLE}, headers=me.headers
    )
    assert response.status_code == 500
    assert "disk full" not in response.text
    assert calls == 3  # two items and their jobs were already added to the transaction when it failed
    assert await scribe_api.count(QueueItem) == 0
    assert await scribe_api.count(Job) == 0
    assert await scribe_api.count(Recipient) == 0

    monkeypatch.setattr(submit, "enqueue", real_enqueue)
    retried = await scribe_api.client.post(
        "/api/queue/batch", json={"email_template": GENERAL, "items": PEOPLE}, headers=me.headers
    )
    assert retried.status_code == 201
    assert await scribe_api.count(QueueItem) == 5
    assert await scribe_api.count(Job) == 5


async def test_duplicates_in_a_batch_and_recent_recipients_are_flagged(scribe_api: ScribeApi) -> None:
    me = await scribe_api.user()
    await scribe_api.submit_and_finish(me, GENERAL, OKAFOR)
    items = [
        {"recipient_name": "Tomas Okafor", "recipient_interest": "engineering education"},  # emailed already
        {"recipient_name": "Grace Hopper", "recipient_interest": "compilers", "recipient_email": "GH@navy.mil"},
        {
            "recipient_name": "Rear Admiral Grace Hopper",
            "recipient_interest": "compilers",
            "recipient_email": "gh@navy.mil",
        },
        {"recipient_name": "Prof. Alan  Turing, PhD", "recipient_interest": "computability"},
        {"recipient_name": "alan turing", "recipient_interest": "morphogenesis"},
    ]
    response = await scribe_api.client.post(
        "/api/queue/batch", json={"email_template": GENERAL, "items": items}, headers=me.headers
    )
    assert response.status_code == 201
    body = response.json()
    flags = {(f["index"], f["reason"]): f for f in body["duplicates"]}
    assert set(flags) == {(0, "recently_emailed"), (2, "in_batch"), (4, "in_batch")}
    assert flags[(2, "in_batch")]["first_index"] == 1
    assert flags[(4, "in_batch")]["first_index"] == 3
    assert flags[(0, "recently_emailed")]["previous_email_id"] is not None
    assert len(body["queue_item_ids"]) == 5  # flagged, not dropped: the user decides
    assert await scribe_api.count(Recipient) == 3  # Okafor, Hopper (by address) and Turing (by name)


async def test_skip_duplicates_queues_only_new_people(scribe_api: ScribeApi) -> None:
    me = await scribe_api.user()
    await scribe_api.submit_and_finish(me, GENERAL, OKAFOR)
    items = [OKAFOR, PEOPLE[0], PEOPLE[0]]
    response = await scribe_api.client.post(
        "/api/queue/batch",
        json={"email_template": GENERAL, "items": items, "skip_duplicates": True},
        headers=me.headers,
    )
    body = response.json()
    assert body["skipped"] == [0, 2]
    assert len(body["queue_item_ids"]) == 1
    assert body["message"] == "Successfully queued 1 items"


async def test_recently_emailed_window_is_a_setting(scribe_api_factory: Any) -> None:
    async with scribe_api_factory(scribe_dedupe_days=0) as api:
        me = await api.user()
        await api.submit_and_finish(me, GENERAL, OKAFOR)
        check = await api.client.post("/api/recipients/check", json={"items": [OKAFOR]}, headers=me.headers)
        assert check.json()["duplicates"] == []


async def test_daily_quota_answers_429_with_retry_after(scribe_api_factory: Any) -> None:
    async with scribe_api_factory(scribe_daily_quota=3) as api:
        me = await api.user()
        other = await api.user()
        ok = await api.client.post(
            "/api/queue/batch", json={"email_template": GENERAL, "items": PEOPLE[:2]}, headers=me.headers
        )
        assert ok.status_code == 201
        too_many = await api.client.post(
            "/api/queue/batch", json={"email_template": GENERAL, "items": PEOPLE[2:4]}, headers=me.headers
        )
        assert too_many.status_code == 429
        assert too_many.json()["code"] == "rate_limited"
        retry_after = int(too_many.headers["Retry-After"])
        assert 0 < retry_after <= 24 * 3600
        assert await api.count(QueueItem) == 2  # the refused batch wrote nothing
        single = await api.client.post(
            "/api/email/generate", json={"email_template": GENERAL, **PEOPLE[2]}, headers=me.headers
        )
        assert single.status_code == 202  # exactly the third
        last = await api.client.post(
            "/api/email/generate", json={"email_template": GENERAL, **PEOPLE[3]}, headers=me.headers
        )
        assert last.status_code == 429
        theirs = await api.client.post(
            "/api/email/generate", json={"email_template": GENERAL, **PEOPLE[3]}, headers=other.headers
        )
        assert theirs.status_code == 202  # quotas are per user
        profile = (await api.client.get("/api/user/profile", headers=me.headers)).json()
        assert profile["quota"]["used_today"] == 3
        assert profile["quota"]["remaining"] == 0


async def test_cancelled_items_give_their_quota_back(scribe_api_factory: Any) -> None:
    async with scribe_api_factory(scribe_daily_quota=1) as api:
        me = await api.user()
        first = await api.client.post(
            "/api/email/generate", json={"email_template": GENERAL, **PEOPLE[0]}, headers=me.headers
        )
        assert (await api.client.delete(f"/api/queue/{first.json()['task_id']}", headers=me.headers)).status_code == 200
        second = await api.client.post(
            "/api/email/generate", json={"email_template": GENERAL, **PEOPLE[1]}, headers=me.headers
        )
        assert second.status_code == 202
        retry = await api.client.post(f"/api/queue/{first.json()['task_id']}/retry", headers=me.headers)
        assert retry.status_code == 429  # retrying a cancelled item costs a new email


async def test_namesakes_at_different_institutions_are_different_people(scribe_api: ScribeApi) -> None:
    from tests.scribe.api.conftest import CHEN, CHEN_BOOK, RESEARCH

    me = await scribe_api.user()
    response = await scribe_api.client.post(
        "/api/queue/batch", json={"email_template": RESEARCH, "items": [CHEN, CHEN_BOOK]}, headers=me.headers
    )
    assert response.json()["duplicates"] == []
    assert await scribe_api.count(Recipient) == 2
    await scribe_api.drain()
    queue = (await scribe_api.client.get("/api/queue/", headers=me.headers)).json()
    emails = {
        item["recipient_interest"]: (
            await scribe_api.client.get(f"/api/email/{item['email_id']}", headers=me.headers)
        ).json()
        for item in queue
    }
    assert "protein folding intermediates" in emails["protein folding"]["email_message"]
    medieval = emails["medieval manuscripts"]
    assert "protein" not in medieval["email_message"]  # each was researched with their own interest
    assert "Eastmarch University" in medieval["email_message"]
    again = await scribe_api.client.post("/api/recipients/check", json={"items": [CHEN_BOOK]}, headers=me.headers)
    assert [flag["reason"] for flag in again.json()["duplicates"]] == ["recently_emailed"]
