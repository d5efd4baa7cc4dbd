"""Start a real Scriptorium stack in subprocesses (`serve`, `worker`) and run the ops commands against it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from scriptorium.core.settings import Settings
from tests.conftest import PROVIDER_ENV_PREFIXES
from tests.processes import scalar
from tests.twins.server import free_port

LAUNCH = str(Path(__file__).with_name("launch.py"))


def base_env(**values: str) -> dict[str, str]:
    """This environment without any provider setting, plus `values` (upper-case names)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(PROVIDER_ENV_PREFIXES)}
    env.update(values)
    return env


@dataclass
class Stack:
    env: dict[str, str]
    url: str
    logs: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, *args: str, name: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen([sys.executable, LAUNCH, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def wait_healthy(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if any(p.poll() is not None for p in self.processes):
                break
            time.sleep(0.2)
        logs = "\n".join(p.read_text()[-2000:] for p in self.logs.glob("*.log"))
        raise AssertionError(f"server at {self.url} did not become healthy:\n{logs}")

    def stop(self) -> None:
        for process in self.processes:
            process.kill()
        for process in self.processes:
            process.wait(timeout=10)


@contextmanager
def running(tmp_path: Path, *, worker: bool = False, **env: str) -> Iterator[Stack]:
    """`serve` (and a `worker` when asked) on a free port with DATA_DIR under tmp_path."""
    port = free_port()
    values = {"DATA_DIR": str(tmp_path / "var"), "PORT": str(port), "ENVIRONMENT": "test", **env}
    stack = Stack(base_env(**values), f"http://127.0.0.1:{port}", tmp_path)
    try:
        stack.start("serve", name="serve")
        stack.wait_healthy()
        if worker:
            stack.start("worker", name="worker")
        yield stack
    finally:
        stack.stop()


def fake_command(directory: Path, name: str) -> tuple[dict[str, str], Path]:
    """An environment whose PATH finds a `name` that only records its arguments (one line per call)."""
    calls = directory / f"{name}.calls"
    script = directory / "fakebin" / name
    script.parent.mkdir(exist_ok=True)
    script.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    script.chmod(0o755)
    return {**os.environ, "PATH": f"{script.parent}:{os.environ['PATH']}"}, calls


@contextmanager
def scale_services() -> Iterator[dict[str, str]]:
    """A private PostgreSQL schema and Redis queue, as the environment of a scale stack."""
    from tests.services import fresh_postgres_schema, fresh_redis_queue

    with fresh_postgres_schema() as database, fresh_redis_queue() as (redis, queue):
        yield {"PROFILE": "scale", "DATABASE_URL": database, "REDIS_URL": redis, "QUEUE_NAME": queue}


def run_command(env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, LAUNCH, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def doctor_json(env: dict[str, str], *args: str) -> tuple[int, dict[str, Any]]:
    done = run_command(env, "doctor", "--json", *args)
    try:
        return done.returncode, json.loads(done.stdout)
    except ValueError as exc:
        raise AssertionError(f"doctor printed no JSON: {done.stdout}\n{done.stderr}") from exc


def series_count(settings: Settings) -> int:
    """Series rows in the database `settings` points at (seeding must happen exactly once)."""
    return scalar(settings, "SELECT COUNT(*) FROM companion_series")
