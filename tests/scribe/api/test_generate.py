"""Generation end to end through the API and the queue: the three template types, evidence, thin evidence, a model
composer's usage, status polling, regeneration, edits as versions, discard/restore, history with a total."""

from __future__ import annotations

from typing import Any

import pytest

from scriptorium.scribe.models import Email, EmailVersion, Source, Usage
from tests.scribe.api.conftest import BOOK, CHEN, CHEN_BOOK, GENERAL, OKAFOR, RESEARCH, UNKNOWN, ScribeApi
from tests.twins.llm import OpenAITwin
from tests.twins.misbehaving import MisbehavingModel

PAPER = "Coevolution-guided sampling of protein folding intermediates"
BOOK_TITLE = "Ink and Cloister: Scribal Networks in Twelfth-Century Flanders"


def assert_every_claim_backed(email: dict[str, Any]) -> None:
    """Each claim names sources, and each named source is stored with this email and has an excerpt."""
    stored = {source["source_key"]: source for source in email["sources"]}
    assert email["claims"], "a researched email makes at least one claim"
    for claim in email["claims"]:
        assert claim["source_ids"]
        for source_id in claim["source_ids"]:
            assert source_id in stored
            assert stored[source_id]["excerpt"]


@pytest.mark.parametrize(
    ("template", "recipient", "kind", "expected"),
    [
        (RESEARCH, CHEN, "research", f'your paper "{PAPER}"'),
        (BOOK, CHEN_BOOK, "book", f"I just finished {BOOK_TITLE} for my seminar"),
        (GENERAL, OKAFOR, "general", "student at Lakeshore Institute of Technology"),
    ],
)
async def test_each_template_type_end_to_end(
    scribe_api: ScribeApi, template: str, recipient: dict[str, str], kind: str, expected: str
) -> None:
    me = await scribe_api.user()
    accepted = await scribe_api.client.post(
        "/api/email/generate", json={"email_template": template, **recipient}, headers=me.headers
    )
    assert accepted.status_code == 202
    task_id = accepted.json()["task_id"]
    waiting = (await scribe_api.client.get(f"/api/email/status/{task_id}", headers=me.headers)).json()
    assert waiting["status"] == "PENDING"

    assert await scribe_api.drain() == 1

    done = (await scribe_api.client.get(f"/api/email/status/{task_id}", headers=me.headers)).json()
    assert done["status"] == "SUCCESS", done
    assert done["queue_status"] == "completed"
    email = (await scribe_api.client.get(f"/api/email/{done['result']['email_id']}", headers=me.headers)).json()
    assert email["template_type"] == kind
    assert expected in email["email_message"]
    assert email["is_confident"] is True
    assert email["status"] == "completed"
    assert email["subject"]
    assert email["composer"] == "offline"
    assert all(check["passed"] for check in email["checks"])
    assert email["metadata"]["template_type"] == kind
    assert set(email["metadata"]["step_timings"]) == {"template", "research", "papers", "compose", "checks"}
    assert [v["kind"] for v in email["versions"]] == ["generated"]
    assert_every_claim_backed(email)
    queue = (await scribe_api.client.get("/api/queue/", headers=me.headers)).json()
    assert queue[0]["progress"] == 1.0
    assert queue[0]["email_id"] == email["id"]


async def test_thin_evidence_is_saved_for_review_with_reasons(scribe_api: ScribeApi) -> None:
    me = await scribe_api.user()
    [item] = await scribe_api.submit_and_finish(me, RESEARCH, UNKNOWN)
    assert item["status"] == "needs_review"
    email = (await scribe_api.client.get(f"/api/email/{item['email_id']}", headers=me.headers)).json()
    assert email["is_confident"] is False
    assert email["review_reasons"][0].startswith("Not enough verified information about Quentin Aldridge-Vey")
    assert "{{paper_title}}" in email["email_message"]  # left for the user, never invented
    assert email["sources"] == []
    status = (await scribe_api.client.get(f"/api/email/status/{item['id']}", headers=me.headers)).json()
    assert status["status"] == "SUCCESS"
    assert status["result"]["needs_review"] is True


async def test_model_composer_usage_is_recorded_per_email(
    scribe_api_factory: Any, openai_twin: OpenAITwin, scholarly_twin: Any
) -> None:
    # An honest fill that cites the sources it used: a draft the checks pass, so it is the one stored (a draft that
    # fails more checks than the offline merge would lose to it; see tests/scribe/api/test_model_path_stored.py).
    openai_twin.responder = MisbehavingModel()
    async with scribe_api_factory(email_composer_model=openai_twin.chat_spec()) as api:
        me = await api.user()
        [item] = await api.submit_and_finish(me, RESEARCH, CHEN)
        email = (await api.client.get(f"/api/email/{item['email_id']}", headers=me.headers)).json()
        assert email["composer"] == "llm"
        assert email["usage"], "the compose call's tokens are stored"
        compose = next(u for u in email["usage"] if u["input_tokens"] > 0)
        assert compose["output_tokens"] > 0
        assert compose["requests"] == 1
        profile = (await api.client.get("/api/user/profile", headers=me.headers)).json()
        assert profile["usage"]["input_tokens"] == sum(u["input_tokens"] for u in email["usage"])
        assert profile["generation_count"] == 1
        assert await api.count(Usage) == len(email["usage"])
        assert len(openai_twin.requests) >= 1


