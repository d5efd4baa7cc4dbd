"""Run a group of short reads as one unit of work: on SQLite in a single worker-thread hop.

Why: through aiosqlite every query is four or five hops between the event loop and the connection's thread
(cursor, execute, fetch, close), and under load each hop waits behind whatever else the loop is doing. A chat
turn's two reads cost ~4 ms that way on an idle machine and several times more with 50 readers. Here the reads
run as one plain function on a synchronous SQLite connection in a worker thread: one hop for all of them. WAL
mode lets these readers run beside the app's async writers. On PostgreSQL the same function runs through the
async session's `run_sync`, where each query is one network round trip anyway.

The function receives a synchronous ORM `Session`, must only read, and returns detached objects: their loaded
columns stay readable, lazy relationships do not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from scriptorium.core.db import apply_sqlite_pragmas, sync_url
from scriptorium.core.settings import Settings

T = TypeVar("T")


class Reads:
    """`await reads.run(fn)`: `fn(session)` with every query in it sharing one trip off the event loop."""

    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        url = make_url(sync_url(settings))
        # An in-memory database exists once per connection: a second engine would see another, empty one.
        self._sqlite = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
        self._engine: Engine | None = None

    def _sync_engine(self) -> Engine:
        if self._engine is None:
            engine = create_engine(
                sync_url(self.settings),
                connect_args={"check_same_thread": False, "timeout": self.settings.db_connect_timeout},
            )

            @event.listens_for(engine, "connect")
            def _pragmas(dbapi_connection: Any, _record: Any) -> None:
                apply_sqlite_pragmas(dbapi_connection, self.settings)

            self._engine = engine
        return self._engine

    def _in_thread(self, fn: Callable[[Session], T]) -> T:
        with Session(self._sync_engine(), expire_on_commit=False) as session:
            return fn(session)

    async def run(self, fn: Callable[[Session], T]) -> T:
        if self._sqlite:
            return await asyncio.to_thread(self._in_thread, fn)
        async with self.sessionmaker() as session:
            return await session.run_sync(fn)

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
