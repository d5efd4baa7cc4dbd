"""Chat over SSE: frames, persistence, limits, a configured model (the OpenAI twin), failures and the leak guard."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from httpx_sse import EventSource
from tests.companion.clients import answer_text, ask, open_at, open_client, parse_sse
from tests.companion.conftest import IngestedSeries, ingest, isolated_settings
from tests.twins.llm import OpenAITwin, shared_twin


@pytest.fixture
def twin() -> OpenAITwin:
    """The process's OpenAI-compatible twin, reset for this test."""
    running = shared_twin(OpenAITwin)
    running.reset()
    return running


def _with_model(sample: IngestedSeries, twin: OpenAITwin, **overrides: Any) -> Any:
    return isolated_settings(sample.settings.data_dir, chat_provider=twin.chat_spec(), **overrides)


def _prompt(twin: OpenAITwin) -> tuple[str, str]:
    """(system, last user message) of the last chat request the twin received."""
    chats = [r for r in twin.requests if r.path.endswith("/chat/completions") and r.body.get("stream")]
    messages = chats[-1].body["messages"]
    system = "\n".join(str(m["content"]) for m in messages if m["role"] == "system")
    user = [m for m in messages if m["role"] == "user"][-1]["content"]
    return system, user if isinstance(user, str) else json.dumps(user)


