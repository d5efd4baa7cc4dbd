"""The original companion client's calls in Chromium, from another origin: the browser enforces CORS for real.

`tests/companion/test_original_client.py` pins the contract call by call (preflights included) in process. Here
a page served from one origin runs the original client's `fetch` calls (`api/client.ts`: JSON calls, the
question read as a stream without a status check, `<img>` tags for every page) against a deployment on another
origin configured as docs/companion.md says (CORS_ORIGINS, PUBLIC_BASE_URL, COMPANION_LEGACY_IMAGE_URLS).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from scriptorium.app import create_app
from scriptorium.companion.cli import SAMPLE_DIR
from scriptorium.migrations import upgrade
from tests.browser.conftest import lite_settings
from tests.companion.conftest import ingest
from tests.twins.server import free_port, serve_in_thread

pytestmark = pytest.mark.browser

# The original client's calls, transcribed from companion-upstream.md §6 (`api/client.ts`).
CLIENT_JS = """
async ({ base }) => {
  const json = async (path, init) => {
    const response = await fetch(base + path, init);
    return { status: response.status, body: await response.json() };
  };
  const send = (method, path, body) =>
    json(path, { method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const streamMessage = async (sessionId, body) => {
    // As the original: no status check, the body read as a stream, CRLF normalised, frames split on blank lines.
    const response = await fetch(`${base}/api/sessions/${sessionId}/messages`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify(body),
    });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    const frames = [];
    for (const block of text.replace(/\\r\\n/g, "\\n").split("\\n\\n")) {
      let event = "message";
      let data = "";
      for (const line of block.split("\\n")) {
        if (line.startsWith(":")) continue;
        if (line.startsWith("event:")) event = line.slice(6).trim();
        if (line.startsWith("data:")) data += line.slice(5).trim();
      }
      if (data) frames.push({ type: event, data: JSON.parse(data) });
    }
    return { status: response.status, frames };
  };
  const loadImage = (url) =>
    new Promise((resolve) => {
      const img = new Image();
      img.onload = () => resolve(img.naturalWidth > 0);
      img.onerror = () => resolve(false);
      img.src = url;
    });

  const episodes = (await json("/api/episodes")).body.episodes;
  const slug = episodes.find((e) => e.episode_number === 1).slug;
  const session = (await send("POST", "/api/sessions", { episode_slug: slug })).body;
  const detail = (await json(`/api/episodes/${slug}`)).body;
  const images = await Promise.all(detail.pages.map((p) => loadImage(p.image_url)));
  const patched = await send("PATCH", `/api/sessions/${session.session_id}`, { current_page: 3 });
  const question = { mode: "page", message: "Who is on this page?", spread: true };
  const asked = await streamMessage(session.session_id, question);
  const graph = (await json(`/api/world-graph?episode_slug=${slug}&page=3&mode=full&right_page=4`)).body;
  const refused = await streamMessage(session.session_id, { mode: "page", message: "x".repeat(60), spread: false });
  return {
    session,
    pages: detail.pages.length,
    images,
    patched,
    asked,
    kinds: [...new Set(graph.nodes.map((n) => n.kind))],
    cursor: graph.cursor_index,
    refused,
  };
}
"""


def _client_page(request: Any) -> HTMLResponse:
    return HTMLResponse("<!doctype html><title>flipbook</title><p>original client</p>")


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(client origin, API origin): the sample on a server configured for the original client, on another port."""
    with ExitStack() as stack:
        client = stack.enter_context(serve_in_thread(Starlette(routes=[Route("/", _client_page)])))
        port = free_port()
        api = f"http://127.0.0.1:{port}"
        settings = lite_settings(
            tmp_path / "var",
            cors_origins=client,
            public_base_url=api,
            companion_legacy_image_urls=True,
            companion_message_max_chars=50,
            run_consumer_in_process=False,
        )
        upgrade(settings)
        # Playwright's sync API owns this thread's event loop, so the ingest runs on its own thread.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(lambda: asyncio.run(ingest(settings, SAMPLE_DIR))).result()
        stack.enter_context(serve_in_thread(create_app(settings), port=port))
        yield client, api


def test_the_original_client_reads_asks_and_maps_from_another_origin(
    deployment: tuple[str, str], new_page: Callable[..., Page]
) -> None:
    client, api = deployment
    page = new_page(client)
    page.goto("/")
    result = page.evaluate(CLIENT_JS, {"base": api})
    assert result["session"]["current_page"] == 1
    assert result["pages"] == 8 and all(result["images"]), result["images"]
    assert result["patched"]["status"] == 200 and result["patched"]["body"]["ok"] is True
    asked = result["asked"]
    assert asked["status"] == 200 and asked["frames"][-1]["type"] == "done"
    cited = {c["page_number"] for c in asked["frames"][-1]["data"]["citations"] if c["kind"] == "page"}
    assert 4 in cited and max(cited) <= 4  # spread: the left page sent, the right page read as page + 1
    assert set(result["kinds"]) <= {"character", "creature", "place", "coven", "object"}
    assert "coven" in result["kinds"]
    refused = result["refused"]
    assert refused["status"] == 422
    assert [f["type"] for f in refused["frames"]] == ["error"]
    assert refused["frames"][0]["data"]["code"] == "validation_error"
