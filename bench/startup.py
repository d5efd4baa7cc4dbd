"""Cold start and idle memory of `scriptorium serve` (lite) and `scriptorium worker` (scale).

Cold start: process start to the first 200 on /health, median of N runs (the database is migrated beforehand,
as `make run` does). Idle RSS: VmRSS after the process has been idle for a few seconds, the lite server with its
in-process job consumer running. The worker needs PostgreSQL and Redis on 127.0.0.1 (skipped with a note if absent).

    .venv/bin/python bench/startup.py [--runs 5] [--idle 5] [--python VENV/bin/python] [--worker-python ...]

Measure what a user installs: `--python` a venv with just `pip install .` (lite), `--worker-python` one with
`pip install '.[postgres,redis]'`. The dev venv also holds logfire/OpenTelemetry and test tools, which FastAPI,
httpx, Huey and redis-py import when present, so it overstates memory.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _proc import free_port, rss_mb, start_cli, stop, table, wait_healthy

TARGETS = {"cold_start_s": 1.0, "serve_rss_mb": 120.0, "worker_rss_mb": 40.0}


def migrate(env: dict[str, str], python: str) -> None:
    subprocess.run([python, "-m", "scriptorium", "migrate"], env=env, check=True, capture_output=True)


def lite_serve(runs: int, idle: float, python: str) -> tuple[list[float], float]:
    import os

    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "DATA_DIR": data_dir, "PROFILE": "lite"}
        migrate(env, python)
        starts: list[float] = []
        rss = 0.0
        for run in range(runs):
            port = free_port()
            process = start_cli(["serve", "--no-migrate", "--port", str(port)], {**env, "PORT": str(port)}, python)
            try:
                starts.append(wait_healthy(port))
                if run == runs - 1:
                    time.sleep(idle)
                    rss = rss_mb(process.pid)
            finally:
                stop(process)
        return starts, rss


def scale_worker(idle: float, python: str) -> float | None:
    import os

    try:
        import psycopg
        import redis
    except ImportError:
        print("note: worker not measured (this benchmark's own python needs psycopg and redis)")
        return None
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
        psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", connect_timeout=2).close()
    except Exception as exc:
        print(f"note: worker not measured ({type(exc).__name__}: PostgreSQL and Redis are needed)")
        return None
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    plain = "postgresql://postgres@127.0.0.1:5432/test"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    env = {
        **os.environ,
        "PROFILE": "scale",
        "QUEUE_NAME": f"bench-{schema}",
        "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}",
    }
    try:
        migrate(env, python)
        process = start_cli(["worker", "--concurrency", "4"], env, python)
        try:
            time.sleep(idle + 2)
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode() if process.stderr else "worker exited")
            return rss_mb(process.pid)
        finally:
            stop(process)
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle", type=float, default=5.0)
    parser.add_argument("--python", default=sys.executable, help="interpreter for `serve` (a lite install)")
    parser.add_argument("--worker-python", default=sys.executable, help="interpreter for `worker` (scale install)")
    args = parser.parse_args()
    starts, serve_rss = lite_serve(args.runs, args.idle, args.python)
    worker_rss = scale_worker(args.idle, args.worker_python)
    median = statistics.median(starts)
    rows = [
        [
            "lite serve cold start (median)",
            f"{median:.2f} s",
            f"<= {TARGETS['cold_start_s']} s",
            "ok" if median <= TARGETS["cold_start_s"] else "over",
            ", ".join(f"{s:.2f}" for s in starts),
        ],
        [
            "lite serve idle RSS (consumer running)",
            f"{serve_rss:.0f} MB",
            f"<= {TARGETS['serve_rss_mb']:.0f} MB",
            "ok" if serve_rss <= TARGETS["serve_rss_mb"] else "over",
            "",
        ],
    ]
    if worker_rss is not None:
        rows.append(
            [
                "scale worker idle RSS",
                f"{worker_rss:.0f} MB",
                f"<= {TARGETS['worker_rss_mb']:.0f} MB",
                "ok" if worker_rss <= TARGETS["worker_rss_mb"] else "over",
                "concurrency 4, Redis queue",
            ]
        )
    print(table(["measure", "result", "target", "verdict", "runs"], rows))


if __name__ == "__main__":
    main()
