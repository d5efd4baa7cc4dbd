"""`run_pipeline(dry_run=True)`: every step runs, no source is asked, the model composes even without evidence,
and a model failure is raised as permanent instead of being hidden by the offline merge."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scriptorium.core.errors import ModelError
from scriptorium.scribe.pipeline import STEPS, Addressee, PipelineDeps, run_pipeline
from tests.scribe.conftest import GENERAL_TEMPLATE as GENERAL
from tests.scribe.conftest import RESEARCH_TEMPLATE as RESEARCH
from tests.scribe.conftest import StepLog
from tests.twins.llm import OpenAITwin
from tests.twins.scholarly import ScholarlyTwin

Deps = Callable[..., PipelineDeps]


def chen(twin: ScholarlyTwin) -> Addressee:
    """A recipient every source knows, with a profile page: a real run would ask all of them."""
    return Addressee(
        "Dr. Maria Chen",
        "protein folding",
        affiliation="University of Northbridge",
        profile_urls=(twin.page_url("mchen-northbridge"),),
    )


async def test_a_dry_run_asks_no_source_but_runs_every_step(
    pipeline_deps: Deps, scholarly_twin: ScholarlyTwin, step_log: StepLog
) -> None:
    deps = pipeline_deps(exa=True)
    result = await run_pipeline(RESEARCH, chen(scholarly_twin), deps=deps, on_step=step_log, dry_run=True)
    assert scholarly_twin.requests == []
    assert step_log.steps == list(STEPS)
    assert result.evidence.sources == [] and result.evidence.facts == []
    assert "dry run: no research requests were made" in result.evidence.notes
    assert result.status == "needs_review"

    await run_pipeline(RESEARCH, chen(scholarly_twin), deps=deps, on_step=StepLog())
    routes = {r.route for r in scholarly_twin.requests}
    assert {"openalex.authors", "s2.authors", "arxiv", "exa", "pages"} <= routes  # the same run, not dry


async def test_a_dry_run_composes_with_the_model_despite_no_evidence(
    pipeline_deps: Deps, openai_twin: OpenAITwin, scholarly_twin: ScholarlyTwin
) -> None:
    openai_twin.responder = lambda request: {"subject": "Hello", "body": "Hello Maria Chen,\n\nThanks,\nSam"}
    deps = pipeline_deps(email_composer_model=openai_twin.chat_spec())
    result = await run_pipeline(GENERAL, chen(scholarly_twin), deps=deps, on_step=StepLog(), dry_run=True)
    assert result.draft.composer == openai_twin.chat_spec()
    assert [u["step"] for u in result.usage] == ["compose"]
    assert len(openai_twin.requests) == 1


async def test_a_model_failure_fails_a_dry_run_permanently(
    pipeline_deps: Deps, openai_twin: OpenAITwin, scholarly_twin: ScholarlyTwin
) -> None:
    openai_twin.fail_next(401, times=5)
    deps = pipeline_deps(email_composer_model=openai_twin.chat_spec())
    with pytest.raises(ModelError) as caught:
        await run_pipeline(GENERAL, chen(scholarly_twin), deps=deps, on_step=StepLog(), dry_run=True)
    assert caught.value.public_message.startswith("dry run: the composer model failed")
    assert caught.value.transient is False
