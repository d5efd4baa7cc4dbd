"""A retried Scribe job does not redo finished steps (issue 10, item 8).

The first attempt dies after research (at compose, or at the final store); the retry of the same queue item reuses
the saved template analysis and evidence: the scholarly twin and the classifier see one set of calls, the email
ends with the sources the first attempt found, and the notes say research was reused. Saved results of a shape
this code does not know are ignored, and a regeneration does fresh research.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from scriptorium.core.errors import UpstreamError
from scriptorium.core.jobs import Job
from scriptorium.scribe import generation as jobs
from scriptorium.scribe.models import Email, QueueItem, Source, Usage
from scriptorium.scribe.pipeline import runner
from tests.scribe.api.conftest import CHEN, RESEARCH, Account, ScribeApi
from tests.twins.llm import OpenAITwin
from tests.twins.scholarly import ScholarlyTwin

PAPER = "Coevolution-guided sampling of protein folding intermediates"


def is_classifier(request: dict[str, Any]) -> bool:
    return any("classify" in str(m.get("content")) for m in request["messages"] if m["role"] == "system")


def model_reply(request: dict[str, Any]) -> dict[str, Any]:
    if is_classifier(request):
        return {"template_type": "research"}
    body = RESEARCH.split("\n", 2)[2]
    body = body.replace("{{last_name}}", "Chen").replace("{{paper_title}}", PAPER)
    body = body.replace("{{university}}", "University of Northbridge").replace("{{research_area}}", "folding")
    return {"subject": "Your paper", "body": body, "claims": []}


def fail_once(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, error: Exception) -> None:
    real = getattr(module, name)
    calls = 0

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise error
        return await real(*args, **kwargs)

    monkeypatch.setattr(module, name, flaky)


def at_compose(monkeypatch: pytest.MonkeyPatch) -> None:
    fail_once(monkeypatch, runner, "_compose", UpstreamError("the composer is busy", service="compose", transient=True))


def at_store(monkeypatch: pytest.MonkeyPatch) -> None:
    lost = OperationalError("INSERT INTO scribe_emails", {}, Exception("server closed the connection"))
    fail_once(monkeypatch, jobs, "store_result", lost)


async def submit(api: ScribeApi, me: Account) -> str:
    response = await api.client.post(
        "/api/email/generate", json={"email_template": RESEARCH, **CHEN}, headers=me.headers
    )
    assert response.status_code == 202, response.text
    return str(response.json()["task_id"])


async def item_row(api: ScribeApi, item_id: str) -> QueueItem:
    async with api.resources.sessionmaker() as session:
        item = await session.get(QueueItem, item_id)
        assert item is not None
        return item


async def retry_now(api: ScribeApi, item_id: str) -> None:
    """The first attempt failed transiently and waits out the core's backoff; make it due now, and run it."""
    item = await item_row(api, item_id)
    async with api.resources.sessionmaker() as session:
        job = await session.get(Job, item.job_id)
        assert job is not None and job.status == "pending" and job.attempts == 1  # waiting for its retry
        await session.execute(update(Job).where(Job.id == item.job_id).values(not_before=None))
        await session.commit()
    assert await api.drain() == 1


