"""Memory budget: RSS of the real `serve` and `worker` processes, idle and busy, with and without Chromium.

    .venv/bin/python bench/memory.py [--jobs 200] [--python PY] [--scale-python PY] [--out docs/bench/memory.md]

Measure what users run: `--python` a venv with `pip install .` (the lite rows) and `--scale-python` one with
`pip install '.[postgres,redis]'` (the scale rows). The dev venv overstates: logfire, rich, psycopg and redis get
imported by FastAPI, httpx and Huey just because they are installed. The browser row needs Playwright, so it runs
in the interpreter running this script.

Each row starts the real command in a fresh process, waits until it is ready, lets it settle, then reads VmRSS
(resident now) and VmHWM (the high-water mark) from /proc/<pid>/status. Rows that run a browser report PSS summed
over the whole process tree (Python, Playwright's node driver and every Chromium process), because Chromium's
processes share most of their pages and RSS would count them once per process. The scale rows use the PostgreSQL
and Redis running on 127.0.0.1 (TEST_POSTGRES_URL / TEST_REDIS_URL), in a scratch schema and queue.

"Worker busy" runs `--jobs` synthetic I/O-bound jobs (`ops.sleep`, 1 s each) at WORKER_CONCURRENCY=16, so the
worker's loop, leases and database traffic are fully exercised; the pipelines' own libraries are loaded on top of
that when a real job runs, which the "after one chat" row shows for the Companion path.
"""

from __future__ import annotations

import argparse
import http.server
import os
import platform
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx
import psycopg
from sqlalchemy import create_engine, text

POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# Registers the ops job kinds, then runs the real CLI (what `scriptorium` does once cli.py lists the ops commands).
LAUNCH = "import sys, scriptorium.ops.jobs; from scriptorium.cli import main; sys.argv[0] = 'scriptorium'; main()"
PROVIDER_PREFIXES = ("DATABASE_URL", "DB_", "REDIS_", "CHAT_", "EMBEDDING_", "JOB_", "PROFILE", "STORAGE_", "QUEUE_")
#: Interpreter per profile for the measured processes (set from --python / --scale-python).
INTERPRETERS = {"lite": sys.executable, "scale": sys.executable}
ORIGINAL = {
    "lite serve, idle": "API ~80 MB",
    "scale serve (API), idle": "API ~80 MB",
    "scale worker, idle": "Celery worker ~50 MB",
    "scale worker, busy": "Celery worker 400-500 MB (Playwright active)",
    "browser fallback (Chromium + Playwright)": "~400 MB inside the busy worker",
    "redis-server": "~30 MB",
    "OS + system": "~200-300 MB",
}


@dataclass
class Row:
    name: str
    rss_mb: float
    peak_mb: float
    note: str = ""


def status_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of one process in MB."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def tree_pss_mb(pid: int) -> float:
    total = 0
    for member in descendants(pid):
        try:
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


class Sampler:
    """Polls a callable in a thread and keeps the maximum (for peaks that VmHWM cannot see across processes)."""

    def __init__(self, probe: Callable[[], float], every: float = 0.1) -> None:
        self.probe, self.every, self.peak = probe, every, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            with suppress(OSError):
                self.peak = max(self.peak, self.probe())
            time.sleep(self.every)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def environment(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(PROVIDER_PREFIXES)}
    env.update({"ENVIRONMENT": "test", "LOG_LEVEL": "WARNING", **values})
    return env


