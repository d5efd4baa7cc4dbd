"""One log line per change of a dependency's state (issue 11, finding 7): down, still down once a minute, back."""

from __future__ import annotations

import logging

import pytest

from scriptorium.core.outages import StateLog


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
