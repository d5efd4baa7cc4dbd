"""GET /api/sessions: a reader's earlier conversations in one episode, named by their first question."""

from __future__ import annotations

from tests.companion.clients import ask, open_at, open_client
from tests.companion.conftest import IngestedSeries


async def test_lists_only_this_readers_conversations_with_a_question_newest_first(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        first = await open_at(http, 3)
        slug, token = first["episode_slug"], first["reader_token"]
        headers = {"X-Reader-Token": token}
        await ask(http, first["session_id"], "What does Marlo say about the lamps?")
        second = (
            await http.post("/api/sessions", json={"episode_slug": slug, "resume": False}, headers=headers)
        ).json()
        await ask(http, second["session_id"], "Who is on this page?")
        # An empty new chat is not listed, and another reader's conversation never is.
        await http.post("/api/sessions", json={"episode_slug": slug, "resume": False}, headers=headers)
        stranger = await open_at(http, 2)
        await ask(http, stranger["session_id"], "A stranger's question about the lamps?")
        listing = await http.get("/api/sessions", params={"episode_slug": slug}, headers=headers)
    assert listing.status_code == 200
    sessions = listing.json()["sessions"]
    assert [s["session_id"] for s in sessions] == [second["session_id"], first["session_id"]]
    assert [s["title"] for s in sessions] == ["Who is on this page?", "What does Marlo say about the lamps?"]
    assert all(s["message_count"] == 2 for s in sessions)
    assert sessions[1]["furthest_page"] == 3


async def test_listing_needs_a_valid_token_and_a_known_episode(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        created = await open_at(http, 1)
        slug, token = created["episode_slug"], created["reader_token"]
        no_token = await http.get("/api/sessions", params={"episode_slug": slug})
        forged = await http.get(
            "/api/sessions", params={"episode_slug": slug}, headers={"X-Reader-Token": token[:-3] + "abc"}
        )
        unknown = await http.get(
            "/api/sessions", params={"episode_slug": "no-such-episode"}, headers={"X-Reader-Token": token}
        )
        bad_slug = await http.get("/api/sessions", params={"episode_slug": "../x"}, headers={"X-Reader-Token": token})
    assert no_token.status_code == 401 and "X-Reader-Token" in no_token.json()["detail"]
    assert forged.status_code == 401
    assert unknown.status_code == 404
    assert bad_slug.status_code == 422
