"""POST /api/sessions/{id}/continue: an earlier conversation carries on at the reader's current place (never its
old one), only for the reader it belongs to, and only in the same episode."""

from __future__ import annotations

from typing import Any

import httpx
from tests.companion.clients import answer_text, ask, first_slug, open_at, open_client
from tests.companion.conftest import IngestedSeries


async def _new_chat(http: httpx.AsyncClient, slug: str, token: str) -> dict[str, Any]:
    response = await http.post(
        "/api/sessions", json={"episode_slug": slug, "resume": False}, headers={"X-Reader-Token": token}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_continuing_appends_to_the_earlier_chat_at_the_current_place(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        # An earlier chat that got to page 6, then a new chat where the reader went back to page 2.
        earlier = await open_at(http, 6)
        slug, token = earlier["episode_slug"], earlier["reader_token"]
        headers = {"X-Reader-Token": token}
        await ask(http, earlier["session_id"], "Who is on this page?")
        current = await _new_chat(http, slug, token)
        await http.patch(f"/api/sessions/{current['session_id']}", json={"current_page": 2})
        response = await http.post(
            f"/api/sessions/{earlier['session_id']}/continue",
            json={"from_session_id": current["session_id"]},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        continued = response.json()
        frames = await ask(http, earlier["session_id"], "What is happening here?")
        state = (await http.get(f"/api/sessions/{earlier['session_id']}")).json()
        resumed = (await http.post("/api/sessions", json={"episode_slug": slug}, headers=headers)).json()
    assert continued["session_id"] == earlier["session_id"]
    assert continued["current_page"] == 2
    # The place is the current session's: its furthest page (6, inherited by the new chat), not more.
    assert continued["furthest_page"] == current["furthest_page"] == 6
    assert answer_text(frames)
    # The question was appended to the earlier conversation.
    questions = [m["content"] for m in state["messages"] if m["role"] == "user"]
    assert questions == ["Who is on this page?", "What is happening here?"]
    # Opening the episode again resumes the continued chat.
    assert resumed["session_id"] == earlier["session_id"]


async def test_a_chat_from_further_on_takes_the_lower_current_place(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        # Two chats of one reader: B stays on page 1, A is moved on to page 7 and asked about it.
        a = await open_at(http, 1)
        slug, token = a["episode_slug"], a["reader_token"]
        b = await _new_chat(http, slug, token)
        await http.patch(f"/api/sessions/{a['session_id']}", json={"current_page": 7})
        await ask(http, a["session_id"], "What happens on page seven?")
        # The reader is in B (page 1) and continues A: A's place becomes page 1, not its page 7.
        continued = await http.post(
            f"/api/sessions/{a['session_id']}/continue",
            json={"from_session_id": b["session_id"]},
            headers={"X-Reader-Token": token},
        )
        state = (await http.get(f"/api/sessions/{a['session_id']}")).json()
        ahead = (await http.get(f"/api/sessions/{a['session_id']}/ahead")).json()
    assert continued.status_code == 200, continued.text
    assert continued.json()["current_page"] == 1 and continued.json()["furthest_page"] == 1
    assert state["furthest_page"] == 1
    # The answer about page 7 is past the place now, so the history no longer shows it.
    assert all("seven" not in m["content"] for m in state["messages"]), state["messages"]
    assert [p["page_number"] for p in ahead["pages"]] == [2]


async def test_continuing_needs_the_readers_token_and_the_same_episode(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        mine = await open_at(http, 3)
        token = mine["reader_token"]
        slug = mine["episode_slug"]
        second = await _new_chat(http, slug, token)
        no_token = await http.post(
            f"/api/sessions/{mine['session_id']}/continue", json={"from_session_id": second["session_id"]}
        )
        stranger = await open_at(http, 2)
        not_mine = await http.post(
            f"/api/sessions/{stranger['session_id']}/continue",
            json={"from_session_id": second["session_id"]},
            headers={"X-Reader-Token": token},
        )
        other_episode = (
            await http.post(
                "/api/sessions",
                json={"episode_slug": await first_slug(http, 2)},
                headers={"X-Reader-Token": token},
            )
        ).json()
        across = await http.post(
            f"/api/sessions/{mine['session_id']}/continue",
            json={"from_session_id": other_episode["session_id"]},
            headers={"X-Reader-Token": token},
        )
        state = (await http.get(f"/api/sessions/{stranger['session_id']}")).json()
    assert no_token.status_code == 401 and "X-Reader-Token" in no_token.json()["detail"]
    assert not_mine.status_code == 404
    assert across.status_code == 422 and "another episode" in across.json()["detail"]
    assert state["current_page"] == 2  # the refused calls moved nothing
