"""Review on PostgreSQL: the batch join and its order, the outage, regenerate's confirmation, restoring a version
and the export filters give the same answers as on SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.scribe.api.conftest import CHEN, OKAFOR, RESEARCH, UNKNOWN, ScribeApi
from tests.services import fresh_postgres_schema
from tests.twins.scholarly import ScholarlyTwin

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg_api(scribe_api_factory: Any) -> AsyncIterator[ScribeApi]:
    with fresh_postgres_schema() as database_url:
        async with scribe_api_factory(profile="scale", database_url=database_url, job_backend="memory") as api:
            yield api


async def test_batch_review_regenerate_and_export_on_postgres(pg_api: ScribeApi, scholarly_twin: ScholarlyTwin) -> None:
    me = await pg_api.user()
    items = await pg_api.submit_and_finish(me, RESEARCH, CHEN, UNKNOWN, OKAFOR)
    ids = [item["email_id"] for item in items]
    middle = (await pg_api.client.get(f"/api/email/{ids[1]}/batch", headers=me.headers)).json()
    assert [e["id"] for e in middle["emails"]] == ids
    assert (middle["previous_id"], middle["next_id"], middle["outage"]) == (ids[0], ids[2], None)

    exported = (await pg_api.client.get("/api/email/export?format=json", headers=me.headers)).json()
    assert UNKNOWN["recipient_name"] not in {e["recipient_name"] for e in exported["emails"]}
    assert exported["summary"]["left_out_review"] == 1

    await pg_api.client.patch(
        f"/api/email/{ids[0]}", json={"email_message": "Dear Dr. Chen, mine."}, headers=me.headers
    )
    refused = await pg_api.client.post(f"/api/email/{ids[0]}/regenerate", headers=me.headers)
    assert refused.json()["code"] == "edit_would_be_replaced"
    restored = await pg_api.client.post(f"/api/email/{ids[0]}/versions/1/restore", headers=me.headers)
    assert [v["kind"] for v in restored.json()["versions"]] == ["generated", "edited", "restored"]
    assert (await pg_api.client.post(f"/api/email/{ids[0]}/regenerate", headers=me.headers)).status_code == 409

    scholarly_twin.fail("openalex.authors", 503)
    scholarly_twin.fail("s2.authors", 503)
    [down] = await pg_api.submit_and_finish(me, RESEARCH, {**CHEN, "recipient_email": "chen@northbridge.example"})
    outage = (await pg_api.client.get(f"/api/queue/batches/{down['batch_id']}", headers=me.headers)).json()["outage"]
    assert outage["sources"] == ["openalex", "semantic_scholar"]
    scholarly_twin.reset()
    retried = (await pg_api.client.post(f"/api/queue/batches/{down['batch_id']}/retry", headers=me.headers)).json()
    assert [q["email_id"] for q in retried["queued"]] == [down["email_id"]]
    assert await pg_api.drain() == 1
