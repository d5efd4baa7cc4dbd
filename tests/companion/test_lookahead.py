"""GET /api/sessions/{id}/ahead: the next turn's image links, never more than two pages past the furthest page,
the same links the move will return, and asking moves nothing (the companion's cursor stays where it was)."""

from __future__ import annotations

from tests.companion.clients import open_at, open_client
from tests.companion.conftest import IngestedSeries, isolated_settings

# A long lifetime makes a half-window (30 min) far longer than a test, so two requests cannot straddle a boundary.
LONG = 3600


async def test_ahead_links_the_next_pages_only_and_they_are_the_links_the_turn_returns(sample: IngestedSeries) -> None:
    settings = isolated_settings(sample.settings.data_dir, signed_url_seconds=LONG)
    async with open_client(settings) as http:
        created = await open_at(http, 3)
        sid = created["session_id"]
        one = await http.get(f"/api/sessions/{sid}/ahead")
        two = await http.get(f"/api/sessions/{sid}/ahead", params={"count": 2})
        too_many = await http.get(f"/api/sessions/{sid}/ahead", params={"count": 3})
        state = (await http.get(f"/api/sessions/{sid}")).json()
        moved = (await http.patch(f"/api/sessions/{sid}", json={"current_page": 4})).json()
        picture = await http.get(one.json()["pages"][0]["image_url"])
    assert one.status_code == 200 and two.status_code == 200
    assert one.json()["furthest_page"] == 3
    assert [p["page_number"] for p in one.json()["pages"]] == [4]
    assert [p["page_number"] for p in two.json()["pages"]] == [4, 5]
    assert too_many.status_code == 422
    # Asking moved nothing: the companion still knows up to page 3.
    assert state["furthest_page"] == 3 and state["current_page"] == 3
    # The turn returns the very link that was preloaded, so the browser paints the cached image.
    assert {p["page_number"]: p["image_url"] for p in moved["pages"]}[4] == one.json()["pages"][0]["image_url"]
    assert picture.status_code == 200 and picture.content


async def test_ahead_is_empty_at_the_last_page_and_404_for_an_unknown_session(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        created = await open_at(http, 1)
        count = created["page_count"]
        await http.patch(f"/api/sessions/{created['session_id']}", json={"current_page": count})
        at_end = await http.get(f"/api/sessions/{created['session_id']}/ahead", params={"count": 2})
        unknown = await http.get("/api/sessions/0123456789abcdef0123456789abcdef/ahead")
    assert at_end.status_code == 200 and at_end.json() == {"furthest_page": count, "pages": []}
    assert unknown.status_code == 404
