"""Throughput of 1, 2 and 4 `scriptorium worker` processes sharing one Redis queue and one PostgreSQL database.

    .venv/bin/python bench/scaling.py [--jobs 240] [--seconds 1.0] [--concurrency 8] [--out docs/bench/scaling.md]

Each run starts N real worker processes, submits `--jobs` I/O-bound jobs at once (`ops.sleep`: a timed wait,
then a normal completion in the database, so every job pays the real claim, lease renewal and completion
costs) and measures the time until the last one is done. The ideal is N x concurrency jobs in flight at every
moment; efficiency is achieved / ideal. CPU seconds are read from /proc for the workers, every PostgreSQL
process and redis-server, so the table shows which component uses up the machine first. A second series
shortens the jobs and raises concurrency until something saturates.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

from sqlalchemy import create_engine, text

from memory import REDIS, environment, process, run_cli, scratch_schema, submit_sleep_jobs

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    workers: int
    concurrency: int
    jobs: int
    seconds: float
    elapsed: float
    worker_cpu: float
    postgres_cpu: float
    redis_cpu: float
    done: int
    retried: int
    pool: int
    lease: float

    @property
    def per_minute(self) -> float:
        return self.done / self.elapsed * 60

    @property
    def ideal(self) -> float:
        return self.workers * self.concurrency / self.seconds * 60

    @property
    def machine_cpu(self) -> float:
        """Share of all cores used by workers, PostgreSQL and Redis during the run."""
        used = self.worker_cpu + self.postgres_cpu + self.redis_cpu
        return used / (self.elapsed * (os.cpu_count() or 1)) * 100


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


def pids_named(name: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def finished(database_url: str) -> tuple[int, int]:
    """(jobs done, jobs that needed more than one attempt)."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        done, retried = conn.execute(
            text("SELECT COUNT(*) FILTER (WHERE status = 'done'), COUNT(*) FILTER (WHERE attempts > 1) FROM jobs")
        ).one()
    engine.dispose()
    return int(done), int(retried)


def reset(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM jobs"))
    engine.dispose()


def wait_started(logs: list[Path], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all("concurrent jobs" in log.read_text() for log in logs):
            return
        time.sleep(0.1)
    raise RuntimeError("workers did not start: " + " | ".join(log.read_text()[-300:] for log in logs))


@dataclass(frozen=True)
class Plan:
    workers: int
    concurrency: int
    jobs: int
    seconds: float
    pool: int = 5
    lease: float = 60.0
    limit: float = 900.0


def measure(work: Path, database: str, queue: str, plan: Plan) -> Run:
    """Run one plan; a run that exceeds `plan.limit` reports the jobs it finished by then."""
    reset(database)
    env = environment(
        PROFILE="scale",
        DATABASE_URL=database,
        REDIS_URL=REDIS,
        QUEUE_NAME=queue,
        DATA_DIR=str(work),
        WORKER_CONCURRENCY=str(plan.concurrency),
        DB_POOL_SIZE=str(plan.pool),
        JOB_LEASE_SECONDS=str(plan.lease),
    )
    logs = [work / f"worker-{plan.workers}x{plan.concurrency}-{i}.log" for i in range(plan.workers)]
    with ExitStack() as stack:
        procs = [stack.enter_context(process(["worker"], env, log)) for log in logs]
        wait_started(logs)
        watched = ([p.pid for p in procs], pids_named("postgres"), pids_named("redis-server"))
        before = [cpu_seconds(pids) for pids in watched]
        started = time.perf_counter()
        submit_sleep_jobs(database, env, plan.jobs, plan.seconds)
        done, retried = 0, 0
        while done < plan.jobs and time.perf_counter() - started < plan.limit:
            time.sleep(0.05)
            done, retried = finished(database)
        elapsed = time.perf_counter() - started
        used = [cpu_seconds(pids) - spent for pids, spent in zip(watched, before, strict=True)]
    return Run(
        plan.workers,
        plan.concurrency,
        plan.jobs,
        plan.seconds,
        elapsed,
        *used,
        done=done,
        retried=retried,
        pool=plan.pool,
        lease=plan.lease,
    )


def render(rows: list[Run], command: str) -> str:
    lines = [
        f"Measured with `{command}` on {platform.machine()}, {os.cpu_count()} CPUs; PostgreSQL and Redis on the same "
        "machine.",
        "",
        HEADER,
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines.extend(row(r) for r in rows)
    return "\n".join(lines)


HEADER = (
    "| workers | concurrency each | DB pool each | lease (s) | jobs (done) | job length (s) | elapsed (s) | jobs/min "
    "| ideal jobs/min | efficiency | retried | worker CPU (s) | PostgreSQL CPU (s) | Redis CPU (s) | CPU used |"
)


def row(r: Run) -> str:
    jobs = f"{r.jobs}" if r.done == r.jobs else f"{r.jobs} ({r.done})"
    return (
        f"| {r.workers} | {r.concurrency} | {r.pool} | {r.lease:g} | {jobs} | {r.seconds:g} | {r.elapsed:.1f} "
        f"| {r.per_minute:.0f} | {r.ideal:.0f} | {r.per_minute / r.ideal:.2f} | {r.retried} | {r.worker_cpu:.1f} "
        f"| {r.postgres_cpu:.1f} | {r.redis_cpu:.1f} | {r.machine_cpu:.0f}% |"
    )


def plans(jobs: int, seconds: float, concurrency: int, push: bool) -> list[Plan]:
    """The main series at the default lease, then (with `push`) the series that find the limits."""
    scaling = [Plan(workers, concurrency, jobs, seconds) for workers in (1, 2, 4)]
    if not push:
        return scaling
    # A short lease makes the reclaim sweep (every lease/2) ring for stranded jobs every second.
    swept = [Plan(workers, concurrency, jobs, seconds, lease=2) for workers in (1, 2, 4)]
    # Short jobs, a pool sized to the concurrency: the machine's CPU becomes the limit.
    cpu = [Plan(workers, 16, jobs * 5, 0.1, pool=8, lease=2) for workers in (1, 2, 4)]
    # Concurrency far above the default pool (5 + 5 overflow): connections become the limit.
    starved = [Plan(1, 64, jobs * 2, 0.25, pool=5, lease=2, limit=120)]
    return scaling + swept + cpu + starved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=240, help="jobs per run of the main series")
    parser.add_argument("--seconds", type=float, default=1.0, help="length of each job in the main series")
    parser.add_argument("--concurrency", type=int, default=8, help="WORKER_CONCURRENCY of each worker")
    parser.add_argument("--push", action=argparse.BooleanOptionalAction, default=True, help="add the limit series")
    parser.add_argument("--out", type=Path, default=None, help="also write the table to this Markdown file")
    args = parser.parse_args()
    rows: list[Run] = []
    print(HEADER, flush=True)
    with TemporaryDirectory(prefix="scriptorium-scaling-") as tmp, scratch_schema() as database:
        work = Path(tmp)
        queue = f"bench-{uuid.uuid4().hex[:8]}"
        run_cli(environment(PROFILE="scale", DATABASE_URL=database, DATA_DIR=str(work)), "migrate")
        for plan in plans(args.jobs, args.seconds, args.concurrency, args.push):
            rows.append(measure(work, database, queue, plan))
            print(row(rows[-1]), flush=True)
    table = render(rows, "python bench/scaling.py " + " ".join(sys.argv[1:]))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table + "\n")


if __name__ == "__main__":
    main()
