"""An in-memory token bucket per key (client IP): enough to slow password guessing against one process.

It is per process: with several API processes behind a proxy, each allows the full rate, so put a limit in the
proxy as well. Old keys are pruned when the table grows, so a flood of addresses cannot grow memory unbounded.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from scriptorium.core.errors import RateLimited


class TokenBucket:
    """`capacity` attempts at once, refilled at `capacity` per `period` seconds."""

    def __init__(
        self, capacity: int, period: float, *, max_keys: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.capacity = capacity
        self.rate = capacity / period
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> float:
        """Spend one token for `key`: 0.0 when allowed, else the seconds until the next token."""
        now = self.clock()
        tokens, last = self._buckets.get(key, (float(self.capacity), now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate
        self._buckets[key] = (tokens - 1, now)
        if len(self._buckets) > self.max_keys:
            self._prune(now)
        return 0.0

    def check(self, key: str, *, what: str) -> None:
        """Spend a token or raise RateLimited with a whole-second Retry-After."""
        wait = self.take(key)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise RateLimited(f"too many {what} attempts; try again in {seconds} s", retry_after=seconds)

    def _prune(self, now: float) -> None:
        full_after = self.capacity / self.rate
        for key, (_, last) in list(self._buckets.items()):
            if now - last >= full_after:
                del self._buckets[key]
        while len(self._buckets) > self.max_keys:
            del self._buckets[next(iter(self._buckets))]
