"""Huey as the doorbell: a message says "there may be work", and whoever hears it drains the job table.

Lite keeps Huey's queue in a SQLite file and runs the consumer threads inside `serve`; scale keeps it in Redis and
runs `scriptorium worker` processes anywhere. The same `wake` task runs in both. Each consumer thread hands the
drain to this process's asyncio loop, so one process runs many I/O-bound jobs concurrently on one loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from huey import Huey, MemoryHuey, SqliteHuey
from huey.consumer import Consumer

from scriptorium.core.errors import ConfigurationError
from scriptorium.core.jobs.runner import JobRunner
from scriptorium.core.outages import StateLog, state_of
from scriptorium.core.settings import Settings

log = logging.getLogger(__name__)


def build_huey(settings: Settings) -> Huey:
    backend = settings.effective_job_backend
    if backend == "sqlite":
        path = Path(settings.data_dir) / "jobs.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(settings.queue_name, filename=str(path), results=False)
    if backend == "redis":
        try:
            from huey import RedisHuey
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ConfigurationError(
                "JOB_BACKEND=redis needs the redis extra: pip install 'scriptorium[redis]'"
            ) from exc
        return RedisHuey(settings.queue_name, url=settings.effective_redis_url, results=False)
    return MemoryHuey(settings.queue_name, results=False)


class _Consumer(Consumer):  # type: ignore[misc]
    """Huey's consumer without its own SIGINT/SIGTERM handlers.

    The host process (uvicorn in `serve`, the asyncio loop in `worker`) owns shutdown and stops the consumer
    itself; Huey's handlers would replace theirs and swallow Ctrl-C and SIGTERM.
    """

    def _set_signal_handlers(self) -> None:
        pass


class _DropReadErrors(logging.Filter):
    """Huey logs a traceback for each failed read of the queue: every 0.5 s per consumer thread while Redis is
    down. The queue's StateLog (`core/outages.py`) already says it once, then once a minute, then when it is back."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "Error reading from queue"


_HUEY_WORKER_LOG = logging.getLogger("huey.consumer.Worker")
if not any(isinstance(f, _DropReadErrors) for f in _HUEY_WORKER_LOG.filters):
    _HUEY_WORKER_LOG.addFilter(_DropReadErrors())


def _watch_reads(huey: Huey, consuming: Callable[[], bool], outages: Callable[[], StateLog]) -> None:
    """Report every read of the queue to the queue's StateLog, so the log says when the consumer lost it and when
    it came back.

    Only while `consuming()`: a stopped consumer's threads finish the poll they were in, and that last read can
    fail because shutdown already closed the storage; it is no news about the queue (and in tests it would land
    in the next test's log).
    """
    read = huey.dequeue

    def dequeue() -> Any:
        if not consuming():
            return read()
        state = outages()
        started = state.now()
        try:
            task = read()
        except Exception as exc:
            state.failed(exc, during="the consumer reading the queue", started=started)
            raise
        state.ok()
        return task

    huey.dequeue = dequeue


class JobQueue:
    """Rings the doorbell (any process) and, in processes that run jobs, answers it."""

    def __init__(self, settings: Settings, huey: Huey | None = None, *, outages: StateLog | None = None) -> None:
        """`outages`: where reads and rings report the queue's reachability (default: the process's `queue`
        StateLog; a test gives its own, since a browser test's live server consumes in the same process)."""
        self.settings = settings
        self._outages = outages
        self.huey = huey or build_huey(settings)
        self._wake = self.huey.task(name="scriptorium.wake")(self._on_wake)
        self._runner: JobRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._consumer: Any = None
        self._consumer_lock = threading.Lock()
        _watch_reads(self.huey, lambda: self._consumer is not None, self.outages)

    def outages(self) -> StateLog:
        """The StateLog this queue reports to (looked up each time: tests reset the process's registry)."""
        return self._outages or state_of("queue")

    # --- ringing -------------------------------------------------------------------------------
    def ring(self, count: int = 1) -> None:
        """Enqueue `count` wake messages (cheap: one small write each)."""
        for _ in range(max(0, count)):
            self._wake()

    async def notify(self, count: int = 1) -> None:
        """Ring from async code without blocking the loop on the queue's I/O; best effort, never raises.

        Callers ring after their job rows are committed, and the rows are the truth: when the doorbell is
        unreachable (Redis down) every worker's sweep rings for claimable rows once it is back. Raising here would
        answer an accepted request with an error, and a client retrying it would get its work twice. The log says
        when ringing starts failing, once a minute while it lasts, and when it works again (`core/outages.py`).
        """
        if count <= 0:
            return
        queue = self.outages()
        started = queue.now()
        try:
            await asyncio.to_thread(self.ring, count)
        except Exception as exc:
            queue.failed(
                exc, during="ringing for new jobs; they stay pending until a sweep rings for them", started=started
            )
        else:
            queue.ok()

    def ping(self) -> None:
        """Raise when the queue's storage is unreachable (health checks)."""
        self.huey.pending_count()

    # --- answering -----------------------------------------------------------------------------
    def attach(self, runner: JobRunner, loop: asyncio.AbstractEventLoop) -> None:
        """Make this process run jobs: wake messages drain `runner` on `loop`."""
        self._runner = runner
        self._loop = loop

    def _on_wake(self) -> None:
        runner, loop = self._runner, self._loop
        if runner is None or loop is None or loop.is_closed():
            log.warning("wake received by a process that runs no jobs; ignoring")
            return
        future = asyncio.run_coroutine_threadsafe(runner.drain(), loop)
        try:
            future.result()
        except Exception:
            log.exception("job drain failed")

    def start_consumer(self, workers: int) -> None:
        """Start consumer threads in this process (non-blocking)."""
        with self._consumer_lock:
            if self._consumer is not None:
                return
            self._consumer = _Consumer(
                self.huey,
                workers=workers,
                worker_type="thread",
                initial_delay=0.02,
                backoff=1.25,
                max_delay=0.5,
                periodic=False,
                check_worker_health=False,
            )
            self._consumer.start()

    def stop_consumer(self) -> None:
        with self._consumer_lock:
            consumer, self._consumer = self._consumer, None
        if consumer is not None:
            consumer.stop(graceful=False)

    def close(self) -> None:
        self.stop_consumer()
        storage = getattr(self.huey, "storage", None)
        close = getattr(storage, "close", None)
        if callable(close):
            close()
