"""One rate limiter: a moving window in memory (lite) or shared through Redis (scale) — issue 11, finding 9.

Behind several processes the limit used to be the setting times the process count; with Redis it is the setting.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pytest

from scriptorium.core.errors import RateLimited
from scriptorium.core.ratelimit import build_rate_limiter
from scriptorium.core.settings import Settings
from tests.services import fresh_redis_queue


async def test_memory_limits_per_key_and_says_when_to_come_back(make_settings: Callable[..., Settings]) -> None:
    limiter = build_rate_limiter(make_settings())
    started = time.monotonic()
    for _ in range(3):
        await limiter.hit("questions", "reader-a", limit=3, seconds=60, what="questions")
    with pytest.raises(RateLimited) as refused:
        await limiter.hit("questions", "reader-a", limit=3, seconds=60, what="questions")
    # The first hit frees a slot 60 s after it was made: Retry-After counts from then, not from now.
    assert 60 - (time.monotonic() - started) - 1 <= refused.value.retry_after <= 60
    assert "too many questions" in refused.value.public_message
    await limiter.hit("questions", "reader-b", limit=3, seconds=60, what="questions")  # another key is untouched
    await limiter.hit("logins", "reader-a", limit=3, seconds=60, what="logins")  # another limit too


async def test_two_processes_share_one_limit_through_redis() -> None:
    with fresh_redis_queue() as (redis_url, queue_name):
        settings = Settings(_env_file=None, profile="scale", redis_url=redis_url, queue_name=queue_name)
        first, second = build_rate_limiter(settings), build_rate_limiter(settings)
        await first.hit("login", "10.0.0.7", limit=4, seconds=60, what="login attempts")
        await second.hit("login", "10.0.0.7", limit=4, seconds=60, what="login attempts")
        await first.hit("login", "10.0.0.7", limit=4, seconds=60, what="login attempts")
        await second.hit("login", "10.0.0.7", limit=4, seconds=60, what="login attempts")
        for limiter in (first, second):
            with pytest.raises(RateLimited):
                await limiter.hit("login", "10.0.0.7", limit=4, seconds=60, what="login attempts")


async def test_a_redis_outage_falls_back_to_counting_in_this_process(caplog: pytest.LogCaptureFixture) -> None:
    from tests.twins.server import free_port

    settings = Settings(
        _env_file=None, profile="scale", redis_url=f"redis://127.0.0.1:{free_port()}/0", queue_name="down"
    )
    limiter = build_rate_limiter(settings)
    with caplog.at_level(logging.WARNING, logger="scriptorium.outages"):
        for _ in range(2):
            await limiter.hit("questions", "reader", limit=2, seconds=60, what="questions")
        with pytest.raises(RateLimited):
            await limiter.hit("questions", "reader", limit=2, seconds=60, what="questions")
    assert [r.getMessage() for r in caplog.records] == ["queue unreachable"]
