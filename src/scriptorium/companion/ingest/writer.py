"""Write a checked bundle to storage and the database, in place, so a re-run with the same files changes nothing.

Order matters for a running server and a small machine:
1. images are processed one at a time and stored under content-addressed keys (never overwriting a key a reader
   may be fetching), so memory stays flat and unchanged images are not rewritten;
2. embeddings are computed only for chunks whose text or embedding model changed, outside any transaction;
3. one transaction upserts everything by natural key, deletes what the files no longer contain, and bumps
   `Series.content_version` only if something changed (caches in a running server key on it);
4. after the commit, storage objects nothing points at any more are deleted.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tqdm import tqdm

from scriptorium.companion.content import pack_vector, page_chunk_text, wiki_chunk_text
from scriptorium.companion.ingest.bundle import IngestError, Resolved
from scriptorium.companion.ingest.images import ImageProblem, ProcessedImage, process_image
from scriptorium.companion.ingest.names import build_name_entries
from scriptorium.companion.ingest.upsert import ChunkSpec, StoredImage, Upserter
from scriptorium.companion.models import Chunk, Series
from scriptorium.companion.spoilers import NameEntry
from scriptorium.core.embeddings import Embedder
from scriptorium.core.storage import Storage

EMBED_BATCH = 32


@dataclass
class IngestReport:
    series_slug: str
    series_id: str
    content_version: int
    changed: bool
    counts: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    embedded: int = 0
    images_stored: int = 0
    warnings: list[str] = field(default_factory=list)


async def write_bundle(
    resolved: Resolved,
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    storage: Storage,
    embedder: Embedder,
    progress: bool = False,
    names: list[NameEntry] | None = None,
) -> IngestReport:
    """`names`: the name index (built here from the bundle when not given)."""
    bundle = resolved.bundle
    if names is None:
        names = build_name_entries(resolved)
    images, entity_images, stored = await _store_images(resolved, storage, progress)
    chunks = _chunk_specs(resolved)
    async with sessionmaker() as session:
        embedded = await _embed_changed(session, bundle.slug, chunks, embedder, progress)
    async with sessionmaker() as session, session.begin():
        upserter = Upserter(session, resolved, embedder, names)
        await upserter.run(images, entity_images, chunks)
        report = IngestReport(
            series_slug=bundle.slug,
            series_id=upserter.series.id,
            content_version=upserter.series.content_version,
            changed=upserter.changed,
            counts=upserter.counts,
            removed=upserter.removed,
            embedded=embedded,
            images_stored=stored,
            warnings=list(resolved.warnings),
        )
        stale_keys = upserter.stale_keys
    for key in sorted(stale_keys):
        await storage.delete(key)
    return report


async def _store_images(
    resolved: Resolved, storage: Storage, progress: bool
) -> tuple[dict[tuple[str, int], StoredImage], dict[str, StoredImage], int]:
    bundle = resolved.bundle
    pages: dict[tuple[str, int], StoredImage] = {}
    entities: dict[str, StoredImage] = {}
    problems: list[str] = []
    written = 0
    total = sum(len(e.pages) for e in bundle.episodes)
    with tqdm(total=total, desc="pages", unit="page", disable=not progress) as bar:
        for episode in bundle.episodes:
            for page in episode.pages:
                assert page.image is not None
                prefix = f"companion/{bundle.slug}/{episode.slug}/{page.number:03d}"
                try:
                    stored, new = await _store_one(page.image, prefix, storage)
                except ImageProblem as exc:
                    problems.append(f"{page.image}: {exc}")
                else:
                    pages[(episode.slug, page.number)] = stored
                    written += new
                bar.update()
    for entity in bundle.entities:
        if entity.image is None:
            continue
        try:
            stored, new = await _store_one(entity.image, f"companion/{bundle.slug}/entities/{entity.slug}", storage)
        except ImageProblem as exc:
            problems.append(f"{entity.image}: {exc}")
        else:
            entities[entity.slug] = stored
            written += new
    if problems:
        raise IngestError(problems)
    return pages, entities, written


async def _store_one(path: Path, prefix: str, storage: Storage) -> tuple[StoredImage, int]:
    image: ProcessedImage = await asyncio.to_thread(process_image, path)
    stem = f"{prefix}-{image.sha256[:16]}"
    key = f"{stem}.{image.extension}"
    thumb_key = f"{stem}-thumb.{image.thumb_extension}" if image.thumb is not None else key
    written = 0
    if not await storage.exists(key):
        await storage.put(key, image.data, content_type=image.content_type)
        written = 1
    if image.thumb is not None and not await storage.exists(thumb_key):
        await storage.put(thumb_key, image.thumb, content_type=image.thumb_content_type)
    return StoredImage(key, thumb_key, image.content_type, image.width, image.height, image.sha256), written


def _chunk_specs(resolved: Resolved) -> list[ChunkSpec]:
    bundle = resolved.bundle
    names = {e.slug: e.name for e in bundle.entities}
    specs: list[ChunkSpec] = []
    for episode in bundle.episodes:
        start = resolved.starts[episode.number]
        for page in episode.pages:
            text = page_chunk_text(
                episode_number=episode.number,
                episode_title=episode.title,
                page_number=page.number,
                description=page.description,
                text=page.text,
                names=[names.get(slug, slug) for slug in page.characters],
            )
            specs.append(
                ChunkSpec(
                    key=f"page:{episode.slug}:{page.number}",
                    kind="page",
                    debut_index=start + page.number - 1,
                    text=text,
                    page_key=(episode.slug, page.number),
                )
            )
    for article in bundle.articles:
        for position, section in enumerate(article.sections):
            specs.append(
                ChunkSpec(
                    key=f"wiki:{article.slug}:{position}",
                    kind="wiki",
                    debut_index=resolved.section_debuts[(article.slug, position)],
                    text=wiki_chunk_text(title=article.title, heading=section.heading, text=section.text),
                    section_key=(article.slug, position),
                )
            )
    return specs


async def _embed_changed(
    session: AsyncSession, series_slug: str, chunks: list[ChunkSpec], embedder: Embedder, progress: bool
) -> int:
    """Reuse stored vectors whose text and model are unchanged; embed the rest in batches."""
    rows = await session.execute(
        select(Chunk.key, Chunk.text, Chunk.embedding, Chunk.embedding_model, Chunk.embedding_dim)
        .join(Series, Series.id == Chunk.series_id)
        .where(Series.slug == series_slug)
    )
    existing: dict[str, Any] = {row.key: row for row in rows}
    todo: list[ChunkSpec] = []
    for chunk in chunks:
        old = existing.get(chunk.key)
        if (
            old is not None
            and old.text == chunk.text
            and old.embedding is not None
            and old.embedding_model == embedder.name
            and embedder.dimension in (0, old.embedding_dim)
        ):
            chunk.vector = old.embedding
        else:
            todo.append(chunk)
    with tqdm(total=len(todo), desc="embeddings", unit="chunk", disable=not progress or not todo) as bar:
        for start in range(0, len(todo), EMBED_BATCH):
            batch = todo[start : start + EMBED_BATCH]
            vectors = await embedder.embed([c.text for c in batch])
            for chunk, vector in zip(batch, vectors, strict=True):
                chunk.vector = pack_vector(vector)
            bar.update(len(batch))
    return len(todo)
