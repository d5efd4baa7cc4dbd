"""`scriptorium companion ingest`: read a content folder in any supported layout and write it in place."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scriptorium.companion.ingest.bundle import IngestError, resolve
from scriptorium.companion.ingest.lint import early_mentions
from scriptorium.companion.ingest.names import build_name_entries
from scriptorium.companion.ingest.reader import read_content
from scriptorium.companion.ingest.writer import IngestReport, write_bundle
from scriptorium.core.embeddings import Embedder
from scriptorium.core.storage import Storage

__all__ = ["IngestError", "IngestReport", "ingest_path"]


async def ingest_path(
    root: Path,
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    storage: Storage,
    embedder: Embedder,
    lang: str = "en",
    slug: str | None = None,
    title: str | None = None,
    skip_unreached: bool = False,
    progress: bool = False,
) -> IngestReport:
    """Ingest everything under `root` as one series; nothing is written unless the whole input checks out."""
    bundle = await asyncio.to_thread(read_content, root, lang=lang, slug=slug, title=title)
    resolved = resolve(bundle, skip_unreached=skip_unreached)
    names = build_name_entries(resolved)
    resolved.warnings.extend(early_mentions(resolved, names))
    return await write_bundle(
        resolved, sessionmaker=sessionmaker, storage=storage, embedder=embedder, progress=progress, names=names
    )
