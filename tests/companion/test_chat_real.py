"""Offline answers on the real Pepper&Carrot episodes 1-3, through the chat API: the issue's examples, and every
chip the companion offers at any page gets an answer when clicked.

The import (`--skip-unreached`, as the docs say) is made once per test process into a template and copied per test.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.companion.clients import answer_text, ask, open_at, open_client
from tests.companion.conftest import IngestedSeries, _copy, _describe, ingest, isolated_settings
from tests.migrated_template import migrate
from tests.services import require

REAL = Path(os.environ.get("PEPPERCARROT_SAMPLE_DIR", Path(__file__).resolve().parents[3] / "shared" / "peppercarrot"))
REFUSALS = ("I can't find that", "don't cover that")


@pytest.fixture(scope="module")
def _real_template(tmp_path_factory: pytest.TempPathFactory) -> IngestedSeries:
    import asyncio

    require(REAL.is_dir(), "real Pepper&Carrot files in ../shared/peppercarrot", "set PEPPERCARROT_SAMPLE_DIR")
    settings = isolated_settings(tmp_path_factory.mktemp("real") / "var")
    migrate(settings)

    async def build() -> IngestedSeries:
        return await _describe(settings, REAL, await ingest(settings, REAL, skip_unreached=True))

    return asyncio.run(build())


@pytest.fixture
def real(_real_template: IngestedSeries, tmp_path: Path) -> IngestedSeries:
    return _copy(_real_template, tmp_path)


async def test_the_issues_examples_now_answer(real: IngestedSeries) -> None:
    async with open_client(real.settings) as http:
        first = await open_at(http, 1, episode=1)
        who = answer_text(await ask(http, first["session_id"], "Who is on this page?"))
        carrot = answer_text(await ask(http, first["session_id"], "Who is Carrot?", "wiki"))
        sign_page = await open_at(http, 1, episode=2)
        sign = answer_text(await ask(http, sign_page["session_id"], "What does the sign say?"))
    assert "Pepper" in who and "Carrot" in who
    assert "familiar" in carrot and "[Carrot]" in carrot
    assert "“WARNING”, “PROPERTY” and “WITCH”" in sign


async def test_every_chip_offered_on_the_real_episodes_is_answered(real: IngestedSeries) -> None:
    asked: list[tuple[int, int, str, str]] = []
    unlimited = isolated_settings(real.settings.data_dir, companion_rate_limit_per_minute=10_000)
    async with open_client(unlimited) as http:
        for (episode, number), _ in sorted(real.index_of.items()):
            for mode in ("page", "wiki"):
                created = await open_at(http, number, episode=episode, resume=False)
                frames = await ask(http, created["session_id"], "Tell me something", mode)
                for chip in frames[-1].data["suggestions"]:
                    answer = answer_text(await ask(http, created["session_id"], chip["text"], chip["mode"]))
                    asked.append((episode, number, chip["text"], answer))
    assert len(asked) >= 15, "chips should be offered on most pages"
    refused = [item for item in asked if any(r in item[3] for r in REFUSALS)]
    assert refused == []


@pytest.mark.parametrize(
    "question",
    ["Does Pepper win the potion contest?", "Is Carrot at the potion contest?", "When does Pepper meet Saffron?"],
)
async def test_a_wiki_question_about_later_events_says_the_wiki_does_not_cover_it(
    real: IngestedSeries, question: str
) -> None:
    """Episode 1's wiki knows Pepper and Carrot but nothing of a contest (episode 6): a card that only shares a name
    with the question is not its answer."""
    async with open_client(real.settings) as http:
        first = await open_at(http, 1, episode=1)
        answer = answer_text(await ask(http, first["session_id"], question, "wiki"))
    assert "don't cover that" in answer, answer
    assert "familiar" not in answer, answer