@contextmanager
def process(
    args: list[str], env: dict[str, str], log: Path, python: str = sys.executable
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as handle:
        proc = subprocess.Popen([python, "-c", LAUNCH, *args], env=env, stdout=handle, stderr=handle)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become healthy")


def settle(proc: subprocess.Popen[bytes], seconds: float = 5) -> tuple[float, float]:
    time.sleep(seconds)
    return status_mb(proc.pid)


def run_cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-c", LAUNCH, *args], env=env, check=True, capture_output=True, timeout=600)


def ask_companion(url: str) -> None:
    """Open a session on the first sample episode and read one streamed answer to its end."""
    episodes = httpx.get(f"{url}/api/episodes", timeout=30).json()
    items = episodes if isinstance(episodes, list) else episodes.get("episodes", [])
    session = httpx.post(f"{url}/api/sessions", json={"episode_slug": items[0]["slug"]}, timeout=30).json()
    body = {"mode": "page", "message": "Who is on this page?"}
    with httpx.stream("POST", f"{url}/api/sessions/{session['session_id']}/messages", json=body, timeout=60) as r:
        for _ in r.iter_lines():
            pass


def lite_rows(work: Path) -> list[Row]:
    port = free_port()
    env = environment(DATA_DIR=str(work / "lite"), PORT=str(port))
    run_cli(env, "companion", "load-sample")
    url = f"http://127.0.0.1:{port}"
    with process(["serve"], env, work / "lite-serve.log", INTERPRETERS["lite"]) as proc:
        wait_healthy(url, proc)
        idle = settle(proc)
        ask_companion(url)
        after = settle(proc, 2)
    # logfire (the `telemetry` extra, present in dev installs) registers a pydantic plugin that every process
    # loads at start-up; install.sh does not install that extra, so measure the server without it too.
    bare = {**env, "PYDANTIC_DISABLE_PLUGINS": "__all__", "PORT": str(free_port())}
    bare_url = f"http://127.0.0.1:{bare['PORT']}"
    with process(["serve"], bare, work / "lite-bare.log", INTERPRETERS["lite"]) as proc:
        wait_healthy(bare_url, proc)
        without = settle(proc)
    return [
        Row("lite serve, idle", *idle, "API + in-process job consumer, SQLite"),
        Row("lite serve, after one Companion chat", *after, "offline embedder and retrieval loaded"),
        Row("lite serve, idle, no telemetry extra", *without, "as install.sh installs it (no logfire)"),
    ]


@contextmanager
def scratch_schema() -> Iterator[str]:
    plain = POSTGRES.replace("postgresql+psycopg://", "postgresql://")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def submit_sleep_jobs(database_url: str, env: dict[str, str], count: int, seconds: float) -> None:
    """Insert `count` ops.sleep jobs and ring the queue once per job, as the API does."""
    code = (
        "import asyncio\n"
        "from scriptorium.core.settings import load_settings\n"
        "from scriptorium.core.resources import open_resources\n"
        "from scriptorium.core.db import transaction\n"
        "from scriptorium.core.jobs import submit\n"
        "async def main():\n"
        "    async with open_resources(load_settings()) as r:\n"
        "        async with transaction(r.sessionmaker) as s:\n"
        f"            for i in range({count}):\n"
        f"                submit(s, kind='ops.sleep', payload={{'seconds': {seconds}}}, fair_key=f'u{{i % 7}}')\n"
        f"        await r.queue.notify({count})\n"
        "asyncio.run(main())\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)


def pending(database_url: str) -> int:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT COUNT(*) FROM jobs WHERE status IN ('pending', 'running')")).scalar_one()
    engine.dispose()
    return int(count)


def scale_rows(work: Path, jobs: int) -> list[Row]:
    with scratch_schema() as database:
        queue = f"bench-{uuid.uuid4().hex[:8]}"
        port = free_port()
        env = environment(
            PROFILE="scale",
            DATABASE_URL=database,
            REDIS_URL=REDIS,
            QUEUE_NAME=queue,
            PORT=str(port),
            DATA_DIR=str(work / "scale"),
            WORKER_CONCURRENCY="16",
        )
        url = f"http://127.0.0.1:{port}"
        with process(["serve"], env, work / "scale-serve.log", INTERPRETERS["scale"]) as api:
            wait_healthy(url, api)
            api_idle = settle(api)
            with process(["worker"], env, work / "worker.log", INTERPRETERS["scale"]) as worker:
                worker_idle = settle(worker)
                submit_sleep_jobs(database, env, jobs, 1.0)
                with Sampler(lambda: status_mb(worker.pid)[0]) as sampler:
                    deadline = time.monotonic() + 600
                    while pending(database) and time.monotonic() < deadline:
                        time.sleep(0.5)
                busy = (sampler.peak, status_mb(worker.pid)[1])
        redis_rss = redis_server_mb()
    return [
        Row("scale serve (API), idle", *api_idle, "PostgreSQL + Redis, no consumer"),
        Row("scale worker, idle", *worker_idle, "one `scriptorium worker`"),
        Row("scale worker, busy", *busy, f"{jobs} I/O-bound jobs, 16 at a time"),
        Row("redis-server", redis_rss, redis_rss, "the shared instance on this machine, as it stands"),
    ]


def redis_server_mb() -> float:
    import redis

    pid = int(redis.Redis.from_url(REDIS).info("server")["process_id"])
    return status_mb(pid)[0]


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html><body><p id=x></p><script>document.getElementById('x').textContent='rendered by js';"
        body += b"</script></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


def browser_row(work: Path, chromium: str) -> Row:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    code = (
        "import asyncio, sys\n"
        "from scriptorium.core.settings import load_settings\n"
        "from scriptorium.core.web.browser import render_with_browser\n"
        "async def main():\n"
        "    s = load_settings()\n"
        "    for _ in range(3):\n"
        "        page = await render_with_browser(sys.argv[1], s)\n"
        "        assert 'rendered by js' in page.text\n"
        "asyncio.run(main())\n"
    )
    env = environment(
        BROWSER_FALLBACK="true", CHROMIUM_PATH=chromium, FETCH_ALLOW_HOSTS="127.0.0.1", DATA_DIR=str(work / "browser")
    )
    proc = subprocess.Popen([sys.executable, "-c", code, url], env=env)
    with Sampler(lambda: tree_pss_mb(proc.pid), every=0.05) as sampler:
        proc.wait(timeout=180)
    server.shutdown()
    if proc.returncode != 0:
        raise RuntimeError("rendering with the browser fallback failed")
    return Row("browser fallback (Chromium + Playwright)", sampler.peak, sampler.peak, "peak PSS of the whole tree")


def render(rows: list[Row], command: str) -> str:
    lines = [
        f"Measured with `{command}` on {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}.",
        "",
        "| process | RSS now (MB) | peak (MB) | what it includes | original system (seed) |",
        "|---|---:|---:|---|---|",
    ]
    for row in rows:
        original = ORIGINAL.get(row.name, "")
        lines.append(f"| {row.name} | {row.rss_mb:.0f} | {row.peak_mb:.0f} | {row.note} | {original} |")
    lines.append(f"| OS + system | | | not measurable in this container | {ORIGINAL['OS + system']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200, help="synthetic jobs for the busy worker row")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="Chromium for the browser row")
    parser.add_argument("--python", default=sys.executable, help="interpreter of a `pip install .` venv (lite rows)")
    parser.add_argument("--scale-python", default=sys.executable, help="interpreter with [postgres,redis] (scale rows)")
    parser.add_argument("--out", type=Path, default=None, help="also write the table to this Markdown file")
    args = parser.parse_args()
    INTERPRETERS.update(lite=args.python, scale=args.scale_python)
    rows: list[Row] = []
    with TemporaryDirectory(prefix="scriptorium-memory-") as tmp:
        work = Path(tmp)
        rows += lite_rows(work)
        rows += scale_rows(work, args.jobs)
        if Path(args.chromium).exists():
            rows.append(browser_row(work, args.chromium))
    table = render(rows, "python bench/memory.py " + " ".join(sys.argv[1:]))
    print(table)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table + "\n")


if __name__ == "__main__":
    main()
