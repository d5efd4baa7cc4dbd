"""Offline embedder cost: memory to import and load it, and texts per second, each in a fresh process.

    .venv/bin/python bench/embeddings.py [--runs 3] [--out docs/bench/embeddings.md]

Every row runs in its own interpreter so one measurement cannot warm the next. Memory is VmRSS read from
/proc/self/status after the process has already built `Settings` (which every Scriptorium process does), so
the "+MB" columns are what the embedder adds to a running server. Throughput is the median of `--runs` timed
`embed()` calls after one warm-up call, through the public async API (thread hop included). Texts are
synthetic English-like sentences from a fixed seed: "short" ~12 words (a chat question, a chunk title),
"long" ~200 words (a retrieval chunk). A remote row against the loopback Ollama twin shows the HTTP and
normalisation overhead of the remote path, not a real server's speed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import asyncio, json, random, statistics, sys, time

def rss():
    fields = {}
    for line in open("/proc/self/status"):
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields

mode, runs = sys.argv[1], int(sys.argv[2])
from scriptorium.core.settings import Settings
import httpx
settings = Settings(_env_file=None)
base = rss()["VmRSS"]
rng = random.Random(0)
words = [w.strip(".,") for w in open(sys.argv[3]).read().split()] or ["word"]
def text(n):
    return " ".join(rng.choice(words) for _ in range(n)) + "."
out = {"base": base}

async def main():
    if mode == "offline":
        from scriptorium.core.embeddings import build_embedder
        t0 = time.perf_counter()
        embedder = build_embedder(settings, httpx.AsyncClient())
        out["import"] = rss()["VmRSS"] - base
        await embedder.embed(["warm up the model"])
        out["load_s"] = time.perf_counter() - t0
        out["loaded"] = rss()["VmRSS"] - base
        out["load_peak"] = rss()["VmHWM"]
    else:
        sys.path.insert(0, sys.argv[4])
        from tests.twins.embeddings import shared_embedding_twin
        from scriptorium.core.embeddings import build_embedder
        twin = shared_embedding_twin("ollama")
        twin.dimension = 768
        remote = Settings(_env_file=None, embedding_provider="ollama", ollama_base_url=twin.base_url)
        embedder = build_embedder(remote, httpx.AsyncClient(timeout=60))
        await embedder.embed(["warm up"])
    for label, count, length in (("short", 2048, 12), ("long", 256, 200)):
        texts = [text(length) for _ in range(count)]
        await embedder.embed(texts[:8])
        rates = []
        for _ in range(runs):
            t = time.perf_counter()
            await embedder.embed(texts)
            rates.append(count / (time.perf_counter() - t))
        out[label] = statistics.median(rates)
    out["peak"] = rss()["VmHWM"]

asyncio.run(main())
print(json.dumps(out))
"""


def word_source() -> Path:
    """Any English prose in the repository will do; the seeds are the team's shared sample text."""
    for candidate in [*sorted(Path("/work/shared/seeds").glob("*.txt")), ROOT / "README.md"]:
        if candidate.is_file() and candidate.stat().st_size > 1000:
            return candidate
    return Path(__file__)


def measure(mode: str, runs: int, env: dict[str, str]) -> dict[str, float]:
    command = [sys.executable, "-c", CHILD, mode, str(runs), str(word_source()), str(ROOT)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} run failed:\n{done.stderr[-2000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def table(runs: int) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    plain = measure("offline", runs, env)
    no_plugins = measure("offline", runs, {**env, "PYDANTIC_DISABLE_PLUGINS": "__all__"})
    remote = measure("ollama-twin", runs, env)
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; load average "
        f"at start {os.getloadavg()[0]:.1f}. Command: `.venv/bin/python bench/embeddings.py --runs {runs}`.",
        "",
        "| Embedder | Process base (MB) | + import (MB) | + loaded (MB) | Load (s) | Short texts/s | Long texts/s "
        "| Peak after load (MB) | Peak after embedding (MB) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, row in (
        ("offline:wordllama-l2-256", plain),
        ("offline, `PYDANTIC_DISABLE_PLUGINS=__all__`", no_plugins),
    ):
        lines.append(
            f"| {label} | {row['base']:.0f} | {row['import']:.1f} | {row['loaded']:.1f} | {row['load_s']:.2f} "
            f"| {row['short']:,.0f} | {row['long']:,.0f} | {row['load_peak']:.0f} | {row['peak']:.0f} |"
        )
    lines.append(
        f"| ollama twin over loopback HTTP (768-d) | {remote['base']:.0f} | – | – | – "
        f"| {remote['short']:,.0f} | {remote['long']:,.0f} | – | {remote['peak']:.0f} |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per row (median reported)")
    parser.add_argument("--out", type=Path, help="also write the table to this markdown file")
    args = parser.parse_args()
    result = table(args.runs)
    print(result)
    if args.out:
        args.out.write_text(result + "\n")


if __name__ == "__main__":
    main()
