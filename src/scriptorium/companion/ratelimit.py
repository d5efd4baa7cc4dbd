"""Per-client sliding-window limit on chat questions (COMPANION_RATE_LIMIT_PER_MINUTE).

In-process by design: it protects one `serve` process from a noisy client cheaply and never needs a network
round trip before the first token. Behind several processes each one enforces the limit on its own, so the
effective ceiling is the limit times the process count; a model provider's spend cap remains the real guard.
Memory is bounded: idle clients are forgotten and at most `max_clients` windows are kept.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from scriptorium.core.errors import RateLimited


class SlidingWindowLimiter:
    """Allow `limit` events per `window` seconds per key; the oldest event in the window decides Retry-After."""

    def __init__(
        self,
        limit: int,
        *,
        window: float = 60.0,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.max_clients = max_clients
        self._clock = clock
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def hit(self, key: str) -> None:
        """Record one event for `key`, or raise RateLimited saying how many seconds to wait."""
        now = self._clock()
        events = self._events.pop(key, None) or deque()
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            self._events[key] = events
            retry_after = max(1, math.ceil(events[0] + self.window - now))
            raise RateLimited(
                f"too many questions: at most {self.limit} per minute; try again in {retry_after} s",
                retry_after=retry_after,
            )
        events.append(now)
        self._events[key] = events
        self._forget_idle(now)

    def _forget_idle(self, now: float) -> None:
        # Keys are kept in least-recently-used order, so idle ones sit at the front.
        while self._events:
            oldest_key, oldest = next(iter(self._events.items()))
            expired = not oldest or oldest[-1] <= now - self.window
            if not expired and len(self._events) <= self.max_clients:
                break
            del self._events[oldest_key]

    def __len__(self) -> int:
        return len(self._events)
