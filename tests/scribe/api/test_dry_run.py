"""Dry runs (`dry_run: true`, what `scriptorium doctor` sends): the real queue, worker and chat model, but no
research request, no quota, and no trace in the user's history, exports, queue view, recipients or admin figures."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from scriptorium.core.jobs import Job
from scriptorium.scribe import quota
from scriptorium.scribe.models import Email, QueueItem, Recipient, Usage
from tests.scribe.api.conftest import CHEN, GENERAL, OKAFOR, RESEARCH, Account, ScribeApi
from tests.twins.llm import OpenAITwin
from tests.twins.scholarly import ScholarlyTwin

PROBE = {"recipient_name": "Doctor Probe", "recipient_interest": "verifying deployments"}


async def generate(api: ScribeApi, me: Account, template: str, recipient: dict[str, Any], **extra: Any) -> Any:
    return await api.client.post(
        "/api/email/generate", json={"email_template": template, **recipient, **extra}, headers=me.headers
    )


async def status_of(api: ScribeApi, me: Account, task_id: str) -> dict[str, Any]:
    response = await api.client.get(f"/api/email/status/{task_id}", headers=me.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def profile_of(api: ScribeApi, me: Account) -> dict[str, Any]:
    body: dict[str, Any] = (await api.client.get("/api/user/profile", headers=me.headers)).json()
    return body


async def token_sum(api: ScribeApi, *conditions: Any) -> int:
    async with api.resources.sessionmaker() as session:
        return int(await session.scalar(select(func.coalesce(func.sum(Usage.input_tokens), 0)).where(*conditions)))


async def test_dry_run_uses_the_worker_and_model_but_no_research_no_quota_and_leaves_no_trace(
    scribe_api_factory: Any, scholarly_twin: ScholarlyTwin, openai_twin: OpenAITwin
) -> None:
    researched = {**CHEN, "profile_urls": [scholarly_twin.page_url("mchen-northbridge")]}
    async with scribe_api_factory(scribe_daily_quota=1, exa=True, chat_provider=openai_twin.chat_spec()) as api:
        me = await api.user()
        admin = await api.user(role="admin")
        accepted = await generate(api, me, RESEARCH, researched, dry_run=True)
        assert accepted.status_code == 202, accepted.text
        assert accepted.json()["dry_run"] is True
        task_id = accepted.json()["task_id"]
        assert (await status_of(api, me, task_id))["status"] == "PENDING"

        assert await api.drain() == 1  # the job went through the real queue and job handler

        done = await status_of(api, me, task_id)
        assert done["status"] == "SUCCESS", done
        assert done["result"]["dry_run"] is True and done["result"]["email_id"] is None
        assert set(done["result"]["metadata"]["step_timings"]) == {
            "template",
            "research",
            "papers",
            "compose",
            "checks",
        }
        assert scholarly_twin.requests == []  # no directory, arXiv, search or profile page was asked
        assert openai_twin.requests, "a dry run composes with the configured chat model"
        async with api.resources.sessionmaker() as session:
            item = await session.get(QueueItem, task_id)
            assert item is not None and item.dry_run is True and item.recipient_id is None
            job = await session.get(Job, item.job_id)
            assert job is not None and job.status == "done"
            assert job.result is not None and job.result["composer"] == openai_twin.chat_spec()
            probe_usage = (await session.scalars(select(Usage))).all()
        # What the probe cost is recorded, tied to its queue item and to no email ...
        assert probe_usage, "the model call of a dry run leaves a usage row"
        assert {(u.dry_run, u.email_id, u.queue_item_id) for u in probe_usage} == {(True, None, task_id)}
        assert "compose" in {u.step for u in probe_usage}
        probe_tokens = sum(u.input_tokens for u in probe_usage)
        assert probe_tokens > 0

        profile = await profile_of(api, me)
        assert profile["quota"]["used_today"] == 0
        assert profile["generation_count"] == 0
        assert profile["usage"] == {"emails": 0, "input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0}
        history = await api.client.get("/api/email/?include_discarded=true", headers=me.headers)
        assert history.json() == [] and history.headers["X-Total-Count"] == "0"
        export = (await api.client.get("/api/email/export?format=json", headers=me.headers)).json()
        assert export["emails"] == []
        assert (await api.client.get("/api/queue/?since_hours=48", headers=me.headers)).json() == []
        assert (await api.client.get("/api/recipients/", headers=me.headers)).json() == []
        assert (await api.count(Email), await api.count(Recipient)) == (0, 0)
        overview = (await api.client.get("/api/admin/overview", headers=admin.headers)).json()
        assert (overview["total_emails"], overview["pending_count"], overview["success_rate"]) == (0, 0, 0.0)
        # ... and shown to the operator apart from every user figure.
        assert overview["dry_runs"]["runs"] == 1 and overview["dry_runs"]["failed"] == 0
        assert overview["dry_runs"]["input_tokens"] == probe_tokens and overview["dry_runs"]["days"] == 7
        rows = (await api.client.get("/api/admin/users", headers=admin.headers)).json()
        assert next(r for r in rows if r["id"] == me.id)["queue_submissions"] == 0
        assert (await api.client.get(f"/api/admin/users/{me.id}/queue", headers=admin.headers)).json() == []

        # The quota of 1 is still whole: a real email is accepted, counted, researched and listed ...
        real = await generate(api, me, RESEARCH, researched)
        assert real.status_code == 202 and real.json()["dry_run"] is False
        assert (await profile_of(api, me))["quota"]["used_today"] == 1
        over = await generate(api, me, GENERAL, OKAFOR)
        assert over.status_code == 429 and "daily limit reached" in over.json()["detail"]
        # ... and with the quota used up, a dry run is still accepted and still not counted.
        probe = await generate(api, me, GENERAL, PROBE, dry_run=True)
        assert probe.status_code == 202, probe.text
        assert await api.drain() == 2
        assert scholarly_twin.requests, "the real run researched (so the empty record above means something)"
        assert {r.route for r in scholarly_twin.requests} >= {"openalex.authors", "pages"}
        assert (await status_of(api, me, probe.json()["task_id"]))["status"] == "SUCCESS"
        listed = (await api.client.get("/api/email/", headers=me.headers)).json()
        assert [e["queue_item_id"] for e in listed] == [real.json()["task_id"]]
        assert [i["id"] for i in (await api.client.get("/api/queue/", headers=me.headers)).json()] == [
            real.json()["task_id"]
        ]
        profile = await profile_of(api, me)
        assert (profile["quota"]["used_today"], profile["generation_count"], profile["usage"]["emails"]) == (1, 1, 1)
        real_tokens = await token_sum(api, Usage.dry_run.is_(False))
        assert real_tokens > 0 and await token_sum(api, Usage.dry_run.is_(True)) > probe_tokens  # two probes now
        assert profile["usage"]["input_tokens"] == real_tokens  # the user's totals are the real email's alone
        overview = (await api.client.get("/api/admin/overview", headers=admin.headers)).json()
        assert overview["total_emails"] == 1 and overview["error_count"] == 0
        assert overview["dry_runs"]["runs"] == 2
        assert overview["dry_runs"]["input_tokens"] == await token_sum(api, Usage.dry_run.is_(True))


async def test_dry_run_with_the_offline_composer_completes_as_needs_review(scribe_api: ScribeApi) -> None:
    me = await scribe_api.user()
    accepted = await generate(scribe_api, me, GENERAL, PROBE, dry_run=True)
    assert accepted.status_code == 202
    await scribe_api.drain()
    done = await status_of(scribe_api, me, accepted.json()["task_id"])
    assert done["status"] == "SUCCESS" and done["queue_status"] == "needs_review"  # nothing researched to cite
    assert done["result"]["dry_run"] is True
    assert await scribe_api.count(Email) == 0


async def test_a_failing_model_fails_the_dry_run_at_once_instead_of_falling_back(
    scribe_api_factory: Any, openai_twin: OpenAITwin
) -> None:
    openai_twin.fail_next(401, times=20)  # a refused key: what a doctor run must report
    async with scribe_api_factory(chat_provider=openai_twin.chat_spec()) as api:
        me = await api.user()
        accepted = await generate(api, me, GENERAL, PROBE, dry_run=True)
        await api.drain()
        failed = await status_of(api, me, accepted.json()["task_id"])
        assert failed["status"] == "FAILURE", failed
        assert failed["error"].startswith("dry run: the composer model failed")
        async with api.resources.sessionmaker() as session:
            item = await session.get(QueueItem, accepted.json()["task_id"])
            assert item is not None and item.attempts == 1  # permanent: not retried with backoff
        assert (await api.client.get("/api/queue/", headers=me.headers)).json() == []


async def test_batch_dry_run_queues_probes_only(scribe_api: ScribeApi) -> None:
    me = await scribe_api.user()
    response = await scribe_api.client.post(
        "/api/queue/batch",
        json={"email_template": GENERAL, "items": [PROBE, OKAFOR], "dry_run": True},
        headers=me.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["dry_run"] is True and body["message"] == "Successfully queued 2 dry-run items"
    assert await scribe_api.drain() == 2
    for task_id in body["queue_item_ids"]:
        done = await status_of(scribe_api, me, task_id)
        assert done["status"] == "SUCCESS" and done["result"]["dry_run"] is True
    assert await scribe_api.count(Recipient) == 0 and await scribe_api.count(Email) == 0
    assert (await scribe_api.client.get("/api/queue/", headers=me.headers)).json() == []
    assert (await profile_of(scribe_api, me))["quota"]["used_today"] == 0


async def test_dry_runs_have_their_own_daily_cap(scribe_api: ScribeApi, monkeypatch: Any) -> None:
    monkeypatch.setattr(quota, "DRY_RUNS_PER_DAY", 2)
    me = await scribe_api.user()
    other = await scribe_api.user()
    for _ in range(2):
        assert (await generate(scribe_api, me, GENERAL, PROBE, dry_run=True)).status_code == 202
    refused = await generate(scribe_api, me, GENERAL, PROBE, dry_run=True)
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("dry-run limit reached: 2 of 2 dry runs used today")
    assert int(refused.headers["Retry-After"]) > 0
    assert (await generate(scribe_api, me, GENERAL, OKAFOR)).status_code == 202  # the email quota is separate
    assert (await generate(scribe_api, other, GENERAL, PROBE, dry_run=True)).status_code == 202  # per user
