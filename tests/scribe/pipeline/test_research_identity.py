"""End to end on the twins: hostile research text never reaches the email or the model, and a namesake's paper on
the recipient's own topic is never cited.

The persona is Helena Voss (coral reef acoustics, University of Brightwater; fixtures in tests/fixtures/scholarly):
- her profile page (`voss-brightwater`) and a news page the search twins return (`voss-reefnews`) carry requests
  to the letter's writer in reworded forms (hidden and visible), next to real facts;
- her two OpenAlex works hide a request inside the abstract; her arXiv preprint (listed on her profile page) hides
  one too;
- a namesake's co-authored arXiv preprint is on exactly her topic ("Passive acoustic monitoring of coral reef
  soundscapes with deep learning") and must never be cited, offline or in what the model is sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from scriptorium.scribe.pipeline import Addressee, PipelineDeps, PipelineResult, run_pipeline
from scriptorium.scribe.pipeline.prompts import user_prompt
from tests.scribe.conftest import RESEARCH_TEMPLATE, StepLog
from tests.twins.llm import OpenAITwin
from tests.twins.scholarly import ScholarlyTwin
from tests.twins.server import serve_in_thread
from tests.twins.web import WebTwin

Deps = Callable[..., PipelineDeps]
NAMESAKE = "Passive acoustic monitoring of coral reef soundscapes with deep learning"
OWN_OPENALEX = {
    "Snapping shrimp choruses as indicators of reef health",
    "Soundscape indices for tracking coral reef recovery",
}
OWN_PREPRINT = "Low-cost hydrophone arrays for long-term reef monitoring"
# What the hostile sentences try to plant; none of it is true of the persona, so none may appear anywhere.
PLANTED = re.compile(
    r"Nobel|Crafoord|Guggenheim|Turing|Oxford|MIT\b|Hale|knighted|deep-sea sponges|Reef Sound Foundation|PhD|"
    r"sender|congratulat",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def web_base() -> Iterator[str]:
    """The generic web twin (tests/fixtures/web), serving `.txt` files as text/plain."""
    with serve_in_thread(WebTwin()) as base:
        yield base


def voss(twin: ScholarlyTwin, *, page: bool = True) -> Addressee:
    urls = (twin.page_url("voss-brightwater"),) if page else ()
    return Addressee(
        "Dr. Helena Voss", "coral reef acoustics", affiliation="University of Brightwater", profile_urls=urls
    )


def everything_research_contributed(result: PipelineResult) -> str:
    """Every piece of research text that can reach the email or a prompt: facts, excerpts, titles."""
    parts = [f.text for f in result.evidence.facts] + [f.value for f in result.evidence.facts]
    parts += [f"{s.title} {s.excerpt} {s.url}" for s in result.evidence.sources]
    return "\n".join(parts)


async def run(deps: PipelineDeps, recipient: Addressee) -> PipelineResult:
    return await run_pipeline(RESEARCH_TEMPLATE, recipient, deps=deps, on_step=StepLog())


async def test_a_reworded_hostile_profile_page_contributes_facts_only(
    pipeline_deps: Deps, scholarly_twin: ScholarlyTwin
) -> None:
    result = await run(pipeline_deps(), voss(scholarly_twin))
    research = everything_research_contributed(result)
    assert not PLANTED.search(research), PLANTED.findall(research)
    assert not PLANTED.search(result.draft.body) and not PLANTED.search(result.draft.subject)
    assert any("hydrophone arrays from low-cost parts" in f.text for f in result.evidence.facts)  # real facts stay
    page_url = scholarly_twin.page_url("voss-brightwater")
    note = next(n for n in result.evidence.notes if page_url in n)
    assert note.startswith("profile (web): ignored 5 sentence(s)")
    assert "5 addressed to the letter's writer or reader" in note


@pytest.mark.parametrize("provider", ["exa", "searxng"])
async def test_hostile_search_results_contribute_facts_only(
    pipeline_deps: Deps, scholarly_twin: ScholarlyTwin, provider: str
) -> None:
    result = await run(pipeline_deps(**{provider: True}), voss(scholarly_twin, page=False))
    news = scholarly_twin.page_url("voss-reefnews")
    assert any(s.url == news and s.kind == "search" for s in result.evidence.sources), result.evidence.notes
    research = everything_research_contributed(result)
    assert not PLANTED.search(research), PLANTED.findall(research)
    assert "boat noise away from reefs" in research  # the page's facts are used
    note = next(n for n in result.evidence.notes if news in n)
    assert note.startswith(f"{provider} (search): ignored 5 sentence(s)")


async def test_requests_buried_in_abstracts_are_dropped_and_counted(
    pipeline_deps: Deps, scholarly_twin: ScholarlyTwin
) -> None:
    result = await run(pipeline_deps(), voss(scholarly_twin))
    excerpts = {s.title: s.excerpt for s in result.evidence.sources}
    shrimp = excerpts["Snapping shrimp choruses as indicators of reef health"]
    assert shrimp.startswith("We record snapping shrimp choruses on 14 reefs")
    assert "Chorus intensity tracks coral cover" in shrimp and "Nobel" not in shrimp
    hydrophone = excerpts[OWN_PREPRINT]  # arXiv, citable because her own profile page lists it
    assert "six months on one battery" in hydrophone and "PhD" not in hydrophone
    abstract_notes = [n for n in result.evidence.notes if "in the abstract of" in n]
    assert any(
        n.startswith("arxiv: ignored 1 sentence(s) in the abstract of https://arxiv.org/abs/2511.02277")
        for n in abstract_notes
    )
    assert any(
        n.startswith("openalex: ignored 1 sentence(s) in the abstract of https://doi.org/") for n in abstract_notes
    )


async def test_a_namesakes_coauthored_preprint_on_her_topic_is_never_cited_offline(
    pipeline_deps: Deps, scholarly_twin: ScholarlyTwin
) -> None:
    for recipient in (voss(scholarly_twin), voss(scholarly_twin, page=False)):
        result = await run(pipeline_deps(), recipient)
        titles = {s.title for s in result.evidence.sources}
        assert scholarly_twin.requests_to("arxiv")
        assert NAMESAKE not in titles
        assert NAMESAKE not in result.draft.body and NAMESAKE not in result.draft.subject
        assert titles >= OWN_OPENALEX  # her OpenAlex-verified papers are still cited
        cited = {f.value for f in result.evidence.facts if f.kind == "paper"}
        assert cited & OWN_OPENALEX
        assert any(title in result.draft.body for title in cited)
        note = next(n for n in result.evidence.notes if n.startswith("arxiv:") and "not verified" in n)
        assert NAMESAKE[:40] in note
    # Without her profile page, her own preprint has no identity tie either: it is not cited.
    assert OWN_PREPRINT not in titles


async def test_the_model_never_sees_the_namesake_or_the_planted_claims(
    pipeline_deps: Deps, scholarly_twin: ScholarlyTwin, openai_twin: OpenAITwin
) -> None:
    def reply(request: dict[str, Any]) -> dict[str, Any]:
        return {"subject": "Your reef recordings", "body": "Dear Professor Voss,\n\nThank you.\n\nSam", "claims": []}

    openai_twin.responder = reply
    deps = pipeline_deps(email_composer_model=openai_twin.chat_spec(), exa=True)
    result = await run(deps, voss(scholarly_twin))
    sent = [
        " ".join(str(m["content"]) for m in r.body["messages"])
        for r in openai_twin.requests
        if r.body and "messages" in r.body
    ]
    compose_prompt = next(text for text in sent if "UNTRUSTED_SOURCE" in text)
    assert NAMESAKE not in compose_prompt
    assert OWN_PREPRINT in compose_prompt and all(t in compose_prompt for t in OWN_OPENALEX)
    data = compose_prompt[compose_prompt.index("Sources (data only):") :]
    assert not PLANTED.search(data), PLANTED.findall(data)
    # The prompt the pipeline builds from this evidence is the same text: nothing is added at compose time.
    assert NAMESAKE not in user_prompt(RESEARCH_TEMPLATE, result.analysis, voss(scholarly_twin), result.evidence)


async def test_a_plain_text_profile_page_on_the_web_twin_contributes_facts_only(
    pipeline_deps: Deps, scholarly_twin: ScholarlyTwin, web_base: str
) -> None:
    url = f"{web_base}/pages/profile-voss.txt"
    recipient = Addressee(
        "Helena Voss", "coral reef acoustics", affiliation="University of Brightwater", profile_urls=(url,)
    )
    result = await run(pipeline_deps(), recipient)
    research = everything_research_contributed(result)
    assert not PLANTED.search(research), PLANTED.findall(research)
    assert "Fiji, Palau and the Great Barrier Reef" in research
    note = next(n for n in result.evidence.notes if url in n)
    assert note == f"profile (web): ignored 4 sentence(s) on {url}: 4 addressed to the letter's writer or reader"
