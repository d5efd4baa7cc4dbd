"""The new checks on real fixture content: every offline draft, for every template and recipient, keeps them green.

The mail merge writes no sentence of its own, so an attribution, link or style failure on its output would be a
false positive of the checks, not of the composer. The sweep covers the three templates, the fixture recipients
(with and without profile pages and web search) and a hostile page.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scriptorium.scribe.pipeline import Addressee, PipelineDeps, run_pipeline
from tests.scribe.conftest import BOOK_TEMPLATE, GENERAL_TEMPLATE, RESEARCH_TEMPLATE, StepLog
from tests.twins.scholarly import ScholarlyTwin

NEW_CHECKS = {"attribution", "links", "style"}
TEMPLATES = {"research": RESEARCH_TEMPLATE, "book": BOOK_TEMPLATE, "general": GENERAL_TEMPLATE}
RECIPIENTS: list[tuple[str, str, str | None, str | None]] = [
    ("Dr. Maria Chen", "protein folding", "University of Northbridge", "mchen-northbridge"),
    ("Maria Chen", "medieval manuscripts", "Eastmarch University", "mchen-eastmarch"),
    ("Maria Chen", "protein folding", None, None),
    ("Priya Raman", "urban stormwater", None, "raman-westfield"),
    ("Tomás Okafor", "engineering education", None, "okafor-lakeshore"),
    ("Quentin Aldridge-Vey", "glacier acoustics", None, None),
]


@pytest.mark.parametrize("template", sorted(TEMPLATES))
@pytest.mark.parametrize("search", [False, True])
async def test_offline_drafts_pass_attribution_links_and_style(
    template: str, search: bool, pipeline_deps: Callable[..., PipelineDeps], scholarly_twin: ScholarlyTwin
) -> None:
    failures = []
    for name, interest, affiliation, page in RECIPIENTS:
        pages = (scholarly_twin.page_url(page),) if page else ()
        recipient = Addressee(name, interest, affiliation=affiliation, profile_urls=pages)
        result = await run_pipeline(TEMPLATES[template], recipient, deps=pipeline_deps(exa=search), on_step=StepLog())
        failures += [(name, c.name, c.message) for c in result.checks if c.name in NEW_CHECKS and not c.passed]
        assert {c.name for c in result.checks} >= NEW_CHECKS
    assert failures == []
