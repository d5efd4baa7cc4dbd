"""The furthest page reached is kept apart from the page on screen (issue 9, item 5).

Going back (a citation, the arrows, a deep link) moves the page on screen only: what the companion knows, the
images it serves, the world graph and the conversation stay at the furthest page, across a reload too. Questions
about "this page" are answered at the page on screen. A spread means the original's: the page sent and the one
after it, which the reader has then reached.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.companion.clients import answer_text, ask, open_at, open_client
from tests.companion.conftest import IngestedSeries, isolated_settings
from tests.twins.llm import OpenAITwin, shared_twin


async def _session(http: httpx.AsyncClient, sid: str) -> dict[str, Any]:
    response = await http.get(f"/api/sessions/{sid}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _move(http: httpx.AsyncClient, sid: str, page: int, **extra: Any) -> dict[str, Any]:
    response = await http.patch(f"/api/sessions/{sid}", json={"current_page": page, **extra})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_going_back_keeps_the_furthest_page_and_the_conversation(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        created = await open_at(http, 6)
        sid = created["session_id"]
        await ask(http, sid, "Who is on this page?")
        at_six = await _session(http, sid)
        back = await _move(http, sid, 1)
        at_one = await _session(http, sid)
        forward_again = await _move(http, sid, 3)
    assert (at_six["current_page"], at_six["furthest_page"]) == (6, 6)
    assert (back["current_page"], back["furthest_page"]) == (1, 6)
    # The pages the reader may flip forward to again still come with image links.
    assert [p["page_number"] for p in back["pages"]] == [1, 2, 3, 4, 5, 6]
    assert all(p["image_url"] for p in back["pages"])
    assert (at_one["current_page"], at_one["furthest_page"]) == (1, 6)
    assert at_one["cursor_index"] == sample.index_of[(1, 6)]
    assert [m["content"] for m in at_one["messages"]] == [m["content"] for m in at_six["messages"]]
    assert [m["role"] for m in at_one["messages"]] == ["user", "assistant"]
    assert forward_again["furthest_page"] == 6


async def test_after_a_reload_on_an_earlier_page_the_conversation_is_still_there(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        created = await open_at(http, 6)
        token, sid = created["reader_token"], created["session_id"]
        await ask(http, sid, "What happens on this page?")
        await _move(http, sid, 1)
        # A reload: the browser opens the episode again with its reader token.
        reopened = await http.post(
            "/api/sessions", json={"episode_slug": created["episode_slug"]}, headers={"X-Reader-Token": token}
        )
        state = await _session(http, reopened.json()["session_id"])
        picker = (await http.get("/api/episodes", headers={"X-Reader-Token": token})).json()["episodes"]
    body = reopened.json()
    assert body["resumed"] is True and body["session_id"] == sid
    assert (body["current_page"], body["furthest_page"]) == (1, 6)
    assert next(m["content"] for m in state["messages"]) == "What happens on this page?"
    # The picker's story so far is the furthest page's, not the page on screen's.
    card = next(c for c in picker if c["slug"] == created["episode_slug"])
    assert card["reading_status"] == "reading"


async def test_a_new_chat_after_going_back_keeps_what_the_reader_reached(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        created = await open_at(http, 6)
        await _move(http, created["session_id"], 2)
        fresh = await http.post(
            "/api/sessions",
            json={"episode_slug": created["episode_slug"], "resume": False},
            headers={"X-Reader-Token": created["reader_token"]},
        )
        state = await _session(http, fresh.json()["session_id"])
    assert fresh.json()["session_id"] != created["session_id"]
    assert (state["current_page"], state["furthest_page"], state["messages"]) == (2, 6, [])


async def test_images_and_the_world_stay_at_the_furthest_page_after_going_back(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        created = await open_at(http, 6)
        sid, slug = created["session_id"], created["episode_slug"]
        await _move(http, sid, 1)
        detail = (await http.get(f"/api/episodes/{slug}", params={"session_id": sid})).json()
        full = (await http.get("/api/world-graph", params={"session_id": sid, "mode": "full"})).json()
        focus = (await http.get("/api/world-graph", params={"session_id": sid, "mode": "focus"})).json()
        thief = await http.get("/api/world-graph/entities/fog-thief", params={"session_id": sid})
        key_card = await http.get("/api/world-graph/entities/brass-key", params={"session_id": sid})
    shown = [p["page_number"] for p in detail["pages"] if p["image_url"]]
    assert shown == [1, 2, 3, 4, 5, 6] and detail["current_page"] == 1
    slugs = {n["slug"] for n in full["nodes"]}
    assert {"fog-thief", "tide-clock-tower"} <= slugs and "brass-key" not in slugs
    # Focus mode is about the page on screen (page 1's cast), not every page up to the furthest.
    focused = {n["slug"] for n in focus["nodes"]}
    assert "wren" in focused and "fog-thief" not in focused
    assert thief.status_code == 200 and key_card.status_code == 404


async def test_chat_knows_up_to_the_furthest_page_and_answers_this_page_at_the_visible_one(
    sample: IngestedSeries,
) -> None:
    async with open_client(sample.settings) as http:
        reached = await open_at(http, 6)
        await _move(http, reached["session_id"], 1)
        newcomer = await open_at(http, 1)
        knows = await ask(http, reached["session_id"], "Who is the Fog Thief?", mode="wiki")
        does_not = await ask(http, newcomer["session_id"], "Who is the Fog Thief?", mode="wiki")
        here = await ask(http, reached["session_id"], "What happens on this page?")
    knows_done = next(f.data for f in knows if f.event == "done")
    assert knows_done["status"] == "complete"
    assert "hooded" in answer_text(knows).lower() or "fog thief" in answer_text(knows).lower()
    assert any(c["kind"] == "wiki" for c in knows_done["citations"])
    assert "hooded" not in answer_text(does_not).lower()
    here_done = next(f.data for f in here if f.event == "done")
    cited_pages = [c["page_number"] for c in here_done["citations"] if c["kind"] == "page"]
    assert cited_pages and cited_pages[0] == 1, cited_pages
    assert max(c["global_index"] for c in here_done["citations"]) <= sample.index_of[(1, 6)]


async def test_a_spread_is_the_page_sent_and_the_one_after_it(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        # Our UI says so when it turns the page ...
        ours = await open_at(http, 1)
        moved = await _move(http, ours["session_id"], 3, spread=True)
        # ... the original's client only when it asks (it moves to the left page, then sends `spread: true`).
        theirs = await open_at(http, 3)
        frames = await ask(http, theirs["session_id"], "What happens on this page?", spread=True)
        after = await _session(http, theirs["session_id"])
        graph = (
            await http.get(
                "/api/world-graph", params={"session_id": theirs["session_id"], "spread": "true", "mode": "full"}
            )
        ).json()
        last = await open_at(http, 8)
        at_end = await _move(http, last["session_id"], 8, spread=True)
    assert (moved["current_page"], moved["furthest_page"]) == (3, 4)
    assert [p["page_number"] for p in moved["pages"]] == [1, 2, 3, 4]
    assert (after["current_page"], after["furthest_page"]) == (3, 4)
    assert after["cursor_index"] == sample.index_of[(1, 4)]
    done = next(f.data for f in frames if f.event == "done")
    cited = {c["page_number"] for c in done["citations"] if c["kind"] == "page"}
    assert cited & {3, 4} and max(cited) <= 4
    # The chat and the world graph agree: Agathe debuts on page 4, the right page of the spread.
    assert "agathe" in {n["slug"] for n in graph["nodes"]} and graph["cursor_index"] == sample.index_of[(1, 4)]
    assert at_end["furthest_page"] == 8  # no page after the last one


@pytest.fixture
def twin() -> OpenAITwin:
    running = shared_twin(OpenAITwin)
    running.reset()
    return running


async def test_a_model_is_told_the_page_on_screen_and_how_far_the_reader_has_read(
    sample: IngestedSeries, twin: OpenAITwin
) -> None:
    twin.responder = lambda body: "Wren lights the lamps."
    settings = isolated_settings(sample.settings.data_dir, chat_provider=twin.chat_spec())
    async with open_client(settings) as http:
        created = await open_at(http, 6)
        await _move(http, created["session_id"], 2)
        await ask(http, created["session_id"], "Where does the Fog Thief go with the jar?")
    chats = [r for r in twin.requests if r.path.endswith("/chat/completions") and r.body.get("stream")]
    messages = chats[-1].body["messages"]
    system = "\n".join(str(m["content"]) for m in messages if m["role"] == "system")
    user = str([m for m in messages if m["role"] == "user"][-1]["content"])
    assert "looking at page 2, and has already read up to page 6" in system
    assert '<page source="page 2">' in user and '<page source="page 6">' not in user
    # Page 6 (reached, not on screen) is retrievable; page 7 (the brass key) never is.
    assert '<earlier_page source="page 6">' in user
    assert "brass key" not in user.lower()


def test_c004_starts_existing_sessions_at_their_current_page(sample: IngestedSeries) -> None:
    """Sessions from before c004 have only ever been where they are: their furthest page is their current page."""
    from alembic import command
    from sqlalchemy import create_engine, text

    from scriptorium.core.db import sync_url
    from scriptorium.migrations import alembic_config, upgrade

    settings = sample.settings
    command.downgrade(alembic_config(settings), "c003")
    engine = create_engine(sync_url(settings))
    try:
        with engine.begin() as connection:
            episode_id, series_id = connection.execute(
                text("SELECT id, series_id FROM companion_episodes ORDER BY number LIMIT 1")
            ).one()
            connection.execute(
                text(
                    "INSERT INTO companion_reader_sessions (id, reader_id, series_id, episode_id, current_page,"
                    " created_at, updated_at) VALUES (:id, :reader, :series, :episode, 5, :now, :now)"
                ),
                {"id": "a" * 32, "reader": "b" * 32, "series": series_id, "episode": episode_id, "now": "2026-12-01"},
            )
        upgrade(settings)
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT current_page, furthest_page FROM companion_reader_sessions WHERE id = :id"),
                {"id": "a" * 32},
            ).one()
    finally:
        engine.dispose()
    assert tuple(row) == (5, 5)
