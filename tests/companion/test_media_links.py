"""Image links stay the same within a half-window (so the browser cache works) and keep the signature's rules;
picker covers and the series page show only what a reader may see."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from tests.companion.clients import first_slug, open_at, open_client
from tests.companion.conftest import IngestedSeries, isolated_settings

from scriptorium.companion import media
from scriptorium.core.errors import Forbidden

# A long lifetime makes a half-window (30 min) far longer than a test, so two requests cannot straddle a boundary.
LONG = 3600


def _exp(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["exp"][0])


@pytest.mark.parametrize("ttl", [10, 300, 301, 86_400])
async def test_expiry_is_stable_within_a_half_window_and_always_leaves_half_the_lifetime(
    sample: IngestedSeries, ttl: int
) -> None:
    settings = isolated_settings(sample.settings.data_dir, signed_url_seconds=ttl)
    start = 1_800_000_000
    seen: set[int] = set()
    for moment in range(start, start + 3 * ttl):
        expires = media.expiry(settings, now=moment)
        assert ttl // 2 <= expires - moment <= ttl, (moment, expires)
        seen.add(expires)
    # One distinct expiry per half-window (three lifetimes hold six or seven of them), not one per request.
    assert len(seen) <= 3 * ttl // max(1, ttl // 2) + 1


async def test_links_are_the_same_across_sessions_and_turns_within_a_window(sample: IngestedSeries) -> None:
    settings = isolated_settings(sample.settings.data_dir, signed_url_seconds=LONG)
    async with open_client(settings) as http:
        one = await open_at(http, 3)
        two = await open_at(http, 2)
        slug = one["episode_slug"]
        first = (await http.get(f"/api/episodes/{slug}", params={"session_id": one["session_id"]})).json()
        second = (await http.get(f"/api/episodes/{slug}", params={"session_id": two["session_id"]})).json()
        moved = (await http.patch(f"/api/sessions/{one['session_id']}", json={"current_page": 1})).json()
    by_page = {p["page_number"]: p["image_url"] for p in first["pages"]}
    assert by_page[1] and by_page[1] == second["pages"][0]["image_url"]
    assert {p["page_number"]: p["image_url"] for p in moved["pages"]} == {n: by_page[n] for n in (1, 2, 3)}
    # Different pages still get different links.
    assert len({by_page[1], by_page[2], by_page[3]}) == 3


async def test_a_stable_link_is_still_bound_to_its_key_and_expiry(sample: IngestedSeries) -> None:
    settings = isolated_settings(sample.settings.data_dir, signed_url_seconds=LONG)
    url = media.signed_url(settings, "companion/a.svg", now=1_800_000_000)
    assert url is not None
    expires = _exp(url)
    sig = parse_qs(urlsplit(url).query)["sig"][0]
    assert media.verify(settings, "companion/a.svg", expires, sig, now=1_800_000_000) >= LONG // 2
    with pytest.raises(Forbidden, match="not valid"):
        media.verify(settings, "companion/b.svg", expires, sig, now=1_800_000_000)
    with pytest.raises(Forbidden, match="not valid"):  # pushing the expiry to a later window breaks the signature
        media.verify(settings, "companion/a.svg", expires + LONG // 2, sig, now=1_800_000_000)
    with pytest.raises(Forbidden, match="expired"):
        media.verify(settings, "companion/a.svg", expires, sig, now=expires)


async def test_a_served_image_may_be_cached_for_the_rest_of_its_links_life(sample: IngestedSeries) -> None:
    settings = isolated_settings(sample.settings.data_dir, signed_url_seconds=LONG)
    async with open_client(settings) as http:
        created = await open_at(http, 1)
        detail = (
            await http.get(f"/api/episodes/{created['episode_slug']}", params={"session_id": created["session_id"]})
        ).json()
        url = detail["pages"][0]["image_url"]
        response = await http.get(url)
    assert response.status_code == 200
    max_age = int(re.search(r"max-age=(\d+)", response.headers["cache-control"]).group(1))  # type: ignore[union-attr]
    assert LONG // 2 - 5 <= max_age <= LONG


async def test_first_episode_shows_its_cover_to_a_new_reader_and_later_ones_only_once_reached(
    sample: IngestedSeries,
) -> None:
    async with open_client(sample.settings) as http:
        cards = (await http.get("/api/episodes")).json()["episodes"]
        assert cards[0]["episode_number"] == 1 and cards[0]["cover_image_url"]
        assert all(card["cover_image_url"] is None for card in cards[1:])
        # The cover a new reader gets is one the server serves: page 1's image.
        cover = await http.get(cards[0]["cover_image_url"])
        assert cover.status_code == 200

        created = await open_at(http, 1, episode=2)
        reached = (await http.get("/api/episodes", params={"session_id": created["session_id"]})).json()["episodes"]
    assert reached[1]["cover_image_url"]


async def test_series_page_names_the_comic_and_gates_its_blurb(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        body = (await http.get("/api/series")).json()
        slug = await first_slug(http)
        bad = await http.get("/api/series", params={"session_id": "not-an-id"})
    [series] = body["series"]
    assert series["title"] == "The Lamplighter of Saltwhistle"
    assert series["episode_count"] == 2 and series["episode_slugs"][0] == slug
    # The blurb names Wren and Pim, who are met on the opening pages; it is shown, not withheld.
    assert "Wren Alder" in series["description"]
    assert bad.status_code == 422
