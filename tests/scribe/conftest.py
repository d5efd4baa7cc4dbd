"""Scribe fixtures: the scholarly twin, settings pointing at it, and pipeline dependencies.

`scribe_settings()` builds Settings whose OpenAlex, arXiv and Semantic Scholar URLs point at the loopback
scholarly twin, with FETCH_ALLOW_HOSTS=127.0.0.1 so safe fetch may read the twin's faculty pages. Models are
offline unless a test passes `chat_provider=openai_twin.chat_spec()`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from scriptorium.core.settings import Settings
from scriptorium.scribe.pipeline import PipelineDeps, Step
from tests.twins.llm import _openai_twin_server, openai_twin
from tests.twins.scholarly import ScholarlyTwin
from tests.twins.server import serve_in_thread

__all__ = ["BOOK_TEMPLATE", "GENERAL_TEMPLATE", "RESEARCH_TEMPLATE", "_openai_twin_server", "openai_twin"]

FIXED_NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
"""Runs use a fixed clock so the arXiv "last 10 years" window does not drift with the calendar."""


@pytest.fixture(autouse=True)
def a_test_lives_in_the_day_it_started(monkeypatch: pytest.MonkeyPatch) -> None:
    """Daily quotas count the UTC day; a test that queues at 23:59:59 and checks the quota at 00:00:01 would see a
    fresh allowance (rightly) and fail. Calls that ask for "today" get the day the test started in."""
    from scriptorium.scribe import quota

    started = datetime.now(UTC)
    real = quota.day_window
    monkeypatch.setattr(quota, "day_window", lambda now=None: real(now or started))


# One template per type, written the way students write them; the scholarly fixtures can fill all three.
RESEARCH_TEMPLATE = """Subject: Question about {{paper_title}}

Dear Professor {{last_name}},

I'm a second-year biology student. I read your paper "{{paper_title}}" and would love to learn how your group \
at {{university}} approaches {{research_area}}.

Would you have fifteen minutes for a call next week?

Best,
Sam"""
BOOK_TEMPLATE = """Dear Dr. {{last_name}},

I just finished {{book_title}} for my seminar on {{research_area}}. Could I ask you two questions about how you \
traced the scribes?

Thank you,
Sam"""
GENERAL_TEMPLATE = """Hello {{name}},

I'm a first-year engineering student at {{university}} and I'd like to ask for advice about {{research_area}}. \
Could I stop by during your office hours?

Thanks,
Sam"""


@pytest.fixture(scope="session")
def _scholarly_twin_server() -> Iterator[ScholarlyTwin]:
    twin = ScholarlyTwin()
    with serve_in_thread(twin) as url:
        twin.base_url = url
        yield twin


@pytest.fixture
def scholarly_twin(_scholarly_twin_server: ScholarlyTwin) -> ScholarlyTwin:
    """The scholarly twin, reset for this test (no latency, no faults, fixture pages only)."""
    _scholarly_twin_server.reset()
    return _scholarly_twin_server


@pytest.fixture
def scribe_settings(make_settings: Callable[..., Settings], scholarly_twin: ScholarlyTwin) -> Callable[..., Settings]:
    """Build Settings pointing at the scholarly twin; keyword overrides win (e.g. `exa=True`, `timeout=0.5`)."""

    def factory(*, exa: bool = False, searxng: bool = False, timeout: float = 5.0, **overrides: Any) -> Settings:
        values = scholarly_twin.settings_overrides(exa=exa, searxng=searxng, timeout=timeout)
        return make_settings(**(values | overrides))

    return factory


@pytest.fixture
def scholarly_settings(scribe_settings: Callable[..., Settings]) -> Settings:
    """Settings on the scholarly twin with defaults (offline models, no web search, 5 s per source)."""
    return scribe_settings()


@pytest.fixture
async def research_http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


@pytest.fixture
def pipeline_deps(
    scribe_settings: Callable[..., Settings], research_http: httpx.AsyncClient
) -> Callable[..., PipelineDeps]:
    """`PipelineDeps` on the twin with the fixed clock; models come from the settings (offline by default)."""

    def factory(**overrides: Any) -> PipelineDeps:
        settings = scribe_settings(**overrides)
        deps = PipelineDeps.from_settings(settings, research_http)
        deps.now = lambda: FIXED_NOW
        return deps

    return factory


class StepLog:
    """An `on_step` callback that records the steps in order."""

    def __init__(self) -> None:
        self.steps: list[Step] = []

    async def __call__(self, step: Step) -> None:
        self.steps.append(step)


@pytest.fixture
def step_log() -> StepLog:
    return StepLog()