async def test_offline_answer_streams_tokens_then_done_with_page_citations(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        created = await open_at(http, 3)
        frames = await ask(http, created["session_id"], "What does Marlo say about the lamps?")
        history = (await http.get(f"/api/sessions/{created['session_id']}")).json()
    kinds = [f.event for f in frames]
    assert kinds.count("token") > 3 and kinds[-1] == "done" and "error" not in kinds
    done = frames[-1].data
    text = answer_text(frames)
    assert "lamps" in text.lower() and "[page 3]" in text
    assert done["provider"] == "offline" and done["status"] == "complete"
    assert done["citations"] and all(c["global_index"] <= 2 for c in done["citations"])
    assert [s["mode"] for s in done["suggestions"]] in (["page", "wiki"], ["page"], ["wiki"], [])
    assert all(s["text"].endswith("?") for s in done["suggestions"])
    assert [m["role"] for m in history["messages"]] == ["user", "assistant"]
    assert history["messages"][1]["id"] == done["message_id"]
    assert history["messages"][1]["content"] == text


async def test_who_is_on_this_page_names_the_cast_of_the_visible_page(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        created = await open_at(http, 3)
        text = answer_text(await ask(http, created["session_id"], "Who is on this page?"))
    assert text.startswith("On this page are Marlo Finch, Wren Alder and Pim.")


async def test_page_mode_retrieves_only_earlier_pages_and_wiki_mode_only_unlocked_sections(
    sample: IngestedSeries,
) -> None:
    async with open_client(sample.settings) as http:
        created = await open_at(http, 4)
        sid = created["session_id"]
        page = (
            await http.post(
                "/api/retrieve", json={"session_id": sid, "mode": "page", "query": "lamps went out", "k": 10}
            )
        ).json()
        wiki = (
            await http.post("/api/retrieve", json={"session_id": sid, "mode": "wiki", "query": "who", "k": 20})
        ).json()
        by_params = (
            await http.post("/api/retrieve", json={"episode_slug": created["episode_slug"], "page": 2, "query": "lamp"})
        ).json()
        no_cursor = await http.post("/api/retrieve", json={"query": "lamp"})
    assert page["chunks"] and all(c["global_index"] < 3 for c in page["chunks"])
    assert wiki["chunks"] and all(c["global_index"] <= 3 for c in wiki["chunks"])
    assert all(c["global_index"] < 1 for c in by_params["chunks"])
    assert no_cursor.status_code == 422 and no_cursor.json()["field"] == "session_id"


async def test_message_cap_and_empty_messages_are_422_naming_the_field(sample: IngestedSeries) -> None:
    settings = isolated_settings(sample.settings.data_dir, companion_message_max_chars=50)
    async with open_client(settings) as http:
        created = await open_at(http, 1)
        long = await http.post(f"/api/sessions/{created['session_id']}/messages", json={"message": "x" * 51})
        blank = await http.post(f"/api/sessions/{created['session_id']}/messages", json={"message": "   "})
        bad_mode = await http.post(
            f"/api/sessions/{created['session_id']}/messages", json={"message": "hi", "mode": "x"}
        )
    # Refusals keep their status but arrive as an event stream with one `error` frame (the original client
    # reads the body as a stream without checking the status; see api/stream_errors.py).
    (too_long,), (empty,), (mode,) = (parse_sse(r.text) for r in (long, blank, bad_mode))
    assert long.status_code == 422 and too_long.event == "error"
    assert too_long.data["field"] == "message" and "50" in too_long.data["message"]
    assert blank.status_code == 422 and empty.data["field"] == "message"
    assert bad_mode.status_code == 422 and mode.data["code"] == "validation_error" and mode.data["field"] == "mode"


async def test_rate_limit_answers_429_with_retry_after(sample: IngestedSeries) -> None:
    settings = isolated_settings(sample.settings.data_dir, companion_rate_limit_per_minute=2)
    async with open_client(settings) as http:
        created = await open_at(http, 1)
        url = f"/api/sessions/{created['session_id']}/messages"
        first = await http.post(url, json={"message": "Who is Wren?"})
        second = await http.post(url, json={"message": "Who is Pim?"})
        third = await http.post(url, json={"message": "Where is this?"})
    assert first.status_code == second.status_code == 200
    assert third.status_code == 429
    assert 1 <= int(third.headers["retry-after"]) <= 60
    assert third.headers["content-type"].startswith("text/event-stream")
    assert [(f.event, f.data["code"]) for f in parse_sse(third.text)] == [("error", "rate_limited")]


async def test_unknown_session_is_an_error_frame_as_in_the_original(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        response = await http.post(f"/api/sessions/{'b' * 32}/messages", json={"message": "hello?"})
    frames = parse_sse(response.text)
    assert response.status_code == 200
    assert [f.event for f in frames] == ["error"]
    assert frames[0].data["code"] == "not_found" and "b" * 32 in frames[0].data["message"]


async def test_configured_model_streams_and_gets_only_what_the_reader_has_reached(
    sample: IngestedSeries, twin: OpenAITwin
) -> None:
    twin.responder = lambda body: "Marlo says the lamps went dark again [page 3]."
    async with open_client(_with_model(sample, twin)) as http:
        created = await open_at(http, 3)
        frames = await ask(http, created["session_id"], "What did Marlo say?")
    system, user = _prompt(twin)
    assert answer_text(frames) == "Marlo says the lamps went dark again [page 3]."
    tokens = [f.data["text"] for f in frames if f.event == "token"]
    # A model's answer goes out a whole sentence at a time (chat/guard.SentenceGuard: checked before it is sent).
    assert tokens == ["Marlo says the lamps went dark again [page 3]."]
    done = frames[-1].data
    assert done["provider"] == "openai-compatible:twin-model" and "127.0.0.1" not in done["provider"]
    assert "page 3" in system and "Never reveal" in system
    assert '<page source="page 3">' in user and "<question>" in user
    for later in ("Agathe", "harbourmistress", "curfew"):  # page 4 onwards
        assert later not in user and later not in system


async def test_model_failure_is_an_error_frame_with_a_safe_message(sample: IngestedSeries, twin: OpenAITwin) -> None:
    twin.fail_next(400, times=5)
    async with open_client(_with_model(sample, twin, llm_max_retries=0)) as http:
        created = await open_at(http, 2)
        frames = await ask(http, created["session_id"], "Who is Osric?")
        history = (await http.get(f"/api/sessions/{created['session_id']}")).json()
    error = frames[-1]
    assert error.event == "error" and error.data["code"] == "generation_failed"
    assert "twin error" not in error.data["message"] and "Traceback" not in error.data["message"]
    assert history["messages"][-1]["status"] == "failed"


async def test_leak_guard_stops_a_model_that_names_someone_the_reader_has_not_met(
    sample: IngestedSeries, twin: OpenAITwin
) -> None:
    # The model "remembers" the comic: Agathe debuts on page 4, the reader is on page 2.
    twin.responder = lambda body: "Osric is kind. Later Agathe Brune declares a curfew on the whole town."
    async with open_client(_with_model(sample, twin)) as http:
        created = await open_at(http, 2)
        frames = await ask(http, created["session_id"], "What happens next?")
    text = answer_text(frames)
    assert "Agathe" not in text and "Brune" not in text
    assert text.startswith("Osric is kind.") and "haven't reached" in text
    assert frames[-1].data["status"] == "guarded"


async def test_history_is_replayed_to_the_model_as_plain_text(sample: IngestedSeries, twin: OpenAITwin) -> None:
    twin.responder = lambda body: "Pim is a clockwork heron."
    async with open_client(_with_model(sample, twin)) as http:
        created = await open_at(http, 2)
        await ask(http, created["session_id"], "Who is Pim?")
        await ask(http, created["session_id"], "And who made him?")
    messages = [r for r in twin.requests if r.body.get("stream")][-1].body["messages"]
    roles = [m["role"] for m in messages if m["role"] != "system"]
    assert roles == ["user", "assistant", "user"]
    assert messages[-2]["content"] == "Pim is a clockwork heron."


async def test_creating_a_session_warms_the_model_without_waiting(sample: IngestedSeries, twin: OpenAITwin) -> None:
    async with open_client(_with_model(sample, twin)) as http:
        await open_at(http, 1)
        for _ in range(100):
            if twin.requests:
                break
            await asyncio.sleep(0.02)
        await open_at(http, 2)  # a second reader within the minute: the server is already awake
        await asyncio.sleep(0.3)
    warm = twin.requests[0]
    assert warm.path.endswith("/chat/completions") and warm.body.get("max_tokens") == 1
    assert len([r for r in twin.requests if r.body.get("max_tokens") == 1]) == 1


class SlowTwin(OpenAITwin):
    """Streams one word every 50 ms and records whether the stream ran to the end or was abandoned."""

    def reset(self) -> None:
        super().reset()
        self.finished = 0
        self.abandoned = 0

    async def _stream(self, body: dict[str, Any], reply: Any) -> Any:
        try:
            async for frame in super()._stream(body, reply):
                yield frame
                await asyncio.sleep(0.05)
            self.finished += 1
        except BaseException:
            self.abandoned += 1
            raise


@pytest.mark.slow
async def test_client_disconnect_stops_generation(sample: IngestedSeries) -> None:
    from tests.twins.server import serve_in_thread

    from scriptorium.app import create_app

    twin = SlowTwin()
    twin.responder = lambda body: " ".join(f"word{i}" for i in range(600))
    with serve_in_thread(twin) as twin_url:
        twin.base_url = twin_url
        settings = _with_model(sample, twin)
        with serve_in_thread(create_app(settings)) as base:
            async with httpx.AsyncClient(base_url=base, timeout=10) as http:
                created = await open_at(http, 2)
                url = f"/api/sessions/{created['session_id']}/messages"
                async with http.stream("POST", url, json={"message": "Tell me everything"}) as response:
                    async for event in EventSource(response).aiter_sse():
                        if event.event == "token":
                            break
                for _ in range(300):  # generous for a loaded machine; the full answer would take 30 s
                    if twin.abandoned:
                        break
                    await asyncio.sleep(0.05)
                for _ in range(100):
                    history = (await http.get(f"/api/sessions/{created['session_id']}")).json()
                    if history["messages"]:
                        break
                    await asyncio.sleep(0.05)
                history = (await http.get(f"/api/sessions/{created['session_id']}")).json()
    assert twin.abandoned == 1 and twin.finished == 0
    assert history["messages"][-1]["status"] == "stopped"
    assert history["messages"][-1]["content"].startswith("word0")


async def test_a_reingest_reaches_the_next_prompt_of_a_running_server(
    sample: IngestedSeries, twin: OpenAITwin, tmp_path: Path
) -> None:
    """Pages come from a per-process cache keyed by content version: an ingest must replace them, no restart."""
    edited = tmp_path / "sample"
    shutil.copytree(sample.root, edited)
    pages_file = edited / "episodes" / "ep01-the-stolen-lights" / "pages.yaml"
    listed = yaml.safe_load(pages_file.read_text(encoding="utf-8"))
    listed["pages"][2]["text"] = "Marlo: The lamps went out and a saffron kite flew over the pier!"
    async with open_client(_with_model(sample, twin)) as http:
        created = await open_at(http, 3)
        await ask(http, created["session_id"], "What did Marlo say?")
        assert "saffron kite" not in _prompt(twin)[1]
        pages_file.write_text(yaml.safe_dump(listed, sort_keys=False), encoding="utf-8")
        await ingest(sample.settings, edited)
        await ask(http, created["session_id"], "What did Marlo say?")
    assert "saffron kite" in _prompt(twin)[1]
