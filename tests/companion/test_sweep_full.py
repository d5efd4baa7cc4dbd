"""The full spoiler sweep, through HTTP, at EVERY cursor of the sample and of a generated 200-page series.

At each position a reader session is moved there and everything the product hands out is checked, structurally
(each item's debut <= the cursor; page-mode retrieval strictly before it) and textually (no later entity name or
later sentence, see `sweep.py`):
- image URLs (PATCH reply, episode pages, picker covers, avatars), episode characters and picker summaries;
- retrieval for tools (`POST /api/retrieve`, both modes, with queries aimed at later content);
- every prompt a configured model receives (captured by the OpenAI twin), the chips and citations of each answer,
  the ids it retrieved, and the saved history;
- the world graph (full and focus: nodes, edges, summaries) and the cards of every entity whose wiki still hides
  a later section (the only cards that could leak).
The offline answers themselves are swept over the sample and the 200-page series too. The text check knows the
whole name index (see sweep.py), so a summary, passage or answer naming anything that debuts later is a leak.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.companion.clients import ask, open_client
from tests.companion.conftest import IngestedSeries, isolated_settings
from tests.companion.sweep import SpoilerOracle, Sweep
from tests.twins.llm import OpenAITwin, shared_twin

from scriptorium.companion.boundary import Cursor
from scriptorium.companion.models import Chunk, Entity, Episode, Page, WikiArticle, WikiSection
from scriptorium.core.resources import open_resources

PROBES = {
    # Aimed at the reveals without naming anyone the reader may not have met (a question is the reader's own text).
    "sample": [
        "Who is really stealing the lights?",
        "What is hidden inside the heron?",
        "Who keeps the lamp at the end?",
    ],
    "generated": ["What is the secret betrayal?", "Who carries the lantern at the end?"],
}


@dataclass
class Debuts:
    """Debut of every storage key, chunk id and entity slug of the series, read straight from the tables."""

    keys: dict[str, int] = field(default_factory=dict)
    chunks: dict[str, int] = field(default_factory=dict)
    late_cards: dict[str, int] = field(default_factory=dict)
    episodes: dict[str, tuple[int, int]] = field(default_factory=dict)


async def load(series: IngestedSeries) -> tuple[SpoilerOracle, Debuts]:
    debuts = Debuts()
    async with open_resources(series.settings) as resources, resources.sessionmaker() as db:
        oracle = await SpoilerOracle.load(db, series.series_id)
        for image, thumb, index in await db.execute(select(Page.image_key, Page.thumb_key, Page.global_index)):
            debuts.keys[image] = debuts.keys[thumb] = index
        for key, index in await db.execute(select(Entity.image_key, Entity.debut_index)):
            if key:
                debuts.keys[key] = index
        debuts.chunks = {i: d for i, d in await db.execute(select(Chunk.id, Chunk.debut_index))}
        rows = await db.execute(
            select(WikiArticle.entity_slug, WikiSection.debut_index).join(
                WikiSection, WikiSection.article_id == WikiArticle.id
            )
        )
        for slug, index in rows:
            if slug:
                debuts.late_cards[slug] = max(debuts.late_cards.get(slug, -1), index)
        for slug, start, count in await db.execute(select(Episode.slug, Episode.start_index, Episode.page_count)):
            debuts.episodes[slug] = (start, count)
    return oracle, debuts


class Checker:
    """Runs every check for one position and records into the sweep."""

    def __init__(self, http: httpx.AsyncClient, sweep: Sweep, debuts: Debuts, twin: OpenAITwin | None) -> None:
        self.http, self.sweep, self.debuts, self.twin = http, sweep, debuts, twin

    def url(self, cursor: Cursor, url: str | None, what: str) -> None:
        if url:
            key = httpx.URL(url).path.removeprefix("/api/media/")
            self.sweep.debut(cursor, self.debuts.keys[key], f"{what} {key}")

    def text(self, cursor: Cursor, value: Any, what: str) -> None:
        self.sweep.text(cursor, value if isinstance(value, str) else repr(value), what)

    async def reading(self, cursor: Cursor, sid: str, slug: str, moved: dict[str, Any]) -> None:
        for page in moved["pages"]:
            self.sweep.debut(cursor, page["global_index"], "PATCH page")
            self.url(cursor, page["image_url"], "PATCH image")
        detail = (await self.http.get(f"/api/episodes/{slug}", params={"session_id": sid})).json()
        for page in detail["pages"]:
            if page["image_url"] or page["characters"]:
                self.sweep.debut(cursor, page["global_index"], "episode page with content")
            self.url(cursor, page["image_url"], "page image")
            self.url(cursor, page["thumbnail_url"], "page thumbnail")
        self.text(
            cursor,
            [detail["characters"], detail["plot_summary"], [p["characters"] for p in detail["pages"]]],
            "episode detail",
        )
        for card in (await self.http.get("/api/episodes", params={"session_id": sid})).json()["episodes"]:
            self.url(cursor, card["cover_image_url"], "picker cover")
            self.text(cursor, card["plot_summary"] or "", f"picker summary {card['slug']}")

    async def retrieval(self, cursor: Cursor, sid: str, probes: list[str]) -> None:
        for mode in ("page", "wiki"):
            for query in probes:
                body = {"session_id": sid, "mode": mode, "query": query, "k": 8}
                for chunk in (await self.http.post("/api/retrieve", json=body)).json()["chunks"]:
                    self.sweep.debut(cursor, chunk["global_index"], f"retrieve {mode}", strict=mode == "page")
                    self.text(cursor, chunk["text"], f"retrieve {mode}")

    async def chat(self, cursor: Cursor, sid: str, probes: list[str], *, offline: bool) -> None:
        for mode in ("page", "wiki"):
            question = probes[cursor.index % len(probes)]
            frames = await ask(self.http, sid, question, mode=mode)
            done = frames[-1].data
            assert frames[-1].event == "done", done
            for chunk_id in done["retrieved_doc_ids"]:
                self.sweep.debut(
                    cursor, self.debuts.chunks[chunk_id], f"chat retrieved ({mode})", strict=mode == "page"
                )
            for citation in done["citations"]:
                self.sweep.debut(cursor, citation["global_index"], "citation")
            self.text(cursor, done["suggestions"], "chips")
            if offline:
                self.text(cursor, "".join(f.data["text"] for f in frames if f.event == "token"), "offline answer")
            if self.twin is not None:
                request = [r for r in self.twin.requests if r.body.get("stream")][-1]
                self.text(cursor, " ".join(str(m["content"]) for m in request.body["messages"]), f"prompt ({mode})")
        history = (await self.http.get(f"/api/sessions/{sid}")).json()["messages"]
        self.text(cursor, [m["content"] for m in history], "history")

    async def world(self, cursor: Cursor, sid: str) -> None:
        for mode in ("full", "focus"):
            graph = (await self.http.get("/api/world-graph", params={"session_id": sid, "mode": mode})).json()
            for node in graph["nodes"]:
                self.sweep.debut(cursor, node["debut_index"], f"graph node {node['slug']}")
                self.url(cursor, node["image_url"], "avatar")
            for edge in graph["edges"]:
                self.sweep.debut(cursor, edge["debut_index"], f"graph edge {edge['kind']}")
            self.text(
                cursor,
                [[n["name"], n["summary"]] for n in graph["nodes"]] + [e["summary"] for e in graph["edges"]],
                f"graph {mode}",
            )
        for slug, last_section in self.debuts.late_cards.items():
            if last_section <= cursor.index:
                continue
            card = await self.http.get(f"/api/world-graph/entities/{slug}", params={"session_id": sid})
            if card.status_code == 404:
                continue
            body = card.json()
            self.sweep.debut(cursor, body["node"]["debut_index"], f"card {slug}")
            for edge in body["relations"]:
                self.sweep.debut(cursor, edge["debut_index"], f"card {slug} relation")
            self.text(cursor, [body["wiki_summary"], body["wiki_sections"], body["neighbours"]], f"card {slug}")


async def sweep_series(
    series: IngestedSeries, probes: list[str], *, twin: OpenAITwin | None, surfaces: set[str], offline: bool = False
) -> Sweep:
    oracle, debuts = await load(series)
    sweep = Sweep(oracle)
    overrides: dict[str, Any] = {"companion_rate_limit_per_minute": 1_000_000}
    if twin is not None:
        overrides["chat_provider"] = twin.chat_spec()
    async with open_client(isolated_settings(series.settings.data_dir, **overrides)) as http:
        check = Checker(http, sweep, debuts, twin)
        for slug, (start, count) in sorted(debuts.episodes.items(), key=lambda item: item[1]):
            sid = (await http.post("/api/sessions", json={"episode_slug": slug})).json()["session_id"]
            for page in range(1, count + 1):
                cursor = Cursor(series.series_id, start + page - 1)
                moved = (await http.patch(f"/api/sessions/{sid}", json={"current_page": page})).json()
                if "reading" in surfaces:
                    await check.reading(cursor, sid, slug, moved)
                if "retrieval" in surfaces:
                    await check.retrieval(cursor, sid, probes)
                if "chat" in surfaces:
                    await check.chat(cursor, sid, probes, offline=offline)
                if "world" in surfaces:
                    await check.world(cursor, sid)
    return sweep


@pytest.fixture
def twin() -> OpenAITwin:
    running = shared_twin(OpenAITwin)
    running.reset()
    running.responder = lambda body: "From what you've read so far, I can only say what the notes say."
    return running


ALL = {"reading", "retrieval", "chat", "world"}


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_sample_sweep_every_cursor_with_a_model(sample: IngestedSeries, twin: OpenAITwin) -> None:
    sweep = await sweep_series(sample, PROBES["sample"], twin=twin, surfaces=ALL)
    sweep.assert_clean()
    assert len(twin.requests) >= 2 * sample.page_total


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_sample_sweep_every_cursor_offline_answers(sample: IngestedSeries) -> None:
    sweep = await sweep_series(sample, PROBES["sample"], twin=None, surfaces={"chat"}, offline=True)
    sweep.assert_clean()


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_generated_sweep_reading_retrieval_and_world(generated: IngestedSeries) -> None:
    sweep = await sweep_series(generated, PROBES["generated"], twin=None, surfaces={"reading", "retrieval", "world"})
    sweep.assert_clean()
    assert generated.page_total == 200


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_generated_sweep_every_prompt_chip_and_citation(generated: IngestedSeries, twin: OpenAITwin) -> None:
    sweep = await sweep_series(generated, PROBES["generated"], twin=twin, surfaces={"chat"})
    sweep.assert_clean()
    assert len([r for r in twin.requests if r.body.get("stream")]) == 2 * 200


@pytest.mark.slow
@pytest.mark.timeout(900)
async def test_generated_sweep_every_cursor_offline_answers(generated: IngestedSeries) -> None:
    sweep = await sweep_series(generated, PROBES["generated"], twin=None, surfaces={"chat"}, offline=True)
    sweep.assert_clean()
    assert sweep.checks >= 200 * 2
