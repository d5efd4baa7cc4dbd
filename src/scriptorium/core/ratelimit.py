"""One rate limiter for every route that needs one (login attempts, Companion questions).

A moving window (`limits`' MovingWindowRateLimiter): at most `limit` hits in any `seconds`-long span, and the
oldest hit in the window says when the next one is allowed (Retry-After). Lite keeps the windows in memory; scale
keeps them in Redis, so a limit means the same with one `serve` process or ten (it used to be the setting times
the process count). If Redis cannot be reached the limiter falls back to this process's memory and says so once:
a queue outage should neither lock every reader and every login out nor switch the limits off.
"""

from __future__ import annotations

import ipaddress
import math
import time
from typing import TYPE_CHECKING

from scriptorium.core.errors import RateLimited
from scriptorium.core.outages import state_of
from scriptorium.core.resources import CacheKey, Resources
from scriptorium.core.settings import Settings

if TYPE_CHECKING:
    from limits.aio.storage import Storage
    from limits.errors import StorageError


class RateLimiter:
    """`await hit(name, key, limit=…, seconds=…)` records one event or raises RateLimited with Retry-After."""

    def __init__(self, storage: Storage, *, fallback: Storage | None = None) -> None:
        from limits.aio.strategies import MovingWindowRateLimiter

        self._shared = MovingWindowRateLimiter(storage)
        self._local = MovingWindowRateLimiter(fallback) if fallback is not None else None

    async def hit(self, name: str, key: str, *, limit: int, seconds: float, what: str) -> None:
        """Count one `what` for `key` under the limit called `name`; raise RateLimited past `limit` per `seconds`."""
        from limits import RateLimitItemPerSecond
        from limits.errors import StorageError

        item = RateLimitItemPerSecond(limit, max(1, math.ceil(seconds)))
        strategy = self._shared
        try:
            allowed = await strategy.hit(item, name, key)
        except StorageError as exc:
            if self._local is None:
                raise
            self._say_down(exc)
            strategy = self._local
            allowed = await strategy.hit(item, name, key)
        else:
            self._say_up()
        if allowed:
            return
        stats = await strategy.get_window_stats(item, name, key)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(f"too many {what}; try again in {retry_after} s", retry_after=retry_after)

    def _say_down(self, exc: StorageError) -> None:
        state_of("queue").failed(exc.storage_error, during="rate limiting (counting per process meanwhile)")

    def _say_up(self) -> None:
        state_of("queue").ok()


#: The process's limiter in `Resources.cache`.
RATE_LIMITER: CacheKey[RateLimiter] = CacheKey("core.rate_limiter")


def build_rate_limiter(settings: Settings) -> RateLimiter:
    """Redis (shared by every process) when the job queue is on Redis, else this process's memory.

    `limits` loads here, on the first request that is limited, not at start-up (test_startup_imports).
    """
    from limits.aio.storage import MemoryStorage, RedisStorage

    if settings.effective_job_backend == "redis":
        storage = RedisStorage(
            f"async+{settings.effective_redis_url}",
            implementation="redispy",
            key_prefix=f"{settings.queue_name}:limits",
            wrap_exceptions=True,
        )
        return RateLimiter(storage, fallback=MemoryStorage())
    return RateLimiter(MemoryStorage())


def rate_limiter(resources: Resources) -> RateLimiter:
    """This process's limiter, built on first use (its Redis connections open lazily)."""
    return resources.cached(RATE_LIMITER, lambda: build_rate_limiter(resources.settings))


def client_address_key(host: str | None) -> str:
    """The key a client is limited under: its IPv4 address, or its IPv6 /64 (one subscriber's whole range).

    Keying IPv6 by full address would let one machine rotate through 2^64 addresses, each with a fresh window,
    and grow the window table without bound.
    """
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if address.version == 6 and address.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address.ipv4_mapped or address) if address.version == 6 else str(address)
