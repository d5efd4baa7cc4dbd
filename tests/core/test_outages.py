"""One log line per change of a dependency's state (issue 11, finding 7): down, still down once a minute, back."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from scriptorium.core.outages import StateLog
from scriptorium.core.settings import Settings

if TYPE_CHECKING:
    from scriptorium.core.jobs.queue import JobQueue


def test_a_long_outage_is_three_kinds_of_line_not_one_per_failure(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    redis = StateLog("queue", remind_seconds=60, clock=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="scriptorium.outages")
    for second in range(0, 150, 2):  # a failure every 2 s for 2.5 minutes
        now[0] = float(second)
        redis.failed(ConnectionError("refused"), during="ringing")
    now[0] = 151.0
    redis.ok()
    redis.ok()
    lines = [(r.getMessage(), getattr(r, "down_seconds", None)) for r in caplog.records]
    assert lines == [
        ("queue unreachable", None),
        ("queue still unreachable", 60),
        ("queue still unreachable", 120),
        ("queue reachable again", 151),
    ]
    assert caplog.records[-1].failures == 75  # type: ignore[attr-defined]
    assert not any(r.exc_info for r in caplog.records)


def test_a_second_outage_is_announced_again(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    database = StateLog("database", clock=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="scriptorium.outages")
    database.failed(OSError("down"), during="sweep")
    database.ok()
    now[0] = 5.0
    database.failed(OSError("down again"), during="sweep")
    assert [r.getMessage() for r in caplog.records] == [
        "database unreachable",
        "database reachable again",
        "database unreachable",
    ]


def test_a_failure_that_started_before_a_newer_success_is_not_a_new_outage(caplog: pytest.LogCaptureFixture) -> None:
    """Two consumer threads: one's read fails slowly while the other's, begun later, succeeds first. The slow
    failure is old news (the queue was back when the fast read began) and must not announce a second outage."""
    now = [0.0]
    queue = StateLog("queue", clock=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="scriptorium.outages")
    queue.failed(ConnectionError("refused"), during="reading")
    slow_started = queue.now()  # t=0: a read begins while the queue is down …
    now[0] = 1.0
    queue.ok()  # … another read, begun later, succeeds …
    now[0] = 2.0
    queue.failed(ConnectionError("refused"), during="reading", started=slow_started)  # … then the slow one fails
    assert [r.getMessage() for r in caplog.records] == ["queue unreachable", "queue reachable again"]
    assert not queue.down
    fresh_started = queue.now()
    now[0] = 3.0
    queue.failed(ConnectionError("refused"), during="reading", started=fresh_started)  # a real new outage
    assert [r.getMessage() for r in caplog.records] == [
        "queue unreachable",
        "queue reachable again",
        "queue unreachable",
    ]
    assert queue.down


def queue_failing_while(broken: threading.Event, settings: Settings) -> tuple[JobQueue, StateLog]:
    """A JobQueue on a memory Huey whose reads fail while `broken` is set, reporting to a StateLog of its own:
    another consumer in this process (a browser test's live server) reports "ok" to the process-wide one at every
    poll, which would rightly log each outage again and again."""
    from huey import MemoryHuey

    from scriptorium.core.jobs.queue import JobQueue

    huey = MemoryHuey(f"outage-test-{id(broken)}", results=False)
    real_dequeue = huey.storage.dequeue

    def dequeue() -> Any:
        if broken.is_set():
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        return real_dequeue()

    huey.storage.dequeue = dequeue  # type: ignore[method-assign]
    outages = StateLog("queue")
    return JobQueue(settings, huey=huey, outages=outages), outages


async def test_the_consumer_says_when_it_loses_the_queue_and_when_it_is_back_without_a_traceback_each_poll(
    make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    down = threading.Event()
    down.set()
    queue, outages = queue_failing_while(down, make_settings())
    caplog.set_level(logging.WARNING)
    queue.start_consumer(workers=2)
    try:
        await _until(lambda: outages.down)
        for _ in range(50):  # a few more failed polls while it is down
            if outages._failures >= 6:
                break
            await asyncio.sleep(0.1)
        down.clear()
        await _until(lambda: not outages.down)
    finally:
        queue.stop_consumer()
    messages = [r.getMessage() for r in caplog.records]
    assert "Error reading from queue" not in messages
    assert messages.count("queue unreachable") == 1
    assert messages.count("queue reachable again") == 1


def test_a_stopped_consumers_last_read_is_no_outage(
    make_settings: Callable[..., Settings], caplog: pytest.LogCaptureFixture
) -> None:
    """Shutdown stops the consumer, then closes the storage; a worker thread finishing its poll then reads a closed
    storage. That failure says nothing about the queue and must not log "queue unreachable"."""
    closed = threading.Event()
    queue, outages = queue_failing_while(closed, make_settings())
    huey = queue.huey
    caplog.set_level(logging.WARNING, logger="scriptorium.outages")
    queue.start_consumer(workers=1)
    queue.stop_consumer()
    closed.set()
    with pytest.raises(ConnectionError):
        huey.dequeue()  # what the straggling thread does
    assert not outages.down
    assert [r.getMessage() for r in caplog.records] == []

    queue.start_consumer(workers=1)  # a running consumer's failed read is news
    try:
        with pytest.raises(ConnectionError):
            huey.dequeue()
        assert outages.down
    finally:
        queue.stop_consumer()


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(300):
        if condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition never held")
