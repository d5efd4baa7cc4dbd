"""`scriptorium serve` on PostgreSQL + Redis behaves like lite: healthy, and its jobs run on workers."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scriptorium.core.db import transaction
from scriptorium.core.jobs import Job, JobQueue, submit
from scriptorium.core.resources import open_resources
from scriptorium.core.settings import Settings
from tests.integration.probe_process import create_probe_tables
from tests.services import fresh_postgres_schema, fresh_redis_queue
from tests.twins.server import free_port

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def scale_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    with fresh_postgres_schema() as database_url, fresh_redis_queue() as (redis_url, queue):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_", "JOB_", "DB_"))}
        env.update(
            PROFILE="scale",
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            QUEUE_NAME=queue,
            DATA_DIR=str(tmp_path / "var"),
            PORT=str(free_port()),
            PYTHONPATH=str(ROOT),
        )
        yield env


def launch(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "tests/integration/probe_process.py"), *args],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()


async def test_serve_on_postgres_and_redis_is_healthy_and_workers_run_its_jobs(
    scale_env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "scale.log"
    server = launch(["serve"], scale_env, log)
    worker = launch(["worker", "--concurrency", "2"], scale_env, log)
    try:
        base = f"http://127.0.0.1:{scale_env['PORT']}"
        # Generous bounds, left as soon as the event happens: CI machines are not always idle (load ~15 seen).
        deadline = time.monotonic() + 120
        health = None
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"{base}/health", timeout=10)
                if health.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
        assert health is not None, log.read_text()[-3000:]
        assert health.status_code == 200, health.text
        components = health.json()["components"]
        assert components["database"]["backend"] == "postgresql"
        assert components["jobs"]["backend"] == "redis"
        assert components["jobs"]["consumer_in_process"] is False

        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            profile="scale",
            database_url=scale_env["DATABASE_URL"],
            redis_url=scale_env["REDIS_URL"],
            queue_name=scale_env["QUEUE_NAME"],
        )
        create_probe_tables(settings)
        async with open_resources(settings) as resources:
            async with transaction(resources.sessionmaker) as session:
                job = submit(session, kind="probe.sleep", payload={"steps": 1, "step_seconds": 0.01})
            queue = JobQueue(settings)
            queue.ring(1)
            queue.close()
            deadline = time.monotonic() + 120
            status = "pending"
            while time.monotonic() < deadline and status != "done":
                async with resources.sessionmaker() as session:
                    row = await session.get(Job, job.id, populate_existing=True)
                    status = row.status if row else "missing"
                await asyncio.sleep(0.2)
        assert status == "done", log.read_text()[-3000:]
    finally:
        stop(server)
        stop(worker)
