"""Ringing the queue after a commit is best effort: the job row is the truth (issue 11, finding 2).

With Redis down, `POST /api/queue/batch` used to commit the rows and then answer 500 while ringing; a client that
retried got duplicate emails. Now the request succeeds, the rows wait as pending, and a sweep rings for them.
"""

from __future__ import annotations

import logging

import pytest

from scriptorium.core.jobs import Job
from scriptorium.core.outages import StateLog
from scriptorium.scribe.models import QueueItem
from tests.scribe.api.conftest import GENERAL, ScribeApi

PEOPLE = [{"recipient_name": f"Person {letter}", "recipient_interest": "soil microbiology"} for letter in "ABC"]


async def test_an_unreachable_doorbell_does_not_turn_an_accepted_batch_into_an_error(
    scribe_api: ScribeApi, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    me = await scribe_api.user()
    queue = scribe_api.resources.queue

    def refused(count: int = 1) -> None:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    # The doorbell's own StateLog: the process-wide one is also told "ok" by whatever else reaches the queue meanwhile
    # (the rate limiter, a consumer thread a previous test left behind), which would rightly log the outage again.
    doorbell = StateLog("queue")
    monkeypatch.setattr("scriptorium.core.jobs.queue.state_of", lambda name: doorbell)
    with monkeypatch.context() as outage, caplog.at_level(logging.WARNING, logger="scriptorium.outages"):
        outage.setattr(queue, "ring", refused)
        first = await scribe_api.client.post(
            "/api/queue/batch", json={"email_template": GENERAL, "items": PEOPLE}, headers=me.headers
        )
        second = await scribe_api.client.post(
            "/api/queue/batch", json={"email_template": GENERAL, "items": PEOPLE[:1]}, headers=me.headers
        )
    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    assert await scribe_api.count(QueueItem) == 4
    assert await scribe_api.count(Job, Job.status == "pending") == 4
    unreachable = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(unreachable) == 1, "one line when ringing starts failing, not one per request"

    with caplog.at_level(logging.WARNING, logger="scriptorium.outages"):
        assert await scribe_api.resources.runner.sweep() == 4  # type: ignore[union-attr]
    assert any("reachable again" in r.getMessage() for r in caplog.records)
    assert await scribe_api.drain() == 4
    assert await scribe_api.count(Job, Job.status == "done") == 4
