"""The real CLI in subprocesses, for crash and restart tests, with results read straight from the database.

The SIGKILL tests of the job core and of Scribe, and the ops stack, share these: start a command with its
output in a log, wait for a condition (printing the log's tail if it never comes), kill hard or stop politely,
and count rows with a plain synchronous connection that does not depend on the process under test.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text

from scriptorium.core.db import sync_url
from scriptorium.core.settings import Settings


def scalar(settings: Settings, sql: str) -> int:
    """One integer from the database `settings` points at (NULL reads as 0)."""
    engine = create_engine(sync_url(settings))
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(sql)).scalar_one() or 0)
    finally:
        engine.dispose()


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, log: Path | None = None) -> None:
    """Poll until `predicate()` holds; on timeout print the end of `log` and fail naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    if log is not None:
        print(log.read_text()[-4000:])
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`python ARGV` (e.g. `["-m", "scriptorium", "worker"]`) with stdout and stderr appended to `log`."""
    with log.open("ab") as handle:
        return subprocess.Popen([sys.executable, *argv], env=env, stdout=handle, stderr=subprocess.STDOUT)


def sigkill(process: subprocess.Popen[bytes]) -> None:
    """Crash it: SIGKILL, no chance to clean up."""
    try:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()


def stop(process: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    """Ask politely (SIGTERM), then insist after `grace` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
