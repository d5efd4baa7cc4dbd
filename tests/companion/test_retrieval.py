"""Hybrid retrieval over the sample comic: the boundary, the cache, provider switches and ranking quality."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import yaml
from sqlalchemy import select, update
from tests.companion.conftest import EMBEDDER, IngestedSeries

from scriptorium.companion.boundary import Cursor
from scriptorium.companion.content import tokenize
from scriptorium.companion.models import Chunk, Series
from scriptorium.companion.retrieval import (
    RetrievalCache,
    build_candidates,
    dense_ranking,
    lexical_ranking,
    rank,
    retrieve,
)
from scriptorium.core.resources import open_resources

QUESTIONS = Path(__file__).resolve().parents[2] / "bench" / "data" / "companion_questions.yaml"
REVEAL = "Episode 2 (The Keeper's Secret), page 3"


async def test_page_mode_is_strictly_before_the_cursor_and_wiki_mode_includes_it(sample: IngestedSeries) -> None:
    reveal = sample.index_of[(2, 3)]
    async with open_resources(sample.settings) as resources, resources.sessionmaker() as session:
        at = Cursor(sample.series_id, reveal)
        pages = await retrieve(
            session, EMBEDDER, series_id=sample.series_id, mode="page", query="who is the Fog Thief", cursor=at, k=50
        )
        wiki = await retrieve(
            session, EMBEDDER, series_id=sample.series_id, mode="wiki", query="who is the Fog Thief", cursor=at, k=50
        )
    assert len(pages) == reveal and all(p.global_index < reveal for p in pages)
    assert all(p.kind == "page" and p.episode_slug and p.page_number for p in pages)
    assert {w.global_index for w in wiki} <= set(range(reveal + 1)) and any(w.global_index == reveal for w in wiki)
    assert any("Identity" in w.text for w in wiki)  # the reveal section debuts exactly here
    assert pages[0].score >= pages[-1].score


async def test_a_query_quoting_a_later_page_cannot_pull_it_in(sample: IngestedSeries) -> None:
    async with open_resources(sample.settings) as resources, resources.sessionmaker() as session:
        future = (await session.scalars(select(Chunk.text).where(Chunk.key == "page:ep02-the-keepers-secret:3"))).one()
        for cache in (None, RetrievalCache()):
            for index in range(sample.index_of[(2, 3)] + 1):
                cursor = Cursor(sample.series_id, index)
                got = await retrieve(
                    session,
                    EMBEDDER,
                    series_id=sample.series_id,
                    mode="page",
                    query=future,
                    cursor=cursor,
                    k=5,
                    cache=cache,
                )
                assert all(REVEAL not in r.text and r.global_index < index for r in got)
        after = Cursor(sample.series_id, sample.index_of[(2, 4)])
        got = await retrieve(
            session, EMBEDDER, series_id=sample.series_id, mode="page", query=future, cursor=after, k=1
        )
    assert REVEAL in got[0].text  # once read, the same query finds it first


async def test_cache_and_sql_paths_agree_at_every_cursor(sample: IngestedSeries) -> None:
    cache = RetrievalCache()
    queries = ["what is inside Pim", "sea serpent beneath the harbour", "brass key lighthouse"]
    async with open_resources(sample.settings) as resources, resources.sessionmaker() as session:
        for index in range(sample.page_total):
            cursor = Cursor(sample.series_id, index)
            for mode in ("page", "wiki"):
                for query in queries:
                    args = {"series_id": sample.series_id, "mode": mode, "query": query, "cursor": cursor, "k": 6}
                    plain = await retrieve(session, EMBEDDER, **args)  # type: ignore[arg-type]
                    cached = await retrieve(session, EMBEDDER, cache=cache, **args)  # type: ignore[arg-type]
                    assert [r.chunk_id for r in plain] == [r.chunk_id for r in cached]


def test_prefix_statistics_ignore_rows_past_the_cursor() -> None:
    """A term that only later rows contain scores nothing, and document frequencies count the prefix only."""
    rows = [
        ("a", 0, "lantern harbour", None, "", 0),
        ("b", 1, "lantern fog", None, "", 0),
        ("c", 2, "traitor keeper", None, "", 0),
        ("d", 3, "traitor traitor lantern", None, "", 0),
    ]
    candidates = build_candidates(rows)
    cursor = Cursor("s", 2)
    limit = candidates.visible_count(cursor, strict=True)
    assert limit == 2 and candidates.visible_count(cursor, strict=False) == 3
    assert lexical_ranking(candidates, limit, ["traitor"], 10) == []
    assert lexical_ranking(candidates, limit, ["lantern", "fog"], 10) == [1, 0]
    assert dense_ranking(candidates, limit, np.ones(4, dtype=np.float32), 10) == []  # no vectors stored
    assert rank(candidates, 4, ["traitor"], None, 5)[0][0] == 3


async def test_cache_refreshes_when_the_content_version_moves(sample: IngestedSeries) -> None:
    cache = RetrievalCache(check_every=0)
    cursor = Cursor(sample.series_id, sample.page_total - 1)
    args = {"series_id": sample.series_id, "mode": "page", "query": "zanzibar", "cursor": cursor, "k": 3}
    async with open_resources(sample.settings) as resources, resources.sessionmaker() as session:
        before = [r.key for r in await retrieve(session, EMBEDDER, cache=cache, **args)]  # type: ignore[arg-type]
        await session.execute(
            update(Chunk).where(Chunk.key == "page:ep01-the-stolen-lights:2").values(tokens="zanzibar zanzibar")
        )
        stale = [r.key for r in await retrieve(session, EMBEDDER, cache=cache, **args)]  # type: ignore[arg-type]
        await session.execute(update(Series).values(content_version=Series.content_version + 1))
        fresh = [r.key for r in await retrieve(session, EMBEDDER, cache=cache, **args)]  # type: ignore[arg-type]
    assert "page:ep01-the-stolen-lights:2" not in before[:1] and stale == before
    assert fresh[0] == "page:ep01-the-stolen-lights:2"


async def test_vectors_from_another_model_are_ignored_with_a_warning(
    sample: IngestedSeries, caplog: pytest.LogCaptureFixture
) -> None:
    cursor = Cursor(sample.series_id, sample.page_total - 1)
    async with open_resources(sample.settings) as resources, resources.sessionmaker() as session:
        await session.execute(update(Chunk).values(embedding_model="ollama:other-model"))
        with caplog.at_level(logging.WARNING, logger="scriptorium.companion.retrieval"):
            got = await retrieve(
                session, EMBEDDER, series_id=sample.series_id, mode="page", query="frost footprints", cursor=cursor, k=3
            )
    assert got and got[0].key == "page:ep01-the-stolen-lights:4"
    assert "companion reindex" in caplog.text


async def test_other_series_and_bad_modes_are_refused(sample: IngestedSeries) -> None:
    from scriptorium.core.errors import ValidationFailed

    async with open_resources(sample.settings) as resources, resources.sessionmaker() as session:
        with pytest.raises(ValidationFailed):
            await retrieve(
                session, EMBEDDER, series_id=sample.series_id, mode="page", query="x", cursor=Cursor("other", 3), k=3
            )
        with pytest.raises(ValidationFailed):
            await retrieve(
                session,
                EMBEDDER,
                series_id=sample.series_id,
                mode="all",  # type: ignore[arg-type]
                query="x",
                cursor=Cursor(sample.series_id, 3),
                k=3,
            )
        assert (
            await retrieve(
                session,
                EMBEDDER,
                series_id=sample.series_id,
                mode="page",
                query="lamp",
                cursor=Cursor(sample.series_id, 0),
                k=3,
            )
            == []
        )


async def test_hybrid_beats_lexical_and_dense_alone_on_the_labelled_questions(sample: IngestedSeries) -> None:
    questions = yaml.safe_load(QUESTIONS.read_text())["questions"]
    slugs = {1: "ep01-the-stolen-lights", 2: "ep02-the-keepers-secret"}
    cursor = Cursor(sample.series_id, sample.page_total - 1)
    async with open_resources(sample.settings) as resources, resources.sessionmaker() as session:
        candidates = await RetrievalCache().candidates(session, sample.series_id, "page")
        keys = dict((await session.execute(select(Chunk.id, Chunk.key))).all())
    limit = candidates.visible_count(cursor, strict=True)
    vectors = await EMBEDDER.embed([q["q"] for q in questions], input_type="query")
    scores: dict[str, list[float]] = {"lexical": [], "dense": [], "hybrid": []}
    hits: dict[str, int] = {"lexical": 0, "dense": 0, "hybrid": 0}
    for question, vector in zip(questions, vectors, strict=True):
        gold = {f"page:{slugs[int(g.split(':')[0])]}:{g.split(':')[1]}" for g in question["gold"]}
        terms = tokenize(question["q"])
        orders = {
            "lexical": lexical_ranking(candidates, limit, terms, limit),
            "dense": dense_ranking(candidates, limit, vector, limit),
            "hybrid": [row for row, _ in rank(candidates, limit, terms, vector, limit)],
        }
        for name, order in orders.items():
            ranked = [keys[candidates.ids[row]] for row in order]
            first = next((i for i, key in enumerate(ranked) if key in gold), None)
            scores[name].append(0.0 if first is None else 1.0 / (first + 1))
            hits[name] += first is not None and first < 3
    mrr = {name: sum(values) / len(values) for name, values in scores.items()}
    assert mrr["hybrid"] > mrr["lexical"] and mrr["hybrid"] > mrr["dense"], mrr
    assert hits["hybrid"] > hits["lexical"] and hits["hybrid"] > hits["dense"], hits
