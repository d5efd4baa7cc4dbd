"""The real-model path as stored (issue 10, item 8): a model draft that loses to the offline merge is kept as a
`model_draft` version, and calls that failed are still `scribe_usage` rows with their tokens."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from scriptorium.scribe.models import QueueItem, Usage
from tests.scribe.api.conftest import CHEN, GENERAL, RESEARCH
from tests.scribe.api.test_dry_run import PROBE, generate, status_of
from tests.twins.llm import OpenAITwin

PAPER = "Coevolution-guided sampling of protein folding intermediates"
INVENTED = "Congratulations on your 2023 Guggenheim Fellowship, see bit.ly/chen-lab for details."


def is_classifier(request: dict[str, Any]) -> bool:
    return any("classify" in str(m.get("content")) for m in request["messages"] if m["role"] == "system")


async def test_a_worse_model_draft_is_kept_as_a_version_and_failed_calls_are_accounted(
    scribe_api_factory: Any, openai_twin: OpenAITwin
) -> None:
    def reply(request: dict[str, Any]) -> dict[str, Any]:
        if is_classifier(request):
            return {"template_type": "limerick"}  # unusable twice: the call fails after a re-ask
        body = RESEARCH.split("\n", 2)[2]
        body = body.replace("{{last_name}}", "Chen").replace("{{paper_title}}", PAPER)
        body = body.replace("{{university}}", "University of Northbridge").replace("{{research_area}}", "folding")
        return {"subject": "Your paper", "body": f"{body}\n\n{INVENTED}", "claims": []}

    openai_twin.responder = reply
    async with scribe_api_factory(chat_provider=openai_twin.chat_spec(), llm_max_retries=0) as api:
        me = await api.user()
        [item] = await api.submit_and_finish(me, RESEARCH, CHEN)
        email = (await api.client.get(f"/api/email/{item['email_id']}", headers=me.headers)).json()

        assert email["composer"] == "offline"  # the merge passed the checks the model's draft failed
        assert INVENTED not in email["email_message"] and PAPER in email["email_message"]
        versions = {v["kind"]: v for v in email["versions"]}
        assert set(versions) == {"model_draft", "generated"}
        assert INVENTED in versions["model_draft"]["body"]
        assert versions["generated"]["version"] == versions["model_draft"]["version"] + 1 == email["version"]

        classifier_requests = [r for r in openai_twin.requests if is_classifier(r.body)]
        async with api.resources.sessionmaker() as session:
            stored = (await session.scalars(select(Usage).where(Usage.email_id == email["id"]))).all()
        rows = {u.step: u for u in stored}
        assert set(rows) == {"template", "compose"}
        assert rows["template"].requests == len(classifier_requests) == 2
        assert rows["template"].input_tokens > 0  # the failed classifier's tokens, not 0
        assert sum(u["input_tokens"] for u in email["usage"]) == sum(u.input_tokens for u in stored)


async def test_a_slow_model_ends_in_a_stored_draft_within_the_jobs_limit_not_a_rerun(
    scribe_api_factory: Any, openai_twin: OpenAITwin
) -> None:
    """Every request outlives its timeout: the job still finishes on its first attempt, inside its hard limit."""
    openai_twin.latency = 120.0
    # A limit with room for a loaded CI machine (research, checks and the store run at its pace), still far below
    # the model's latency, so only the bounded call path can finish the job in time.
    overrides = {"chat_provider": openai_twin.chat_spec(), "llm_timeout_seconds": 5.0, "research_timeout_seconds": 2.0}
    async with scribe_api_factory(**overrides) as api:
        me = await api.user()
        started = time.monotonic()
        [item] = await api.submit_and_finish(me, RESEARCH, CHEN)
        elapsed = time.monotonic() - started

        limit = 5.0 * 4 + 2.0 * 3  # generation.time_limit for these settings
        assert elapsed < limit
        assert item["status"] == "needs_review" and item["email_id"]
        async with api.resources.sessionmaker() as session:
            queued = await session.get(QueueItem, item["id"])
            assert queued is not None and queued.attempts == 1  # finished on its first run: nothing was redone
            stored = (await session.scalars(select(Usage).where(Usage.email_id == item["email_id"]))).all()
        email = (await api.client.get(f"/api/email/{item['email_id']}", headers=me.headers)).json()
        assert email["composer"] == "offline"
        composer = next(c for c in email["checks"] if c["name"] == "composer")
        assert "did not finish within" in composer["detail"]
        # Each call that timed out is accounted: the composer's always; the template classifier's too when the
        # budget let it run (it gets one request timeout at most, never the time research needs).
        calls = {u.step: u.requests for u in stored}
        assert calls.get("compose") == 1 and set(calls) <= {"template", "compose"} and set(calls.values()) == {1}


async def test_a_failed_dry_run_keeps_the_usage_of_the_calls_it_made(
    scribe_api_factory: Any, openai_twin: OpenAITwin
) -> None:
    """A probe whose model answers in the wrong shape fails, and its tokens still reach the operator's figures."""
    openai_twin.responder = lambda request: {"nothing": "like an email"}
    async with scribe_api_factory(email_composer_model=openai_twin.chat_spec(), llm_max_retries=0) as api:
        me = await api.user()
        accepted = await generate(api, me, GENERAL, PROBE, dry_run=True)
        await api.drain()
        failed = await status_of(api, me, accepted.json()["task_id"])
        assert failed["status"] == "FAILURE" and "could not be used" in failed["error"]
        async with api.resources.sessionmaker() as session:
            rows = (await session.scalars(select(Usage).where(Usage.queue_item_id == accepted.json()["task_id"]))).all()
        assert [(u.step, u.dry_run, u.email_id) for u in rows] == [("compose", True, None)]
        assert rows[0].requests == len(openai_twin.requests) >= 2  # the answer and the re-ask
        assert rows[0].input_tokens > 0
