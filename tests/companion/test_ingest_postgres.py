"""Ingestion and bounded retrieval on PostgreSQL: the same guarantees as on SQLite."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from tests.companion.conftest import EMBEDDER, ingest
from tests.services import fresh_postgres_schema

from scriptorium.companion.boundary import Cursor
from scriptorium.companion.cli import SAMPLE_DIR
from scriptorium.companion.models import Page
from scriptorium.companion.retrieval import RetrievalCache, retrieve
from scriptorium.core.resources import open_resources
from scriptorium.core.settings import Settings
from scriptorium.migrations import upgrade


@pytest.mark.postgres
async def test_sample_ingests_idempotently_and_retrieval_respects_the_cursor(
    make_settings: Callable[..., Settings],
) -> None:
    with fresh_postgres_schema() as url:
        settings = make_settings(database_url=url)
        upgrade(settings)
        first = await ingest(settings, SAMPLE_DIR)
        second = await ingest(settings, SAMPLE_DIR)
        assert first.changed and not second.changed and second.embedded == 0
        async with open_resources(settings) as resources, resources.sessionmaker() as session:
            indexes = (await session.scalars(select(Page.global_index).order_by(Page.global_index))).all()
            cache = RetrievalCache()
            for index in (0, 5, 10, 15):
                cursor = Cursor(first.series_id, index)
                for use in (None, cache):
                    got = await retrieve(
                        session, EMBEDDER, series_id=first.series_id, mode="page", query="Fog Thief", cursor=cursor,
                        k=20, cache=use,
                    )  # fmt: skip
                    assert len(got) == index and all(item.global_index < index for item in got)
        assert list(indexes) == list(range(16))
