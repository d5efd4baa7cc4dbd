"""End to end with offline models: the three template types, thin evidence, failing sources, hostile pages."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scriptorium.core.errors import ValidationFailed
from scriptorium.scribe.pipeline import STEPS, Addressee, PipelineDeps, PipelineResult, Step, run_pipeline
from tests.scribe.conftest import BOOK_TEMPLATE as BOOK
from tests.scribe.conftest import GENERAL_TEMPLATE as GENERAL
from tests.scribe.conftest import RESEARCH_TEMPLATE as RESEARCH
from tests.scribe.conftest import StepLog
from tests.twins.llm import OpenAITwin
from tests.twins.scholarly import ScholarlyTwin

Deps = Callable[..., PipelineDeps]


def sources_of(result: PipelineResult) -> set[str]:
    return {s.id for s in result.evidence.sources}


def assert_claims_are_backed(result: PipelineResult) -> None:
    known = sources_of(result)
    assert result.draft.claims
    for claim in result.draft.claims:
        assert claim.source_ids
        assert set(claim.source_ids) <= known


async def test_research_template_end_to_end(deps: Deps, scholarly_twin: ScholarlyTwin, step_log: StepLog) -> None:
    recipient = Addressee(
        "Dr. Maria Chen",
        "protein folding",
        affiliation="University of Northbridge",
        profile_urls=(scholarly_twin.page_url("mchen-northbridge"),),
    )
    result = await run_pipeline(RESEARCH, recipient, deps=deps(), on_step=step_log)

    assert step_log.steps == list(STEPS)
    assert set(result.timings) == set(STEPS)
    assert result.analysis.template_type == "research"
    assert result.status == "completed", result.reasons
    assert result.is_confident
    assert result.reasons == []
    title = "Coevolution-guided sampling of protein folding intermediates"
    assert result.draft.subject == f"Question about {title}"
    assert f'your paper "{title}"' in result.draft.body
    assert "Dear Professor Chen," in result.draft.body
    assert "at University of Northbridge approaches protein folding" in result.draft.body
    assert result.draft.composer == "offline"
    assert result.usage == []
    assert_claims_are_backed(result)
    paper_claim = next(c for c in result.draft.claims if title in c.text)
    assert {result.evidence.source(i).kind for i in paper_claim.source_ids} == {"openalex", "arxiv"}  # type: ignore[union-attr]
    assert scholarly_twin.requests_to("arxiv")[0].params["search_query"] == 'au:"Maria Chen"'
    assert all(c.passed for c in result.checks)


async def test_book_template_end_to_end(deps: Deps, scholarly_twin: ScholarlyTwin, step_log: StepLog) -> None:
    recipient = Addressee("Maria Chen", "medieval manuscripts", affiliation="Eastmarch University")
    result = await run_pipeline(BOOK, recipient, deps=deps(), on_step=step_log)
    assert result.analysis.template_type == "book"
    assert result.status == "completed", result.reasons
    assert "I just finished Ink and Cloister: Scribal Networks in Twelfth-Century Flanders for my seminar" in (
        result.draft.body
    )
    assert result.draft.subject == "Your book Ink and Cloister: Scribal Networks in Twelfth-Century Flanders"
    assert_claims_are_backed(result)
    assert scholarly_twin.requests_to("arxiv") == []  # books are not on arXiv
    assert any(f.kind == "book" for f in result.evidence.facts)


async def test_general_template_end_to_end(deps: Deps, scholarly_twin: ScholarlyTwin, step_log: StepLog) -> None:
    recipient = Addressee(
        "Dr. Tomás Okafor", "engineering education", profile_urls=(scholarly_twin.page_url("okafor-lakeshore"),)
    )
    result = await run_pipeline(GENERAL, recipient, deps=deps(), on_step=step_log)
    assert result.analysis.template_type == "general"
    assert result.status == "completed", result.reasons
    assert result.draft.body.startswith("Hello Tomás Okafor,")
    assert "student at Lakeshore Institute of Technology" in result.draft.body
    assert scholarly_twin.requests_to("arxiv") == []
    assert any(f.kind == "bio" and "First-Year Engineering Success Program" in f.text for f in result.evidence.facts)
    assert_claims_are_backed(result)


async def test_thin_evidence_says_so_instead_of_writing_a_generic_email(
    deps: Deps, openai_twin: OpenAITwin, step_log: StepLog
) -> None:
    recipient = Addressee("Quentin Aldridge-Vey", "glacier acoustics")
    result = await run_pipeline(
        RESEARCH, recipient, deps=deps(email_composer_model=openai_twin.chat_spec()), on_step=step_log
    )
    assert result.status == "needs_review"
    assert not result.is_confident
    assert result.reasons[0].startswith("Not enough verified information about Quentin Aldridge-Vey")
    assert "{{paper_title}} was left for you to fill: no paper could be verified as theirs." in result.reasons
    assert "{{paper_title}}" in result.draft.body  # flagged, not invented
    assert result.draft.composer == "offline"
    assert openai_twin.requests == []  # no model call to dress up nothing
    assert result.evidence.sources == []


async def test_a_timed_out_source_leaves_a_note_and_the_email_still_comes(
    deps: Deps, scholarly_twin: ScholarlyTwin, step_log: StepLog
) -> None:
    scholarly_twin.latency["s2.authors"] = 3.0
    scholarly_twin.fail("arxiv", 404)
    recipient = Addressee("Maria Chen", "protein folding", affiliation="University of Northbridge")
    result = await run_pipeline(RESEARCH, recipient, deps=deps(timeout=0.5), on_step=step_log)
    assert result.status == "completed", result.reasons
    assert "semantic_scholar: timed out after 0.5 s" in result.evidence.notes
    assert "arxiv: HTTP 404" in result.evidence.notes
    assert result.timings["research"] < 2.5  # the slow source was abandoned, not awaited
    assert "Coevolution-guided sampling of protein folding intermediates" in result.draft.body  # OpenAlex still works


async def test_every_source_down_means_needs_review(deps: Deps, scholarly_twin: ScholarlyTwin) -> None:
    for route in ("openalex.authors", "s2.authors", "arxiv"):
        scholarly_twin.fail(route, 503)
    recipient = Addressee("Maria Chen", "protein folding")
    result = await run_pipeline(RESEARCH, recipient, deps=deps(), on_step=StepLog())
    assert result.status == "needs_review"
    assert "openalex: HTTP 503 after 3 attempts" in result.evidence.notes
    assert "arxiv: HTTP 503 after 3 attempts" in result.evidence.notes
    assert result.reasons[0].startswith("Not enough verified information")


async def test_papers_matched_by_topic_alone_need_review(deps: Deps, scholarly_twin: ScholarlyTwin) -> None:
    scholarly_twin.fail("openalex.authors", 503)
    recipient = Addressee("Maria Chen", "protein folding")
    result = await run_pipeline(RESEARCH, recipient, deps=deps(), on_step=StepLog())
    assert not result.evidence.author_verified
    assert scholarly_twin.requests_to("arxiv")  # on-topic preprints were found ...
    assert not any(s.kind == "arxiv" for s in result.evidence.sources)  # ... but topic is not identity: none cited
    assert any(n.startswith("arxiv:") and "authorship not verified" in n for n in result.evidence.notes)
    assert result.status == "needs_review"


async def test_a_hostile_page_contributes_facts_only(deps: Deps, scholarly_twin: ScholarlyTwin) -> None:
    recipient = Addressee("Priya Raman", "urban stormwater", profile_urls=(scholarly_twin.page_url("raman-westfield"),))
    result = await run_pipeline(GENERAL, recipient, deps=deps(), on_step=StepLog())
    everything = " ".join(
        [result.draft.subject, result.draft.body]
        + [f.text for f in result.evidence.facts]
        + [s.excerpt for s in result.evidence.sources]
    )
    assert "evil" not in everything.lower()
    assert "bank details" not in everything
    assert any("green roofs" in f.text for f in result.evidence.facts)  # the real facts survive
    assert any("ignored 4 sentence(s)" in n for n in result.evidence.notes)
    assert result.status == "completed", result.reasons


async def test_search_pages_count_only_when_about_this_person(deps: Deps, scholarly_twin: ScholarlyTwin) -> None:
    recipient = Addressee("Maria Chen", "protein folding", affiliation="University of Northbridge")
    result = await run_pipeline(RESEARCH, recipient, deps=deps(exa=True), on_step=StepLog())
    search_sources = [s for s in result.evidence.sources if s.kind == "search"]
    assert [s.title for s in search_sources] == [
        "Northbridge biologist wins early-career award for protein folding work"
    ]
    assert any("blog-eastmarch-chen" in n and "not clearly about" in n for n in result.evidence.notes)


async def test_sender_placeholders_are_left_and_reported(deps: Deps) -> None:
    template = GENERAL.replace("Sam", "[Your Name]")
    recipient = Addressee("Tomás Okafor", "engineering education")
    result = await run_pipeline(template, recipient, deps=deps(), on_step=StepLog())
    assert result.status == "needs_review"
    assert "[Your Name]" in result.draft.body
    assert "[Your Name] was left for you to fill: it is your own detail." in result.reasons
    assert "Placeholders left to fill: [Your Name]." in result.reasons


async def test_a_template_without_placeholders_is_sent_as_written(deps: Deps) -> None:
    template = "Dear Professor Okafor,\n\nCould I visit your office hours on Tuesday to ask about internships?\n\nSam"
    result = await run_pipeline(
        template, Addressee("Tomás Okafor", "engineering education"), deps=deps(), on_step=StepLog()
    )
    assert result.draft.body == template
    assert any("No placeholders found" in w for w in result.analysis.warnings)
    assert result.status == "completed", result.reasons


async def test_cancellation_in_on_step_stops_the_run(deps: Deps, scholarly_twin: ScholarlyTwin) -> None:
    class Cancelled(Exception):
        pass

    seen: list[Step] = []

    async def on_step(step: Step) -> None:
        seen.append(step)
        if step == "papers":
            raise Cancelled

    with pytest.raises(Cancelled):
        await run_pipeline(RESEARCH, Addressee("Maria Chen", "protein folding"), deps=deps(), on_step=on_step)
    assert seen == ["template", "research", "papers"]
    assert scholarly_twin.requests_to("openalex.works") == []


@pytest.mark.parametrize(
    ("recipient", "field"),
    [
        (Addressee("M", "protein folding"), "recipient_name"),
        (Addressee("Maria Chen", "x"), "recipient_interest"),
        (Addressee("Maria Chen", "folding", profile_urls=("ftp://lab.example/me",)), "profile_urls"),
        (
            Addressee("Maria Chen", "folding", profile_urls=tuple(f"https://x.example/{i}" for i in range(6))),
            "profile_urls",
        ),
    ],
)
async def test_bad_recipients_are_rejected_naming_the_field(deps: Deps, recipient: Addressee, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await run_pipeline(RESEARCH, recipient, deps=deps(), on_step=StepLog())
    assert caught.value.field == field


@pytest.fixture
def deps(pipeline_deps: Deps) -> Deps:
    return pipeline_deps
