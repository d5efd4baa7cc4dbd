"""A job whose process is killed with SIGKILL mid-run is not lost, and its effects happen exactly once.

Runs the real commands in subprocesses: lite `serve` (SQLite + in-process consumer) and scale `worker`
(PostgreSQL + Redis). The batch is submitted, the process killed while jobs run, then a fresh process finishes.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx
import pytest

from scriptorium.core.db import transaction
from scriptorium.core.jobs import JobQueue, submit
from scriptorium.core.resources import open_resources
from scriptorium.core.settings import Settings
from scriptorium.migrations import upgrade
from tests.integration.probe_process import create_probe_tables
from tests.processes import scalar as count
from tests.processes import sigkill, start, stop, wait_for
from tests.twins.server import free_port

pytestmark = pytest.mark.slow
PROBE = str(Path(__file__).with_name("probe_process.py"))
JOBS = 8


def environment(settings: Settings, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_", "JOB_"))}
    env.update(
        {
            "DATA_DIR": str(settings.data_dir),
            "DATABASE_URL": settings.effective_database_url,
            "JOB_BACKEND": settings.effective_job_backend,
            "JOB_LEASE_SECONDS": "1",
            "WORKER_CONCURRENCY": "3",
            "QUEUE_NAME": settings.queue_name,
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
            **extra,
        }
    )
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    return env


async def prepare(settings: Settings) -> None:
    upgrade(settings)
    create_probe_tables(settings)
    async with open_resources(settings) as resources, transaction(resources.sessionmaker) as session:
        for index in range(JOBS):
            submit(session, kind="probe.sleep", payload={"steps": 10, "step_seconds": 0.1}, fair_key=f"u{index % 3}")
    queue = JobQueue(settings)
    queue.ring(JOBS)
    queue.close()


def crash_and_recover(settings: Settings, args: list[str], env: dict[str, str], log: Path) -> None:
    first = start([PROBE, *args], env, log)
    try:
        wait_for(lambda: count(settings, "SELECT COUNT(*) FROM probe_starts") >= 2, 120, "jobs to start")
    finally:
        sigkill(first)
    interrupted = count(settings, "SELECT COUNT(*) FROM jobs WHERE status = 'running'")
    assert interrupted >= 1, "the kill should have interrupted at least one running job"
    second = start([PROBE, *args], env, log)
    try:
        done = "SELECT COUNT(*) FROM jobs WHERE status = 'done'"
        wait_for(lambda: count(settings, done) == JOBS, 60, "all jobs", log)
    finally:
        stop(second)
    assert count(settings, "SELECT COUNT(*) FROM probe_effects") == JOBS
    assert count(settings, "SELECT COUNT(DISTINCT job_id) FROM probe_effects") == JOBS
    assert count(settings, "SELECT COUNT(*) FROM probe_starts") > JOBS, "some job must have run twice"


async def test_sigkill_lite_serve_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "var", job_backend="sqlite")  # type: ignore[call-arg]
    await prepare(settings)
    env = environment(settings, {"PORT": str(free_port())})
    crash_and_recover(settings, ["serve", "--no-migrate"], env, tmp_path / "serve.log")


@pytest.mark.postgres
@pytest.mark.redis
async def test_sigkill_scale_worker_loses_and_duplicates_nothing(scale_settings: Settings, tmp_path: Path) -> None:
    await prepare(scale_settings)
    env = environment(scale_settings, {"PROFILE": "scale"})
    crash_and_recover(scale_settings, ["worker"], env, tmp_path / "worker.log")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_lite_serve_stops_promptly_on_sigterm_and_ctrl_c(tmp_path: Path, sig: signal.Signals) -> None:
    """Huey's consumer must not swallow the signals uvicorn uses to shut down."""
    settings = Settings(_env_file=None, data_dir=tmp_path / "var", job_backend="sqlite")  # type: ignore[call-arg]
    upgrade(settings)
    port = free_port()
    process = start([PROBE, "serve", "--no-migrate"], environment(settings, {"PORT": str(port)}), tmp_path / "s.log")
    try:
        wait_for(lambda: _healthy(port), 120, "the server to answer")
        process.send_signal(sig)
        assert process.wait(timeout=10) is not None
    finally:
        if process.poll() is None:
            process.kill()


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
