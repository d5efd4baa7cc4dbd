"""The same API on PostgreSQL: the queries that differ most between engines (fair positions with window
functions, search, aggregates, dedupe, the atomic batch) give the same answers as on SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from scriptorium.core.jobs import Job
from scriptorium.scribe import submit
from scriptorium.scribe.models import QueueItem
from tests.scribe.api.conftest import CHEN, GENERAL, OKAFOR, RESEARCH, UNKNOWN, ScribeApi
from tests.services import fresh_postgres_schema

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg_api(scribe_api_factory: Any) -> AsyncIterator[ScribeApi]:
    with fresh_postgres_schema() as database_url:
        async with scribe_api_factory(profile="scale", database_url=database_url, job_backend="memory") as api:
            yield api


async def test_queue_history_admin_and_dedupe_on_postgres(pg_api: ScribeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    admin = await pg_api.user(role="admin")
    big = await pg_api.user()
    small = await pg_api.user()
    people = [{"recipient_name": f"Person {n}", "recipient_interest": "soil microbiology"} for n in range(3)]
    batch = await pg_api.client.post(
        "/api/queue/batch", json={"email_template": GENERAL, "items": [OKAFOR, *people]}, headers=big.headers
    )
    single = await pg_api.client.post(
        "/api/email/generate", json={"email_template": RESEARCH, **CHEN}, headers=small.headers
    )
    positions = {i["id"]: i["position"] for i in (await pg_api.client.get("/api/queue/", headers=big.headers)).json()}
    assert [positions[i] for i in batch.json()["queue_item_ids"]] == [1, 3, 4, 5]
    small_queue = (await pg_api.client.get("/api/queue/", headers=small.headers)).json()
    assert small_queue[0]["id"] == single.json()["task_id"]
    assert small_queue[0]["position"] == 2

    assert await pg_api.drain() == 5
    found = (await pg_api.client.get("/api/email/?q=OKAFOR&envelope=true", headers=big.headers)).json()
    assert [e["recipient_name"] for e in found["items"]] == ["Dr. Tomás Okafor"]
    assert found["total"] == 1
    check = await pg_api.client.post("/api/recipients/check", json={"items": [OKAFOR, UNKNOWN]}, headers=big.headers)
    assert [(f["index"], f["reason"]) for f in check.json()["duplicates"]] == [(0, "recently_emailed")]

    overview = (await pg_api.client.get("/api/admin/overview", headers=admin.headers)).json()
    assert overview["total_emails"] == 5
    users = (await pg_api.client.get("/api/admin/users", headers=admin.headers)).json()
    assert next(u for u in users if u["id"] == big.id)["queue_submissions"] == 4
    activity = (await pg_api.client.get("/api/admin/activity", headers=admin.headers)).json()
    assert activity[0]["emails_generated"] == 5

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("connection reset")

    monkeypatch.setattr(submit, "enqueue", broken)
    failed = await pg_api.client.post(
        "/api/queue/batch", json={"email_template": GENERAL, "items": people}, headers=big.headers
    )
    assert failed.status_code == 500
    assert await pg_api.count(QueueItem) == 5
    assert await pg_api.count(Job) == 5
