"""Run the real `scriptorium serve` / `worker` command with one extra job kind, `probe.sleep`, for crash tests.

Each attempt records a start row as soon as it begins (committed at once), then sleeps in steps, then writes its
effect row and completes the job in one transaction. A test can then count starts (did a kill interrupt work?)
and effects (did every job take effect exactly once?). The effect table has no unique constraint on purpose: a
duplicate run would show up as a duplicate row.
"""

from __future__ import annotations

import asyncio
import os
import sys

from sqlalchemy import create_engine, text

from scriptorium.cli import main
from scriptorium.core.db import sync_url
from scriptorium.core.jobs import JobContext, registry
from scriptorium.core.settings import Settings

PROBE_TABLES = (
    "CREATE TABLE IF NOT EXISTS probe_starts (job_id VARCHAR(32) NOT NULL, pid INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS probe_effects (job_id VARCHAR(32) NOT NULL, pid INTEGER NOT NULL)",
)


def create_probe_tables(settings: Settings) -> None:
    engine = create_engine(sync_url(settings))
    with engine.begin() as connection:
        for ddl in PROBE_TABLES:
            connection.execute(text(ddl))
    engine.dispose()


@registry.handler("probe.sleep")
async def probe_sleep(ctx: JobContext) -> None:
    async with ctx.sessionmaker() as session:
        await session.execute(
            text("INSERT INTO probe_starts (job_id, pid) VALUES (:j, :p)"), {"j": ctx.job_id, "p": os.getpid()}
        )
        await session.commit()
    steps = int(ctx.payload.get("steps", 10))
    for _ in range(steps):
        await ctx.check_cancelled()
        await asyncio.sleep(float(ctx.payload.get("step_seconds", 0.1)))
    async with ctx.sessionmaker() as session, session.begin():
        await session.execute(
            text("INSERT INTO probe_effects (job_id, pid) VALUES (:j, :p)"), {"j": ctx.job_id, "p": os.getpid()}
        )
        await ctx.complete(session)


if __name__ == "__main__":
    sys.argv[0] = "scriptorium"
    main()
