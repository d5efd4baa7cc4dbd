"""The original companion's client, unchanged, against a deployment configured for it (issue 9, item 4).

Each test drives the calls exactly as ../shared/research/companion-upstream.md documents the original frontend
making them (`api/client.ts`, `App.tsx`, `ChatPanel.tsx`, `WorldGraph.tsx`), from another origin: the client
is served from `ORIGIN`, the API is at `PUBLIC`, CORS is configured as a deployment would (`CORS_ORIGINS`), and
every non-simple request is preceded by the preflight a browser would send. The client never sends a session id
with the episode or the world graph, sends the LEFT page of a spread, drops node kinds it does not know, and
reads the body of a question as a stream without looking at the status.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from tests.companion.clients import Frame, open_client, parse_sse
from tests.companion.conftest import IngestedSeries, isolated_settings

ORIGIN = "https://flipbook.example.org"
PUBLIC = "https://api.example.org"
# The kinds the original's world graph knows (`WorldKind`); it drops any other.
ORIGINAL_KINDS = {"character", "creature", "place", "coven", "object"}


@dataclass
class OriginalClient:
    """The original frontend's `api/client.ts`, call for call, as a browser on ORIGIN would send it."""

    http: httpx.AsyncClient

    def _allowed(self, response: httpx.Response) -> httpx.Response:
        assert response.headers.get("access-control-allow-origin") == ORIGIN, (response.request.url, response.headers)
        return response

    async def _preflight(self, method: str, path: str) -> None:
        response = await self.http.options(
            path,
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert response.status_code == 200, response.text
        self._allowed(response)
        assert method in response.headers["access-control-allow-methods"]
        assert "content-type" in response.headers["access-control-allow-headers"].lower()

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return self._allowed(await self.http.get(path, params=params or None, headers={"Origin": ORIGIN}))

    async def send(self, method: str, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
        await self._preflight(method, path)
        response = await self.http.request(
            method, path, json=body, headers={"Origin": ORIGIN, "Content-Type": "application/json", **headers}
        )
        return self._allowed(response)

    async def list_episodes(self) -> list[dict[str, Any]]:
        return list((await self.get("/api/episodes")).json()["episodes"])

    async def get_episode(self, slug: str) -> dict[str, Any]:
        return dict((await self.get(f"/api/episodes/{slug}")).json())

    async def create_session(self, slug: str) -> dict[str, Any]:
        return dict((await self.send("POST", "/api/sessions", {"episode_slug": slug})).json())

    async def update_current_page(self, session_id: str, page: int) -> httpx.Response:
        return await self.send("PATCH", f"/api/sessions/{session_id}", {"current_page": page})

    async def stream_message(self, session_id: str, mode: str, message: str, spread: bool = False) -> list[Frame]:
        """`streamMessage`: POST with Accept: text/event-stream, then read the body as frames, status unchecked."""
        response = await self.send(
            "POST",
            f"/api/sessions/{session_id}/messages",
            {"mode": mode, "message": message, "spread": spread},
            Accept="text/event-stream",
        )
        return parse_sse(response.text)

    async def fetch_world_graph(
        self, slug: str, page: int, mode: str = "full", right_page: int | None = None
    ) -> dict[str, Any]:
        """`fetchWorldGraph`: adds `right_page` only when it differs from `page`."""
        params: dict[str, Any] = {"episode_slug": slug, "page": page, "mode": mode}
        if right_page is not None and right_page != page:
            params["right_page"] = right_page
        return dict((await self.get("/api/world-graph", **params)).json())


@asynccontextmanager
async def original(sample: IngestedSeries, **overrides: Any) -> AsyncIterator[OriginalClient]:
    """A deployment configured for the original client: its origin allowed, absolute URLs, legacy image links."""
    values: dict[str, Any] = {
        "cors_origins": ORIGIN,
        "public_base_url": PUBLIC,
        "companion_legacy_image_urls": True,
        **overrides,
    }
    async with open_client(isolated_settings(sample.settings.data_dir, **values)) as http:
        yield OriginalClient(http)


def _path(url: str) -> str:
    parsed = httpx.URL(url)
    assert f"{parsed.scheme}://{parsed.host}" == PUBLIC, url  # absolute, usable from the client's origin
    return str(parsed.copy_with(scheme=None, host=None, port=None)).removeprefix("//")


async def test_every_page_image_loads_for_a_client_that_never_sends_a_session(sample: IngestedSeries) -> None:
    async with original(sample) as client:
        episodes = await client.list_episodes()
        slug = next(e["slug"] for e in episodes if e["episode_number"] == 1)
        session = await client.create_session(slug)
        detail = await client.get_episode(slug)  # fetched once, never with the session
        images = [await client.http.get(_path(p["image_url"])) for p in detail["pages"]]
        thumbs = [await client.http.get(_path(p["thumbnail_url"])) for p in detail["pages"]]
    card_fields = {"id", "slug", "title", "episode_number", "cover_image_url", "page_count", "plot_summary"}
    assert card_fields <= set(episodes[0])
    assert session["current_page"] == 1 and len(session["session_id"].replace("-", "")) == 32
    assert [p["page_number"] for p in detail["pages"]] == list(range(1, detail["page_count"] + 1))
    assert all(r.status_code == 200 and r.headers["content-type"].startswith("image/") for r in images + thumbs)
    assert all(r.headers["cross-origin-resource-policy"] == "cross-origin" for r in images)
    # Only images are traded: who is on a page past the reader's position stays unlisted.
    assert all(p["characters"] == [] for p in detail["pages"][1:])
    assert [c["name"] for c in detail["characters"]] == sorted(c["name"] for c in detail["characters"])


async def test_without_the_setting_images_past_page_one_still_need_a_session(sample: IngestedSeries) -> None:
    async with original(sample, companion_legacy_image_urls=False) as client:
        slug = next(e["slug"] for e in await client.list_episodes() if e["episode_number"] == 1)
        detail = await client.get_episode(slug)
    assert [p["page_number"] for p in detail["pages"] if p["image_url"]] == [1]


async def test_reading_and_asking_as_the_original_client(sample: IngestedSeries) -> None:
    async with original(sample) as client:
        slug = next(e["slug"] for e in await client.list_episodes() if e["episode_number"] == 1)
        session = await client.create_session(slug)
        sid = session["session_id"]
        moves = [await client.update_current_page(sid, page) for page in (2, 3)]
        frames = await client.stream_message(sid, "page", "What happens on this page?")
        wiki = await client.stream_message(sid, "wiki", "Who is Wren?")
    assert all(m.status_code == 200 and m.json()["ok"] is True for m in moves)
    for stream in (frames, wiki):
        events = [f.event for f in stream]
        assert events[-1] == "done" and set(events) <= {"token", "done"} and "token" in events
        done = stream[-1].data
        assert isinstance(done["message_id"], str) and done["message_id"]
        assert all(isinstance(d, str) for d in done["retrieved_doc_ids"])
        assert all(set(s) >= {"mode", "text"} and s["mode"] in ("page", "wiki") for s in done["suggestions"])
        assert len({s["mode"] for s in done["suggestions"]}) == len(done["suggestions"]) <= 2


async def test_spread_is_the_left_page_and_the_one_after_it_in_chat_and_graph(sample: IngestedSeries) -> None:
    async with original(sample) as client:
        slug = next(e["slug"] for e in await client.list_episodes() if e["episode_number"] == 1)
        sid = (await client.create_session(slug))["session_id"]
        # Landscape: pages 3-4 on screen. The client moves to the left page and asks with `spread: true`.
        await client.update_current_page(sid, 3)
        frames = await client.stream_message(sid, "page", "Who is on this page?", spread=True)
        graph = await client.fetch_world_graph(slug, 3, "full", right_page=4)
        state = (await client.http.get(f"/api/sessions/{sid}")).json()
    done = frames[-1].data
    cited = {c["page_number"] for c in done["citations"] if c["kind"] == "page"}
    # Agathe debuts on page 4, the right page: the chat sees her page, and the graph (cursor = right page) her.
    assert 4 in cited and max(cited) <= 4, cited
    assert graph["cursor_index"] == sample.index_of[(1, 4)] == state["cursor_index"]
    assert "agathe" in {n["slug"] for n in graph["nodes"]}
    assert (state["current_page"], state["furthest_page"]) == (3, 4)


async def test_kinds_keep_the_original_names_on_the_original_call(sample: IngestedSeries) -> None:
    async with original(sample) as client:
        slug = next(e["slug"] for e in await client.list_episodes() if e["episode_number"] == 1)
        sid = (await client.create_session(slug))["session_id"]
        await client.update_current_page(sid, 8)
        theirs = await client.fetch_world_graph(slug, 8)
        ours = (await client.get("/api/world-graph", session_id=sid)).json()
    kinds = {n["slug"]: n["kind"] for n in theirs["nodes"]}
    assert set(kinds.values()) <= ORIGINAL_KINDS
    assert kinds["lamplighters-guild"] == "coven"
    # Nothing vanishes for that client: every node we know is there under a kind it draws.
    assert set(kinds) == {n["slug"] for n in ours["nodes"]}
    assert {n["slug"]: n["kind"] for n in ours["nodes"]}["lamplighters-guild"] == "faction"


@pytest.mark.parametrize(
    ("overrides", "message", "status", "code"),
    [
        ({"companion_message_max_chars": 20}, "x" * 21, 422, "validation_error"),
        ({}, "", 422, "validation_error"),
    ],
)
async def test_a_refused_question_reaches_the_client_as_an_error_frame(
    sample: IngestedSeries, overrides: dict[str, Any], message: str, status: int, code: str
) -> None:
    async with original(sample, **overrides) as client:
        slug = next(e["slug"] for e in await client.list_episodes() if e["episode_number"] == 1)
        sid = (await client.create_session(slug))["session_id"]
        response = await client.send(
            "POST",
            f"/api/sessions/{sid}/messages",
            {"mode": "page", "message": message, "spread": False},
            Accept="text/event-stream",
        )
    frames = parse_sse(response.text)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/event-stream")
    assert [f.event for f in frames] == ["error"]
    assert frames[0].data["code"] == code and frames[0].data["message"]
    assert "Traceback" not in response.text and "pydantic" not in response.text.lower()


async def test_over_the_rate_limit_the_client_gets_an_error_frame_and_the_status(sample: IngestedSeries) -> None:
    async with original(sample, companion_rate_limit_per_minute=1) as client:
        slug = next(e["slug"] for e in await client.list_episodes() if e["episode_number"] == 1)
        sid = (await client.create_session(slug))["session_id"]
        first = await client.stream_message(sid, "page", "Who is Wren?")
        response = await client.send(
            "POST",
            f"/api/sessions/{sid}/messages",
            {"mode": "page", "message": "Who is Pim?", "spread": False},
            Accept="text/event-stream",
        )
    assert first[-1].event == "done"
    assert response.status_code == 429 and 1 <= int(response.headers["retry-after"]) <= 60
    assert "retry-after" in response.headers["access-control-expose-headers"].lower()
    frames = parse_sse(response.text)
    assert [(f.event, f.data["code"]) for f in frames] == [("error", "rate_limited")]
    assert "try again" in frames[0].data["message"]
