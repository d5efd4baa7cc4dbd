"""Episodes, sessions and media over HTTP: the original contract, plus position gating of every story text and image."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from tests.companion.clients import first_slug, open_at, open_client
from tests.companion.conftest import IngestedSeries, isolated_settings

from scriptorium.companion import media


async def test_picker_shows_no_story_or_cover_for_a_new_reader(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        body = (await http.get("/api/episodes")).json()
    assert [e["episode_number"] for e in body["episodes"]] == [1, 2]
    for card in body["episodes"]:
        assert card["reading_status"] == "unread"
        assert card["plot_summary"] is None
        # Episode 1's cover is its page 1, which anyone opening it sees (issue 13); no other cover shows.
        assert (card["cover_image_url"] is not None) == (card["episode_number"] == 1)
        assert card["page_count"] == 8 and card["title"]


async def test_picker_tells_the_story_only_up_to_the_readers_page(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        created = await open_at(http, 3)
        token = created["reader_token"]
        body = (await http.get("/api/episodes", headers={"X-Reader-Token": token})).json()
        detail = (
            await http.get(f"/api/episodes/{created['episode_slug']}", params={"session_id": created["session_id"]})
        ).json()
    first, second = body["episodes"]
    assert first["reading_status"] == "reading" and first["current_page"] == 3
    assert first["cover_image_url"] and "/api/media/" in first["cover_image_url"]
    assert "Marlo" in first["plot_summary"]  # page 3's recap
    later = [p for p in detail["pages"] if p["page_number"] > 3]
    assert later and all(p["image_url"] is None and p["characters"] == [] for p in later)
    assert second["reading_status"] == "unread" and second["plot_summary"] is None and second["cover_image_url"] is None


async def test_session_resumes_with_the_reader_token_and_new_chat_keeps_the_page(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        created = await open_at(http, 5)
        slug, token = created["episode_slug"], created["reader_token"]
        resumed = (
            await http.post("/api/sessions", json={"episode_slug": slug}, headers={"X-Reader-Token": token})
        ).json()
        fresh = (
            await http.post("/api/sessions", json={"episode_slug": slug, "reader_token": token, "resume": False})
        ).json()
        stranger = (await http.post("/api/sessions", json={"episode_slug": slug})).json()
    assert resumed["session_id"] == created["session_id"] and resumed["resumed"] is True
    assert resumed["current_page"] == 5
    assert fresh["session_id"] != created["session_id"] and fresh["current_page"] == 5 and fresh["resumed"] is False
    assert stranger["current_page"] == 1 and stranger["reader_token"] != token


async def test_a_forged_reader_token_is_refused(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        created = await open_at(http, 1)
        prefix, reader, _ = created["reader_token"].split(".")
        forged = f"{prefix}.{'0' * 32}.{created['reader_token'].split('.')[2]}"
        response = await http.post(
            "/api/sessions", json={"episode_slug": created["episode_slug"], "reader_token": forged}
        )
        listing = await http.get("/api/episodes", headers={"X-Reader-Token": f"{prefix}.{reader}.bad"})
    assert response.status_code == 401 and "reader_token" in response.json()["detail"]
    assert listing.status_code == 401


async def test_patch_is_range_checked_with_a_message_naming_the_range(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        created = await open_at(http, 1)
        too_far = await http.patch(f"/api/sessions/{created['session_id']}", json={"current_page": 9})
        zero = await http.patch(f"/api/sessions/{created['session_id']}", json={"current_page": 0})
        moved = await http.patch(f"/api/sessions/{created['session_id']}", json={"current_page": 4})
        missing = await http.patch(f"/api/sessions/{'a' * 32}", json={"current_page": 1})
        bad_id = await http.patch("/api/sessions/not-an-id", json={"current_page": 1})
    assert too_far.status_code == 422 and too_far.json()["field"] == "current_page"
    assert "between 1 and 8" in too_far.json()["detail"]
    assert zero.status_code == 422
    assert moved.status_code == 200 and moved.json()["ok"] is True
    assert [p["page_number"] for p in moved.json()["pages"]] == [1, 2, 3, 4]
    assert missing.status_code == 404 and bad_id.status_code == 422


async def test_session_ids_in_uuid_form_name_the_same_session(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        created = await open_at(http, 2)
        hexid = created["session_id"]
        dashed = f"{hexid[:8]}-{hexid[8:12]}-{hexid[12:16]}-{hexid[16:20]}-{hexid[20:]}"
        body = (await http.get(f"/api/sessions/{dashed}")).json()
    assert body["session_id"] == hexid and body["current_page"] == 2


async def test_episode_without_a_session_shows_only_its_first_page(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        slug = await first_slug(http, 2)
        detail = (await http.get(f"/api/episodes/{slug}")).json()
        missing = await http.get("/api/episodes/no-such-episode")
    visible = [p["page_number"] for p in detail["pages"] if p["image_url"]]
    assert visible == [1] and len(detail["pages"]) == 8
    assert missing.status_code == 404 and "no-such-episode" in missing.json()["detail"]


async def test_signed_media_serves_reached_pages_and_refuses_tampering(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        created = await open_at(http, 2)
        detail = (
            await http.get(f"/api/episodes/{created['episode_slug']}", params={"session_id": created["session_id"]})
        ).json()
        url = detail["pages"][1]["image_url"]
        ok = await http.get(url)
        tampered = await http.get(re.sub(r"sig=[^&]+", "sig=AAAA", url))
        unsigned = await http.get(f"/api/media/{_key_of(url)}")
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("image/svg+xml")
    assert "sandbox" in ok.headers["content-security-policy"]
    assert ok.headers["x-content-type-options"] == "nosniff"
    assert tampered.status_code == 403
    assert unsigned.status_code == 403


async def test_media_through_a_session_is_refused_past_its_page(sample: IngestedSeries) -> None:
    async with open_client(sample.settings) as http:
        created = await open_at(http, 2)
        sid = created["session_id"]
        keys = await _page_keys(http, created["episode_slug"])
        reached = await http.get(f"/api/media/{keys[2]}", params={"session_id": sid})
        ahead = await http.get(f"/api/media/{keys[3]}", params={"session_id": sid})
        await http.patch(f"/api/sessions/{sid}", json={"current_page": 3})
        after_turning = await http.get(f"/api/media/{keys[3]}", params={"session_id": sid})
    assert reached.status_code == 200
    assert ahead.status_code == 403 and "past your reading position" in ahead.json()["detail"]
    assert after_turning.status_code == 200


async def test_signed_links_expire(sample: IngestedSeries) -> None:
    settings = sample.settings
    key = "companion/x.svg"
    expired = media.expiry(settings, now=time.time() - 2 * settings.signed_url_seconds)
    with pytest.raises(Exception, match="expired"):
        media.verify(settings, key, expired, media._signature(settings, key, expired))
    fresh = media.signed_url(settings, key)
    assert fresh is not None and media.signed_url(settings, key) == fresh  # stable, so browsers can cache
    exp = int(re.search(r"exp=(\d+)", fresh).group(1))  # type: ignore[union-attr]
    assert 0.5 * settings.signed_url_seconds <= exp - time.time() <= settings.signed_url_seconds


async def test_image_urls_are_absolute_with_public_base_url(sample: IngestedSeries) -> None:
    settings = isolated_settings(sample.settings.data_dir, public_base_url="https://api.example.org/")
    async with open_client(settings) as http:
        created = await open_at(http, 2)
        detail = (
            await http.get(f"/api/episodes/{created['episode_slug']}", params={"session_id": created["session_id"]})
        ).json()
    assert detail["pages"][0]["image_url"].startswith("https://api.example.org/api/media/")


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_cors_preflight_allows_the_configured_origin(sample: IngestedSeries, method: str) -> None:
    settings = isolated_settings(sample.settings.data_dir, cors_origins="https://reader.example.org")
    preflight = {"Access-Control-Request-Method": method, "Access-Control-Request-Headers": "content-type"}
    async with open_client(settings) as http:
        allowed = await http.options("/api/sessions/abc", headers={"Origin": "https://reader.example.org", **preflight})
        other = await http.options("/api/sessions/abc", headers={"Origin": "https://evil.example", **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://reader.example.org"
    assert method in allowed.headers["access-control-allow-methods"]
    assert "access-control-allow-origin" not in other.headers


def _key_of(url: str) -> str:
    return httpx.URL(url).path.removeprefix("/api/media/")


async def _page_keys(http: httpx.AsyncClient, slug: str) -> dict[int, str]:
    """Storage keys of the episode's pages, read by another reader who has seen them all."""
    other = (await http.post("/api/sessions", json={"episode_slug": slug})).json()
    await http.patch(f"/api/sessions/{other['session_id']}", json={"current_page": 8})
    detail = (await http.get(f"/api/episodes/{slug}", params={"session_id": other["session_id"]})).json()
    return {p["page_number"]: _key_of(p["image_url"]) for p in detail["pages"]}
