"""Job kinds that exist for operating the system rather than for an app.

`core.ping` proves the queue works end to end: `scriptorium doctor` submits one and waits for a consumer to
complete it, which only happens when some process (a worker, or `serve` in lite) is draining this queue against
this database. `ops.sleep` is a synthetic I/O-bound job (a timed wait, then a normal completion) that the capacity
benchmarks use when an app pipeline is not the thing being measured.
"""

from __future__ import annotations

import asyncio
import os
import socket

from scriptorium.core.db import transaction
from scriptorium.core.jobs import JobContext, registry

PING = "core.ping"
SLEEP = "ops.sleep"
MAX_SLEEP_SECONDS = 30.0


@registry.handler(PING)
async def ping(ctx: JobContext) -> None:
    """Complete at once, recording who answered so `doctor` can say which process consumed it."""
    async with transaction(ctx.sessionmaker) as session:
        await ctx.complete(session, result={"host": socket.gethostname(), "pid": os.getpid()})


@registry.handler(SLEEP)
async def sleep(ctx: JobContext) -> None:
    """Wait `seconds` (capped) as an I/O-bound stand-in for a pipeline step, then complete."""
    seconds = min(MAX_SLEEP_SECONDS, max(0.0, float(ctx.payload.get("seconds", 1.0))))
    await asyncio.sleep(seconds)
    await ctx.check_cancelled()
    async with transaction(ctx.sessionmaker) as session:
        await ctx.complete(session, result={"pid": os.getpid()})
