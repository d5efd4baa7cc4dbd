"""The long-lived clients one process shares: built once at start-up, closed once at shutdown.

`serve` builds them in the FastAPI lifespan, `worker` in its main loop, tests with `open_resources`. Nothing here
connects at import time; providers that are expensive to load (embedding model, chat clients) are built on first
use and cached in `cache` under a typed `CacheKey` (`resources.cached(KEY, build)` returns the key's type; tests
put a ready one in with `resources.provide(KEY, value)`). The embedder, which the Companion's routes, its CLI and
the doctor all share, has its own accessor: `resources.embedder()`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from scriptorium.core.db import create_engine, create_sessionmaker
from scriptorium.core.db_reads import Reads
from scriptorium.core.jobs import JobQueue, JobRunner
from scriptorium.core.settings import Settings
from scriptorium.core.storage import Storage, build_storage

if TYPE_CHECKING:
    from scriptorium.core.embeddings import Embedder

T = TypeVar("T")


class CacheKey(Generic[T]):
    """The typed name of one process-wide provider in `Resources.cache`: `cached(key, build)` returns a `T`."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"CacheKey({self.name!r})"


#: The configured embedder (EMBEDDING_PROVIDER), shared by every caller in the process.
EMBEDDER: CacheKey[Embedder] = CacheKey("embedder")


@dataclass
class Resources:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    http: httpx.AsyncClient
    storage: Storage
    queue: JobQueue
    reads: Reads
    """Groups of short reads in one trip off the event loop (`await resources.reads.run(fn)`)."""
    runner: JobRunner | None = None
    cache: dict[CacheKey[Any] | str, Any] = field(default_factory=dict)
    """Providers under their `CacheKey`; small per-process flags under a plain string."""
    _background: list[asyncio.Task[Any]] = field(default_factory=list)

    def cached(self, key: CacheKey[T], build: Callable[[], T]) -> T:
        """Build a provider once per process (first use), then reuse it."""
        if key not in self.cache:
            self.cache[key] = build()
        value: T = self.cache[key]
        return value

    def provide(self, key: CacheKey[T], value: T) -> None:
        """Put a ready provider in (tests and benches share one loaded model across apps)."""
        self.cache[key] = value

    def embedder(self) -> Embedder:
        """The process-wide embedder, built from the settings on first use."""
        from scriptorium.core.embeddings import build_embedder

        return self.cached(EMBEDDER, lambda: build_embedder(self.settings, self.http))

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        """Start background work that is cancelled at shutdown (warmups, sweeps)."""
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._background.append(task)
        task.add_done_callback(lambda t: self._background.remove(t) if t in self._background else None)
        return task

    def start_jobs(self, *, consume: bool, workers: int | None = None) -> None:
        """Run jobs in this process: attach a runner to this loop and, if `consume`, start consumer threads.

        Handlers must be registered first (`scriptorium.apps.load_job_handlers()`); core never imports an app.
        """
        concurrency = workers or self.settings.worker_concurrency
        self.runner = JobRunner(
            sessionmaker=self.sessionmaker,
            resources=self,
            lease_seconds=self.settings.job_lease_seconds,
            concurrency=concurrency,
            notify=self.queue.notify,
        )
        self.queue.attach(self.runner, asyncio.get_running_loop())
        if consume:
            self.queue.start_consumer(concurrency)
            self.spawn(self.runner.sweep_forever())

    async def aclose(self) -> None:
        if self.runner is not None:
            await self.runner.stop()
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await asyncio.to_thread(self.queue.close)
        for value in self.cache.values():
            closer = getattr(value, "aclose", None)
            if callable(closer):
                await closer()
        await self.http.aclose()
        await self.engine.dispose()
        self.reads.dispose()


def build_http_client(settings: Settings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.fetch_timeout_seconds, connect=min(5.0, settings.fetch_timeout_seconds)),
        headers={"User-Agent": settings.fetch_user_agent},
        follow_redirects=False,
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
    )


def build_resources(settings: Settings) -> Resources:
    engine = create_engine(settings)
    sessionmaker = create_sessionmaker(engine)
    return Resources(
        settings=settings,
        engine=engine,
        sessionmaker=sessionmaker,
        http=build_http_client(settings),
        storage=build_storage(settings),
        queue=JobQueue(settings),
        reads=Reads(settings, sessionmaker),
    )


@asynccontextmanager
async def open_resources(settings: Settings) -> AsyncIterator[Resources]:
    resources = build_resources(settings)
    try:
        yield resources
    finally:
        await resources.aclose()