@pytest.mark.parametrize("inject", [at_compose, at_store], ids=["fails-at-compose", "fails-at-store"])
async def test_a_retry_after_research_reuses_it_and_ends_with_the_same_sources(
    scribe_api_factory: Any,
    openai_twin: OpenAITwin,
    scholarly_twin: ScholarlyTwin,
    monkeypatch: pytest.MonkeyPatch,
    inject: Callable[[pytest.MonkeyPatch], None],
) -> None:
    openai_twin.responder = model_reply
    inject(monkeypatch)
    async with scribe_api_factory(chat_provider=openai_twin.chat_spec(), llm_max_retries=0) as api:
        me = await api.user()
        item_id = await submit(api, me)
        await api.drain()

        first = await item_row(api, item_id)
        assert first.status in ("pending", "processing") and first.email_id is None  # attempt 1 died
        saved = first.step_results
        assert saved is not None and saved["evidence"]["attempt"] == 1
        saved_sources = [(s["id"], s["url"], s["title"]) for s in saved["evidence"]["evidence"]["sources"]]
        assert saved_sources  # Chen is verified: there is something to reuse
        research_calls = len(scholarly_twin.requests)
        classifier_calls = sum(1 for r in openai_twin.requests if is_classifier(r.body))
        assert research_calls > 0 and classifier_calls == 1

        await retry_now(api, item_id)

        done = await item_row(api, item_id)
        assert done.status in ("completed", "needs_review") and done.attempts == 2
        assert len(scholarly_twin.requests) == research_calls  # no source was asked again
        assert sum(1 for r in openai_twin.requests if is_classifier(r.body)) == classifier_calls
        assert done.step_results is None  # cleared when the item finished
        assert await api.count(Email) == 1
        async with api.resources.sessionmaker() as session:
            stored = (await session.scalars(select(Source).where(Source.email_id == done.email_id))).all()
            template_usage = (
                await session.scalars(select(Usage).where(Usage.queue_item_id == item_id, Usage.step == "template"))
            ).all()
        assert sorted((s.source_key, s.url or "", s.title) for s in stored) == sorted(saved_sources)
        assert [u.requests for u in template_usage] == [1]  # attempt 1's classifier call, accounted once
        email = (await api.client.get(f"/api/email/{done.email_id}", headers=me.headers)).json()
        notes = email["metadata"]["evidence_notes"]
        assert "template analysis reused from attempt 1" in notes
        assert any(note.startswith("research reused from attempt 1 (sources retrieved ") for note in notes)


def newer_version(saved: dict[str, Any]) -> dict[str, Any]:
    return saved | {"version": saved["version"] + 1}


def unknown_shape(saved: dict[str, Any]) -> dict[str, Any]:
    evidence = saved["evidence"] | {"evidence": saved["evidence"]["evidence"] | {"sources": [{"id": "S1"}]}}
    return saved | {"evidence": evidence, "template": {"analysis": "rules"}}


@pytest.mark.parametrize("mangle", [newer_version, unknown_shape])
async def test_saved_results_of_another_version_or_shape_are_ignored_not_a_crash(
    scribe_api_factory: Any,
    scholarly_twin: ScholarlyTwin,
    monkeypatch: pytest.MonkeyPatch,
    mangle: Callable[[dict[str, Any]], dict[str, Any]],
) -> None:
    at_store(monkeypatch)
    async with scribe_api_factory() as api:
        me = await api.user()
        item_id = await submit(api, me)
        await api.drain()
        saved = (await item_row(api, item_id)).step_results
        assert saved is not None
        async with api.resources.sessionmaker() as session:
            await session.execute(update(QueueItem).where(QueueItem.id == item_id).values(step_results=mangle(saved)))
            await session.commit()
        research_calls = len(scholarly_twin.requests)

        await retry_now(api, item_id)

        done = await item_row(api, item_id)
        assert done.status in ("completed", "needs_review") and done.email_id is not None
        assert len(scholarly_twin.requests) == 2 * research_calls  # research ran again, in full
        email = (await api.client.get(f"/api/email/{done.email_id}", headers=me.headers)).json()
        assert not any("reused" in note for note in email["metadata"]["evidence_notes"])


async def test_regenerate_does_fresh_research(scribe_api: ScribeApi, scholarly_twin: ScholarlyTwin) -> None:
    me = await scribe_api.user()
    [item] = await scribe_api.submit_and_finish(me, RESEARCH, CHEN)
    first_calls = len(scholarly_twin.requests)
    assert first_calls > 0
    again = await scribe_api.client.post(f"/api/email/{item['email_id']}/regenerate", headers=me.headers)
    assert again.status_code == 202
    await scribe_api.drain()
    assert len(scholarly_twin.requests) == 2 * first_calls
    email = (await scribe_api.client.get(f"/api/email/{item['email_id']}", headers=me.headers)).json()
    assert [v["kind"] for v in email["versions"]] == ["generated", "regenerated"]
    assert not any("reused" in note for note in email["metadata"]["evidence_notes"])
