"""The Fly image here: size, build time (cold and cached) and container cold start; prints a table.

    .venv/bin/python bench/image_build.py [--cold] [--boots 5]

Builds with deploy/image/build.sh (the unchanged deploy/fly/Dockerfile on the local debootstrap base, the host's
wheelhouse and UI), exactly as tests/deploy does. `--cold` first deletes what a second run would reuse: the base
image, the wheelhouse and BuildKit's cache, so the first build is what a fresh CI machine pays (the pip download
cache on the host stays, as on any developer machine). A second build follows with everything in place.

Cold start is `docker run` (or `docker restart`) to the first 200 from `/health` through the published port,
with fly.toml's [env] (offline providers, local storage) against a fresh database on the local PostgreSQL: the
first boot migrates and seeds the sample, later boots find both done. Needs root and a running dockerd.
"""

from __future__ import annotations

import argparse
import itertools
import re
import statistics
import subprocess
import sys
import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.deploy.database import fresh_database  # noqa: E402
from tests.deploy.docker import (  # noqa: E402
    FLY_TOML,
    bridge_gateway,
    build_image,
    docker,
    docker_problem,
    fly_env,
    fly_kill_timeout,
    image_size,
    published_port,
    running,
    wait_healthy,
)
from tests.deploy.relay import Relay  # noqa: E402

from _proc import table  # noqa: E402

TAG = "scriptorium:bench-image"
HOST = "ep-bench-123456.us-east-2.aws.neon.tech"
STEP = re.compile(r"^\[(\d\d):(\d\d):(\d\d)\] (.*)$", re.MULTILINE)


def forget_caches() -> None:
    """What a fresh machine lacks: the base image, the wheelhouse and BuildKit's layer cache."""
    bases = docker("images", "--quiet", "scriptorium-base").stdout.split()
    if bases:
        docker("rmi", "--force", *bases, check=False)
    docker("rmi", "--force", TAG, check=False)
    subprocess.run(["rm", "-rf", str(ROOT / "deploy" / "image" / "wheelhouse")], check=True)
    docker("builder", "prune", "--all", "--force", timeout=600)


def step_seconds(output: str) -> dict[str, float]:
    """Seconds per build.sh step, from its `[HH:MM:SS] step` lines (each step lasts until the next line)."""
    marks = [(int(h) * 3600 + int(m) * 60 + int(s), name) for h, m, s, name in STEP.findall(output)]
    steps: dict[str, float] = {}
    for (start, name), (end, _) in itertools.pairwise(marks):
        steps["docker build" if name.startswith("docker build") else name] = (end - start) % 86400
    return steps


def build(label: str) -> list[str]:
    seconds, output = build_image(TAG, timeout=3600)
    steps = step_seconds(output)
    detail = ", ".join(f"{name} {value:.0f} s" for name, value in steps.items())
    print(f"{label} build: {seconds:.0f} s ({detail})", flush=True)
    return [f"build, {label}", f"{seconds:.0f} s", detail]


def boot_phases(name: str) -> tuple[float, float]:
    """Seconds of the last boot from the container's start to bootstrap's line, then to uvicorn's "running"."""
    started = _instant(docker("inspect", "--format", "{{.State.StartedAt}}", name).stdout.strip())
    done = docker("logs", "--timestamps", name)
    lines = (done.stdout + done.stderr).splitlines()
    stamp = {
        key: max(_instant(line.split(" ", 1)[0]) for line in lines if needle in line)
        for key, needle in (("bootstrap", "bootstrap: "), ("serving", "Uvicorn running"))
    }
    return stamp["bootstrap"] - started, stamp["serving"] - stamp["bootstrap"]


def _instant(text: str) -> float:
    """Seconds since the epoch from Docker's RFC 3339 time with nanoseconds (Python reads microseconds)."""
    whole, _, fraction = text.rstrip("Z").partition(".")
    return datetime.fromisoformat(whole).replace(tzinfo=UTC).timestamp() + float(f"0.{fraction or 0}")


def cold_starts(boots: int) -> list[list[str]]:
    rows: list[list[str]] = []
    with fresh_database("bench_image") as database, Relay(bridge_gateway(), ("127.0.0.1", 5432)) as relay:
        url = f"postgresql://postgres@{HOST}:{relay.port}/{database}?sslmode=disable"
        with running(TAG, fly_env(url), {HOST: "host-gateway"}, prefix="scriptorium-bench") as container:
            first = wait_healthy(container, 600)
            phases = boot_phases(container.name)
            rows.append(
                [
                    "cold start, first boot (migrate + seed)",
                    f"{first:.1f} s",
                    f"docker run → /health 200; bootstrap {phases[0]:.1f} s, then serve {phases[1]:.1f} s",
                ]
            )
            memory = docker("stats", "--no-stream", "--format", "{{.MemUsage}}", container.name).stdout.strip()
            stops: list[float] = []
            starts: list[float] = []
            for _ in range(boots):
                started = time.monotonic()
                docker("stop", "--time", str(int(fly_kill_timeout())), container.name, timeout=120)
                stops.append(time.monotonic() - started)
                started = time.monotonic()
                docker("start", container.name)
                container.port = published_port(container.name)
                starts.append(wait_healthy(container, 600, since=started))
            phases = boot_phases(container.name)
            rows.append(
                [
                    f"cold start, later boots (median of {boots})",
                    f"{statistics.median(starts):.1f} s",
                    f"docker start → /health 200; runs {_listed(starts)}; last: bootstrap {phases[0]:.1f} s, "
                    f"then serve {phases[1]:.1f} s",
                ]
            )
            rows.append(
                [
                    f"stop on SIGTERM (median of {boots})",
                    f"{statistics.median(stops):.1f} s",
                    f"docker stop, idle; runs {_listed(stops)}; Fly kills at {fly_kill_timeout():.0f} s",
                ]
            )
            rows.append(["memory after the first boot, idle", memory.split("/")[0].strip(), "docker stats"])
    return rows


def _listed(values: list[float]) -> str:
    return ", ".join(f"{value:.1f}" for value in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cold", action="store_true", help="delete the base image, wheelhouse and build cache first")
    parser.add_argument("--boots", type=int, default=5, help="restarts to time after the first boot")
    args = parser.parse_args()
    problem = docker_problem()
    if problem:
        sys.exit(f"Docker is not available: {problem}")
    rows: list[list[str]] = []
    if args.cold:
        forget_caches()
        rows.append(build("cold"))
    rows.append(build("cached"))
    rows.append(["image size", f"{image_size(TAG) / 1e6:.0f} MB", "docker image inspect .Size (uncompressed)"])
    rows.extend(cold_starts(args.boots))
    vm = tomllib.loads(FLY_TOML.read_text())["vm"][0]
    rows.append(["Fly machine (fly.toml [[vm]])", f"{vm['size']}, {vm['memory']}", "what the image runs on at Fly"])
    print(table(["measure", "result", "how"], rows))


if __name__ == "__main__":
    main()
