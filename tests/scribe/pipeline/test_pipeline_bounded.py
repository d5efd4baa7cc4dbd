"""The real-model path is bounded and accounted (issue 10, item 8), through the OpenAI-compatible twin.

Every call sends an output limit sized to its job; a slow model is cut off inside the time the job has left and the
run still ends in a draft; failed calls keep their usage; a useless or worse model draft loses to the offline merge
and is kept as `model_draft`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from scriptorium.core.llm.bounded import call_budget
from scriptorium.scribe.pipeline import Addressee, PipelineDeps, PipelineResult, run_pipeline
from scriptorium.scribe.pipeline.compose import compose_max_tokens
from scriptorium.scribe.pipeline.runner import Budget
from scriptorium.scribe.pipeline.template import CLASSIFIER_MAX_TOKENS
from tests.scribe.conftest import StepLog
from tests.twins.llm import OpenAITwin

Deps = Callable[..., PipelineDeps]
TEMPLATE = (
    "Dear Professor {{last_name}},\n\nI'm a second-year student in {{research_area}}. I read your paper "
    '"{{paper_title}}" and would love to ask how you picked the test proteins.\n\nBest,\nSam'
)
BIOLOGIST = Addressee("Maria Chen", "protein folding", affiliation="University of Northbridge")


def system_of(body: dict[str, Any]) -> str:
    return " ".join(str(m["content"]) for m in body["messages"] if m["role"] == "system")


async def run(deps: PipelineDeps, *, deadline: float | None = None) -> PipelineResult:
    return await run_pipeline(TEMPLATE, BIOLOGIST, deps=deps, on_step=StepLog(), deadline=deadline)


async def test_every_call_sends_an_output_limit_sized_to_its_job(pipeline_deps: Deps, openai_twin: OpenAITwin) -> None:
    def reply(request: dict[str, Any]) -> dict[str, Any]:
        if "classify" in system_of(request):
            return {"template_type": "research"}
        return {"subject": "Hello", "body": TEMPLATE, "claims": []}

    openai_twin.responder = reply
    await run(pipeline_deps(chat_provider=openai_twin.chat_spec()))
    limits = {
        "template" if "classify" in system_of(r.body) else "compose": (
            r.body.get("max_completion_tokens"),
            r.body.get("max_tokens"),  # what llama.cpp's server and Ollama read
        )
        for r in openai_twin.requests
    }
    compose_limit = compose_max_tokens(TEMPLATE)
    assert limits == {"template": (CLASSIFIER_MAX_TOKENS,) * 2, "compose": (compose_limit, compose_limit)}
    # The compose limit follows the template: room for the longest body the length check accepts, not more.
    assert compose_max_tokens(TEMPLATE) < compose_max_tokens(TEMPLATE * 4) <= 4096
    assert compose_max_tokens(TEMPLATE) * 3 >= 2 * len(TEMPLATE) + 800


async def test_failed_structured_calls_keep_their_usage(pipeline_deps: Deps, openai_twin: OpenAITwin) -> None:
    """A model that answers in the wrong shape is asked again, then given up on: every request is accounted."""

    def reply(request: dict[str, Any]) -> dict[str, Any]:
        if "classify" in system_of(request):
            return {"template_type": "sonnet"}  # not one of the three types
        return {"title": "not the email shape"}

    openai_twin.responder = reply
    result = await run(pipeline_deps(chat_provider=openai_twin.chat_spec(), llm_max_retries=0))
    by_step = {u["step"]: u for u in result.usage}
    assert set(by_step) == {"template", "compose"}
    for step in ("template", "compose"):
        asked = [r for r in openai_twin.requests if ("classify" in system_of(r.body)) == (step == "template")]
        assert by_step[step]["failed"] is True
        assert by_step[step]["requests"] == len(asked) >= 2  # the first answer and the re-ask
        assert by_step[step]["input_tokens"] > 0 and by_step[step]["output_tokens"] > 0
    assert result.analysis.classified_by == "rules"
    assert result.draft.composer == "offline"
    composer = next(c for c in result.checks if c.name == "composer")
    assert not composer.passed and "could not be used" in composer.message


async def test_a_slow_model_is_cut_off_inside_the_deadline_and_the_run_still_ends_in_a_draft(
    pipeline_deps: Deps, openai_twin: OpenAITwin
) -> None:
    openai_twin.latency = 30.0  # every request outlives its 1 s timeout
    deps = pipeline_deps(chat_provider=openai_twin.chat_spec(), llm_timeout_seconds=1.0, llm_max_retries=3, timeout=0.5)
    unbounded = call_budget(1.0, 3)
    started = time.monotonic()
    deadline = started + 7.0
    result = await run(deps, deadline=deadline)
    elapsed = time.monotonic() - started

    assert elapsed < 7.0 < unbounded  # left alone, the retries alone would have taken longer than the limit
    assert result.draft.composer == "offline"
    composer = next(c for c in result.checks if c.name == "composer")
    assert "did not finish within" in composer.message
    assert "The template classifier model failed; the type was chosen by rules." in result.analysis.warnings
    assert [(u["step"], u["failed"]) for u in result.usage] == [("template", True), ("compose", True)]
    assert all(u["requests"] >= 1 for u in result.usage)


def test_the_budget_never_gives_the_classifier_the_time_research_needs(make_settings: Callable[..., Any]) -> None:
    settings = make_settings(llm_timeout_seconds=120.0, llm_max_retries=3, research_timeout_seconds=12.0)
    unbounded = Budget(settings, None)
    assert unbounded.template() == 120.0
    assert unbounded.compose() == call_budget(120.0, 3)
    tight = Budget(settings, time.monotonic() + 60.0)
    assert tight.template() <= (60.0 - tight.research_reserve()) / 2
    assert tight.compose() <= 60.0 - Budget.CHECKS_RESERVE_SECONDS
    assert Budget(settings, time.monotonic() - 1.0).compose() == 0.0


async def test_a_useless_structured_draft_counts_as_failed_and_the_merge_is_used(
    pipeline_deps: Deps, openai_twin: OpenAITwin
) -> None:
    openai_twin.responder = lambda request: {"subject": "Hi", "body": "<template></template>", "claims": []}
    result = await run(pipeline_deps(email_composer_model=openai_twin.chat_spec()))
    assert result.draft.composer == "offline"
    assert "Coevolution-guided sampling of protein folding intermediates" in result.draft.body
    composer = next(c for c in result.checks if c.name == "composer")
    assert not composer.passed
    assert "unusable (its body was empty)" in composer.message
    assert result.model_draft is not None and result.model_draft.body == "<template></template>"
    assert result.status == "needs_review"
    assert result.usage[0]["input_tokens"] > 0  # the useless answer still cost tokens


async def test_a_rewrite_that_drops_the_template_is_useless_too(pipeline_deps: Deps, openai_twin: OpenAITwin) -> None:
    body = "Hello! I am an assistant. Here is a fine email for you about science and proteins and folding."
    openai_twin.responder = lambda request: {"subject": "Hi", "body": body, "claims": []}
    result = await run(pipeline_deps(email_composer_model=openai_twin.chat_spec()))
    composer = next(c for c in result.checks if c.name == "composer")
    assert not composer.passed and "of the template's own words" in composer.message
    assert result.draft.composer == "offline"


async def test_a_classifier_that_cannot_be_built_leaves_the_rules_in_charge(pipeline_deps: Deps) -> None:
    deps = pipeline_deps(template_parser_model="openai:gpt-4o-mini", openai_api_key="", openai_base_url="")
    result = await run(deps)
    assert result.analysis.classified_by == "rules"
    assert "The template classifier model failed; the type was chosen by rules." in result.analysis.warnings
    assert result.usage == []  # no request was made, so nothing to account
