"""Helpers for Companion API tests: an in-process client on a settings' app, SSE parsing, session shortcuts."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from tests.companion.conftest import EMBEDDER
from tests.sse import sse_events

from scriptorium.app import create_app
from scriptorium.core.resources import EMBEDDER as EMBEDDER_KEY
from scriptorium.core.resources import Resources, build_resources
from scriptorium.core.settings import Settings


@asynccontextmanager
async def aclosing_resources(resources: Resources) -> AsyncIterator[Resources]:
    try:
        yield resources
    finally:
        await resources.aclose()


@asynccontextmanager
async def open_client(settings: Settings, **headers: str) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on a fresh app for `settings` (lifespan run, ASGI transport, no network).

    The app shares the test process's offline embedder (the model the sample was ingested with), so each test
    does not pay to load it again.
    """
    resources = build_resources(settings)
    resources.provide(EMBEDDER_KEY, EMBEDDER)
    app = create_app(settings, resources=resources)
    async with (
        aclosing_resources(resources),
        LifespanManager(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers, timeout=30
        ) as http,
    ):
        yield http


@dataclass(frozen=True)
class Frame:
    event: str
    data: Any


def parse_sse(text: str) -> list[Frame]:
    """Frames of an event stream, each frame's data decoded from JSON (heartbeat comments are skipped)."""
    return [Frame(event.event, json.loads(event.data)) for event in sse_events(text) if event.data]


def answer_text(frames: list[Frame]) -> str:
    return "".join(f.data["text"] for f in frames if f.event == "token")


async def first_slug(http: httpx.AsyncClient, number: int = 1) -> str:
    episodes = (await http.get("/api/episodes")).json()["episodes"]
    return next(e["slug"] for e in episodes if e["episode_number"] == number)


async def open_at(http: httpx.AsyncClient, page: int, *, episode: int = 1, **body: Any) -> dict[str, Any]:
    """Create a session in episode `episode` and move it to `page`; returns the creation body."""
    created = (await http.post("/api/sessions", json={"episode_slug": await first_slug(http, episode), **body})).json()
    if page != created["current_page"]:
        moved = await http.patch(f"/api/sessions/{created['session_id']}", json={"current_page": page})
        assert moved.status_code == 200, moved.text
    return dict(created)


async def ask(http: httpx.AsyncClient, session_id: str, message: str, mode: str = "page", **extra: Any) -> list[Frame]:
    response = await http.post(f"/api/sessions/{session_id}/messages", json={"mode": mode, "message": message, **extra})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return parse_sse(response.text)
