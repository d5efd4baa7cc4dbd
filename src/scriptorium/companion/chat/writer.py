"""Group commit for chat messages: answers that finish together share one short write transaction.

SQLite lets one connection write at a time, and a transaction holds that lock across event-loop turns while its
statements hop to the driver's thread. With dozens of streams finishing at once, each opening its own
transaction, they queue on the database lock (and can hit its busy timeout). Here they queue in memory instead:
one task writes everything pending in a single transaction, so a burst of answers costs one commit, and each
caller still returns only once its rows are durable. PostgreSQL gains too (fewer commits).
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scriptorium.companion.models import ChatMessage
from scriptorium.core.db import transaction

log = logging.getLogger(__name__)

Pending = tuple[list[ChatMessage], "asyncio.Future[None]"]


class ExchangeWriter:
    """`await writer.write(rows)` returns once the rows are committed (or raises what committing them raised)."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._pending: list[Pending] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def write(self, rows: list[ChatMessage]) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((rows, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        self._wake.set()
        # Shielded: a caller that is cancelled (client gone) still gets its rows written by the writer task.
        await asyncio.shield(future)

    async def _run(self) -> None:
        while self._pending:
            self._wake.clear()
            batch, self._pending = self._pending, []
            try:
                async with transaction(self._sessionmaker) as db:
                    for rows, _ in batch:
                        db.add_all(rows)
            except Exception:
                log.warning("companion: batched message write failed; retrying one by one", exc_info=True)
                await self._one_by_one(batch)
            else:
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)
            if not self._pending:
                await asyncio.sleep(0)

    async def close(self) -> None:
        """Finish what is queued (called at shutdown through `Resources.aclose`)."""
        if self._task is not None and not self._task.done():
            await self._task

    aclose = close

    async def _one_by_one(self, batch: list[Pending]) -> None:
        for rows, future in batch:
            try:
                async with transaction(self._sessionmaker) as db:
                    db.add_all(rows)
            except Exception as exc:
                if not future.done():
                    future.set_exception(exc)
            else:
                if not future.done():
                    future.set_result(None)
