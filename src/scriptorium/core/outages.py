"""One log line per change of a dependency's state: down, still down (once a minute), back.

During an outage every request, sweep and poll fails the same way; logging each failure buries the one line an
operator needs ("the database is unreachable since 14:02") under thousands of copies, and a traceback each time
fills a Pi's SD card. Every place that notices a dependency failing reports to one `StateLog` per dependency and
process, and the log shows the change of state, a reminder each minute while it lasts, and its end.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger("scriptorium.outages")

REMIND_SECONDS = 60.0
_DATABASE_ERRORS = ("OperationalError", "InterfaceError", "TimeoutError", "DisconnectionError")


def outage_of(exc: BaseException) -> str | None:
    """`database` or `queue` when `exc` says that dependency is unreachable; None for anything else.

    Decided by the exception's module and class so that neither driver has to be imported to ask.
    """
    module = type(exc).__module__
    name = type(exc).__name__
    if module.startswith("sqlalchemy.") and name in _DATABASE_ERRORS:
        return "database"
    if module.startswith("sqlalchemy.") and getattr(exc, "connection_invalidated", False):
        return "database"
    if module.startswith("redis.") and name in {"ConnectionError", "TimeoutError", "BusyLoadingError"}:
        return "queue"
    return None


class StateLog:
    """Tracks whether `name` is reachable and logs only when that changes (and once a minute while down)."""

    def __init__(
        self, name: str, *, remind_seconds: float = REMIND_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.name = name
        self.remind_seconds = remind_seconds
        self._clock = clock
        self._lock = threading.Lock()  # reported from the event loop and from Huey's consumer threads
        self._down_since: float | None = None
        self._last_said = 0.0
        self._failures = 0
        self._last_ok = float("-inf")

    def now(self) -> float:
        """The clock `failed(started=...)` compares with: read it before an attempt, pass it if the attempt fails."""
        return self._clock()

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def failed(self, exc: BaseException, *, during: str, started: float | None = None) -> None:
        """Report a failure to reach the dependency while doing `during` (no traceback: it is not a bug).

        `started` (from `now()` before the attempt) lets a slow failure that began before a newer success be
        dropped: the dependency was back by then, and reporting it would log an outage that is already over.
        """
        now = self._clock()
        with self._lock:
            if started is not None and started < self._last_ok:
                return
            self._failures += 1
            if self._down_since is None:
                self._down_since = self._last_said = now
                message, extra = "%s unreachable", {}
            elif now - self._last_said >= self.remind_seconds:
                self._last_said = now
                message, extra = "%s still unreachable", {"down_seconds": round(now - self._down_since)}
            else:
                return
            failures = self._failures
        log.warning(
            message,
            self.name,
            extra={"dependency": self.name, "during": during, "error": type(exc).__name__, "failures": failures}
            | extra,
        )

    def ok(self) -> None:
        """Report a success; logs once if the dependency was down."""
        now = self._clock()
        self._last_ok = now
        if self._down_since is None:  # the common case, without taking the lock
            return
        with self._lock:
            if self._down_since is None:
                return
            down_for, failures = now - self._down_since, self._failures
            self._down_since, self._failures = None, 0
        log.warning(
            "%s reachable again",
            self.name,
            extra={"dependency": self.name, "down_seconds": round(down_for), "failures": failures},
        )


_states: dict[str, StateLog] = {}
_states_lock = threading.Lock()


def state_of(name: str) -> StateLog:
    """This process's StateLog for a dependency (`database`, `queue`, …), shared by everything that reports it."""
    with _states_lock:
        if name not in _states:
            _states[name] = StateLog(name)
        return _states[name]


def reset_states() -> None:
    """Forget every dependency's state (tests: one test's outage must not silence the next test's first line)."""
    with _states_lock:
        _states.clear()
