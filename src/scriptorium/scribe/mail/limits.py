"""When the next message may go: a sliding 60-second window and a rolling 24-hour cap, both read from the database.

Pure arithmetic over the start times of the account's recent sends (`queries.attempts_since`), so every worker
computes the same answer and a restart forgets nothing. The clock is injected: tests and the bench advance a fake
one instead of waiting real minutes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

WINDOW = timedelta(seconds=60)
DAY = timedelta(days=1)


class Clock(Protocol):
    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class FakeClock:
    """A clock that jumps instead of waiting; `sleeps` records every wait asked for (tests, bench)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.current

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.current += timedelta(seconds=max(0.0, seconds))
        await asyncio.sleep(0)


@dataclass(frozen=True)
class Wait:
    seconds: float
    why: Literal["rate", "daily_cap"] | None

    @property
    def ready(self) -> bool:
        return self.seconds <= 0


def next_slot(attempts: Sequence[datetime], *, now: datetime, rate_per_minute: int, daily_cap: int) -> Wait:
    """How long until one more send fits both limits. `attempts`: start times within the last day, oldest first."""
    day = [at for at in attempts if at > now - DAY]
    if len(day) >= daily_cap:
        frees_at = day[len(day) - daily_cap] + DAY
        return Wait(max(0.0, (frees_at - now).total_seconds()), "daily_cap")
    minute = [at for at in day if at > now - WINDOW]
    if len(minute) >= rate_per_minute:
        frees_at = minute[len(minute) - rate_per_minute] + WINDOW
        return Wait(max(0.0, (frees_at - now).total_seconds()), "rate")
    return Wait(0.0, None)
