"""`scriptorium worker` on a database it cannot use yet: it says what it waits for, once, and starts when it can.

Workers and the API often start together and `serve` migrates at start, so the worker waits instead of exiting.
Before, it ran on and logged a traceback from its job sweep every 30 s, forever.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import start, stop, wait_for
from tests.services import fresh_postgres_schema

WAITING = "the database has no job tables yet; waiting for `scriptorium migrate`"
READY = "worker: 2 concurrent jobs on"


def worker_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_", "JOB_", "PROFILE"))}
    return {**env, "DATA_DIR": str(tmp_path / "var"), "WORKER_CONCURRENCY": "2", **extra}


def migrate(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "scriptorium", "migrate"], env=env, check=True, capture_output=True)


def waits_then_starts_after_migrate(env: dict[str, str], log: Path) -> None:
    worker = start(["-m", "scriptorium", "worker"], env, log)
    try:
        wait_for(lambda: WAITING in log.read_text(), 120, "the waiting message", log)
        migrate(env)
        wait_for(lambda: READY in log.read_text(), 120, "the worker to start consuming", log)
    finally:
        stop(worker)
    output = log.read_text()
    assert worker.returncode == 0, output
    assert output.count(WAITING) == 1  # said once, not once per poll
    assert "Traceback" not in output


def test_a_worker_started_before_migrate_waits_then_runs(tmp_path: Path) -> None:
    waits_then_starts_after_migrate(worker_env(tmp_path), tmp_path / "worker.log")


@pytest.mark.postgres
def test_the_same_on_a_fresh_postgres_schema(tmp_path: Path) -> None:
    with fresh_postgres_schema() as database_url:
        waits_then_starts_after_migrate(worker_env(tmp_path, DATABASE_URL=database_url), tmp_path / "worker.log")


def test_an_unreachable_database_is_named_without_the_url_and_sigterm_still_stops_it(tmp_path: Path) -> None:
    env = worker_env(tmp_path, DATABASE_URL="postgresql://scribe:hunter2-secret@127.0.0.1:1/nowhere")
    log = tmp_path / "worker.log"
    worker = start(["-m", "scriptorium", "worker"], env, log)
    try:
        wait_for(lambda: "cannot reach the database (OperationalError)" in log.read_text(), 120, "the message", log)
    finally:
        stop(worker, grace=60)  # SIGTERM must stop it by itself; the bound only allows for a loaded machine
    output = log.read_text()
    assert worker.returncode == 0, output
    assert "Check DATABASE_URL" in output
    assert "hunter2" not in output
    assert "Traceback" not in output