async def test_edit_keeps_previous_versions_and_discard_hides_from_history(scribe_api: ScribeApi) -> None:
    me = await scribe_api.user()
    [item] = await scribe_api.submit_and_finish(me, GENERAL, OKAFOR)
    url = f"/api/email/{item['email_id']}"
    original = (await scribe_api.client.get(url, headers=me.headers)).json()

    edited = await scribe_api.client.patch(
        url,
        json={"subject": "Office hours?", "email_message": "Hello Tomás,\n\nShort and sweet.\n\nSam"},
        headers=me.headers,
    )
    assert edited.status_code == 200
    body = edited.json()
    assert body["subject"] == "Office hours?"
    assert body["version"] == 2
    assert [(v["version"], v["kind"]) for v in body["versions"]] == [(1, "generated"), (2, "edited")]
    assert body["versions"][0]["body"] == original["email_message"]  # the previous text is kept

    hidden = await scribe_api.client.patch(url, json={"displayed": False}, headers=me.headers)
    assert hidden.json()["displayed"] is False
    assert hidden.json()["version"] == 2  # discarding is not an edit
    history = await scribe_api.client.get("/api/email/", headers=me.headers)
    assert history.json() == []
    assert history.headers["X-Total-Count"] == "0"
    with_discarded = (await scribe_api.client.get("/api/email/?include_discarded=true", headers=me.headers)).json()
    assert [e["id"] for e in with_discarded] == [item["email_id"]]
    restored = await scribe_api.client.patch(url, json={"displayed": True}, headers=me.headers)
    assert restored.json()["displayed"] is True
    assert await scribe_api.count(EmailVersion) == 2


async def test_regenerate_makes_the_next_version_and_keeps_old_sources(scribe_api: ScribeApi) -> None:
    me = await scribe_api.user()
    [item] = await scribe_api.submit_and_finish(me, RESEARCH, CHEN)
    sources_before = await scribe_api.count(Source)
    again = await scribe_api.client.post(f"/api/email/{item['email_id']}/regenerate", headers=me.headers)
    assert again.status_code == 202
    twice = await scribe_api.client.post(f"/api/email/{item['email_id']}/regenerate", headers=me.headers)
    assert twice.status_code == 409  # one regeneration at a time
    await scribe_api.drain()
    email = (await scribe_api.client.get(f"/api/email/{item['email_id']}", headers=me.headers)).json()
    assert [v["kind"] for v in email["versions"]] == ["generated", "regenerated"]
    assert email["version"] == 2
    assert await scribe_api.count(Email) == 1  # the same email, not a second one
    assert await scribe_api.count(Source) == 2 * sources_before  # generation 1 is kept for the old version
    assert_every_claim_backed(email)  # the current claims resolve against the current generation's sources
    status = (await scribe_api.client.get(f"/api/email/status/{again.json()['task_id']}", headers=me.headers)).json()
    assert status["result"]["email_id"] == item["email_id"]


async def test_history_paginates_with_total_and_search(scribe_api: ScribeApi) -> None:
    me = await scribe_api.user()
    await scribe_api.submit_and_finish(me, GENERAL, OKAFOR, CHEN, UNKNOWN)
    page = (await scribe_api.client.get("/api/email/?limit=2&envelope=true", headers=me.headers)).json()
    assert page["total"] == 3
    assert len(page["items"]) == 2
    rest = (await scribe_api.client.get("/api/email/?limit=2&offset=2&envelope=true", headers=me.headers)).json()
    assert len(rest["items"]) == 1
    assert {e["id"] for e in page["items"]} | {rest["items"][0]["id"]} == {
        e["id"] for e in (await scribe_api.client.get("/api/email/", headers=me.headers)).json()
    }
    found = (await scribe_api.client.get("/api/email/?q=okafor&envelope=true", headers=me.headers)).json()
    assert [e["recipient_name"] for e in found["items"]] == ["Dr. Tomás Okafor"]
    review = (await scribe_api.client.get("/api/email/?status=needs_review", headers=me.headers)).json()
    assert [e["recipient_name"] for e in review] == ["Quentin Aldridge-Vey"]
    clamped = await scribe_api.client.get("/api/email/?limit=500", headers=me.headers)
    assert clamped.status_code == 200  # the original clamps instead of refusing
