"""A model's `done` frame cites what its answer used, and an answer the leak guard cut off still records its usage.

Driven through the chat API against the OpenAI-compatible twin; the rule itself is in `companion.citing`.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from tests.companion.clients import answer_text, ask, open_at, open_client
from tests.companion.conftest import IngestedSeries, isolated_settings
from tests.twins.llm import OpenAITwin, shared_twin

from scriptorium.companion.boundary import Cursor
from scriptorium.companion.chat import citing
from scriptorium.companion.chat.turn import Passage, Turn
from scriptorium.companion.models import ChatMessage
from scriptorium.core.resources import open_resources


@pytest.fixture
def twin() -> OpenAITwin:
    running = shared_twin(OpenAITwin)
    running.reset()
    return running


def _with_model(sample: IngestedSeries, twin: OpenAITwin) -> Any:
    return isolated_settings(sample.settings.data_dir, chat_provider=twin.chat_spec())


def _retrieved_count(twin: OpenAITwin) -> int:
    """How many notes the last prompt carried (visible page plus retrieved passages)."""
    chats = [r for r in twin.requests if r.body.get("stream")]
    user = [m for m in chats[-1].body["messages"] if m["role"] == "user"][-1]["content"]
    return int(str(user).count("<page ") + str(user).count("<earlier_page ") + str(user).count("<wiki "))


async def _saved_answer(sample: IngestedSeries, session_id: str) -> ChatMessage:
    async with open_resources(sample.settings) as resources, resources.sessionmaker() as db:
        rows = await db.scalars(
            select(ChatMessage).where(ChatMessage.session_id == session_id, ChatMessage.role == "assistant")
        )
        return list(rows.all())[-1]


async def test_markers_cite_only_the_pages_the_answer_names(sample: IngestedSeries, twin: OpenAITwin) -> None:
    twin.responder = lambda body: "Marlo brings the news that the lamps went dark again [page 3]."
    async with open_client(_with_model(sample, twin)) as http:
        created = await open_at(http, 3)
        frames = await ask(http, created["session_id"], "Who brought the news about the lamps and the keeper?")
    done = frames[-1].data
    assert _retrieved_count(twin) > 1, "the prompt should have carried more notes than the answer used"
    assert len(done["retrieved_doc_ids"]) >= 1
    assert [(c["page_number"], c["kind"]) for c in done["citations"]] == [(3, "page")]


async def test_a_marker_for_a_page_not_in_the_notes_cites_nothing(sample: IngestedSeries, twin: OpenAITwin) -> None:
    twin.responder = lambda body: "It is all explained later [page 12]."
    async with open_client(_with_model(sample, twin)) as http:
        created = await open_at(http, 3)
        frames = await ask(http, created["session_id"], "What happens next?")
    assert frames[-1].data["citations"] == []


async def test_no_markers_and_no_overlap_cites_nothing(sample: IngestedSeries, twin: OpenAITwin) -> None:
    twin.responder = lambda body: "I'm not sure yet; keep reading and ask me again."
    async with open_client(_with_model(sample, twin)) as http:
        created = await open_at(http, 3)
        frames = await ask(http, created["session_id"], "What did Marlo say?")
    assert frames[-1].data["citations"] == []


async def test_no_markers_cites_the_passage_the_answer_paraphrases(sample: IngestedSeries, twin: OpenAITwin) -> None:
    async with open_client(_with_model(sample, twin)) as http:
        created = await open_at(http, 3)
        # Echo the visible page's own words back without a marker: the answer overlaps page 3 and nothing else.
        await ask(http, created["session_id"], "What did Marlo say?")
        chats = [r for r in twin.requests if r.body.get("stream")]
        user = str([m for m in chats[-1].body["messages"] if m["role"] == "user"][-1]["content"])
        page_three = user.split('<page source="page 3">', 1)[1].split("</page>", 1)[0]
        twin.responder = lambda body: " ".join(page_three.split()[:40])
        frames = await ask(http, created["session_id"], "What did Marlo say?")
    cited = frames[-1].data["citations"]
    assert cited and cited[0]["page_number"] == 3 and cited[0]["kind"] == "page"


async def test_a_guarded_answer_records_estimated_usage(sample: IngestedSeries, twin: OpenAITwin) -> None:
    twin.responder = lambda body: "Osric is kind. Later Agathe Brune declares a curfew on the whole town."
    async with open_client(_with_model(sample, twin)) as http:
        created = await open_at(http, 2)
        frames = await ask(http, created["session_id"], "What happens next?")
    assert frames[-1].data["status"] == "guarded"
    assert "Agathe" not in answer_text(frames)
    saved = await _saved_answer(sample, created["session_id"])
    counts = saved.token_counts
    # The prompt was read in full: hundreds of characters of notes, so well over 50 tokens, flagged as estimated.
    assert counts["input"] > 50 and counts["output"] >= 3 and counts["estimated"] is True


async def test_a_complete_answer_records_the_reported_usage(sample: IngestedSeries, twin: OpenAITwin) -> None:
    twin.responder = lambda body: "Osric is kind [page 2]."
    async with open_client(_with_model(sample, twin)) as http:
        created = await open_at(http, 2)
        await ask(http, created["session_id"], "Who is Osric?")
    counts = (await _saved_answer(sample, created["session_id"])).token_counts
    assert counts["input"] > 0 and counts["output"] > 0 and "estimated" not in counts


def _passage(n: int, text: str, episode: int = 1) -> Passage:
    return Passage(f"p{episode}-{n}", "page", "earlier", text, n - 1, f"page {n}", f"ep{episode}", episode, n)


def _turn(passages: list[Passage]) -> Turn:
    return Turn("page", "q", Cursor("s", 40), "S", "E", 2, (4,), "", tuple(passages))


def test_marker_rules_whole_labels_other_episodes_and_order() -> None:
    here = _passage(3, "Wren lights the lamp.", episode=2)
    there = _passage(3, "Marlo rings the bell.", episode=1)
    thirty = _passage(30, "The serpent sleeps.", episode=2)
    turn = _turn([here, there, thirty])
    assert citing.cited(turn, "The bell rang [episode 1, page 3], then the lamp [page 3].") == [there, here]
    assert citing.cited(turn, "The serpent [page 30].") == [thirty]
    assert citing.cited(turn, "Nothing [page 300].") == []
