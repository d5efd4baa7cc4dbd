"""Recompute stored embeddings after an embedding provider or model switch.

Vectors from two models are not comparable, so retrieval ignores stored vectors that do not match the running
embedder (falling back to lexical search and logging it). `reindex` re-embeds those chunks (or all, with `force`),
in batches and in short transactions, then bumps each touched series' content version so running servers reload.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tqdm import tqdm

from scriptorium.companion.content import pack_vector
from scriptorium.companion.models import Chunk, Series
from scriptorium.core.db import utcnow
from scriptorium.core.embeddings import Embedder

BATCH = 32


@dataclass
class ReindexReport:
    model: str
    dimension: int
    embedded: int
    series: list[str]


async def reindex(
    sessionmaker: async_sessionmaker[AsyncSession],
    embedder: Embedder,
    *,
    series_slug: str | None = None,
    force: bool = False,
    progress: bool = False,
) -> ReindexReport:
    stmt = select(Chunk.id, Chunk.text, Chunk.series_id).join(Series, Series.id == Chunk.series_id)
    if series_slug is not None:
        stmt = stmt.where(Series.slug == series_slug)
    if not force:
        stmt = stmt.where(
            or_(
                Chunk.embedding.is_(None),
                Chunk.embedding_model != embedder.name,
                Chunk.embedding_dim != embedder.dimension if embedder.dimension else Chunk.embedding_dim == 0,
            )
        )
    async with sessionmaker() as session:
        todo = list((await session.execute(stmt.order_by(Chunk.id))).all())
    touched: set[str] = set()
    with tqdm(total=len(todo), desc="embeddings", unit="chunk", disable=not progress or not todo) as bar:
        for start in range(0, len(todo), BATCH):
            batch = todo[start : start + BATCH]
            vectors = await embedder.embed([row.text for row in batch])
            async with sessionmaker() as session, session.begin():
                for row, vector in zip(batch, vectors, strict=True):
                    await session.execute(
                        update(Chunk)
                        .where(Chunk.id == row.id)
                        .values(
                            embedding=pack_vector(vector),
                            embedding_model=embedder.name,
                            embedding_dim=int(vector.shape[0]),
                        )
                    )
                    touched.add(row.series_id)
            bar.update(len(batch))
    slugs: list[str] = []
    if touched:
        async with sessionmaker() as session, session.begin():
            await session.execute(
                update(Series)
                .where(Series.id.in_(touched))
                .values(content_version=Series.content_version + 1, updated_at=utcnow())
            )
            slugs = sorted((await session.scalars(select(Series.slug).where(Series.id.in_(touched)))).all())
    return ReindexReport(embedder.name, embedder.dimension, len(todo), slugs)
