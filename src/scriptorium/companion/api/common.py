"""What several Companion routes share: identifying the reader, resolving ids, and the question limit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Path, Request
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.companion.catalog import CatalogCache
from scriptorium.companion.episodes import ReaderContext
from scriptorium.companion.sessions import load_view, reader_from_token
from scriptorium.core.ratelimit import client_address_key, rate_limiter
from scriptorium.core.resources import CacheKey, Resources
from scriptorium.core.settings import Settings

if TYPE_CHECKING:
    from scriptorium.companion.retrieval import RetrievalCache

READER_HEADER = "x-reader-token"
RETRIEVAL_CACHE: CacheKey[RetrievalCache] = CacheKey("companion.retrieval_cache")
CATALOG_CACHE: CacheKey[CatalogCache] = CacheKey("companion.catalog")

# Accept our 32-hex ids and the dashed UUID form clients of the original send; both name the same row.
SessionId = Annotated[
    str,
    Path(pattern=r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"),
]
SESSION_QUERY_PATTERN = r"^[0-9a-fA-F-]{32,36}$"


def normalize_id(value: str) -> str:
    return value.replace("-", "").lower()


def header_token(request: Request) -> str | None:
    token = request.headers.get(READER_HEADER, "").strip()
    return token or None


async def reader_context(
    db: AsyncSession,
    settings: Settings,
    request: Request,
    *,
    session_id: str | None,
    reader_token: str | None = None,
) -> ReaderContext:
    """The session (exact cursor) and/or the reader (furthest position) a request speaks for."""
    view = await load_view(db, normalize_id(session_id)) if session_id else None
    token = reader_token or header_token(request)
    reader_id = reader_from_token(settings, token) if token else None
    if view is not None and reader_id is None:
        reader_id = view.session.reader_id
    return ReaderContext(view=view, reader_id=reader_id)


async def limit_questions(resources: Resources, request: Request) -> None:
    """COMPANION_RATE_LIMIT_PER_MINUTE questions per client and minute (chat and retrieve count together).

    Counted across every process when the queue is on Redis (core/ratelimit.py), so the limit is the setting,
    not the setting times the process count. The client is the peer address uvicorn reports (trusted proxies
    applied), IPv6 by its /64.
    """
    limit = resources.settings.companion_rate_limit_per_minute
    await rate_limiter(resources).hit(
        "questions",
        client_address_key(request.client.host if request.client else None),
        limit=limit,
        seconds=60,
        what=f"questions (at most {limit} a minute)",
    )


def retrieval_cache(resources: Resources) -> RetrievalCache:
    """Per-process candidate matrices, refreshed whenever a series' content version moves (re-ingest).

    Retrieval (and numpy under it) is imported on the first question, not at start-up
    (tests/test_startup_imports.py guards that).
    """
    from scriptorium.companion.retrieval import RetrievalCache

    return resources.cached(RETRIEVAL_CACHE, RetrievalCache)


def catalog_cache(resources: Resources) -> CatalogCache:
    """Per-process snapshots of each series' entities and wiki coverage, keyed by content version."""
    return resources.cached(CATALOG_CACHE, CatalogCache)
