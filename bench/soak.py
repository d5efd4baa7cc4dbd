"""Soak: mixed traffic against a real `serve` for a long time, RSS sampled every minute; prints a table.

    .venv/bin/python bench/soak.py [--minutes 60] [--clients 4] [--rate 20] [--warmup 5]

Starts `scriptorium serve` (lite: SQLite, in-process jobs, offline providers) on 127.0.0.1 with the bundled sample
loaded, then `--clients` readers loop at about `--rate` requests per second in all: open an episode, turn pages,
ask a page-mode and a wiki-mode question (SSE to the end), read the world graph and an entity card, list
episodes, check `/health`, and create, read, rename and delete a Scribe template. Every request has a timeout, the
run stops by itself after `--minutes`, and all traffic stays on loopback.

The verdict: after `--warmup` minutes, RSS may move within 5 MB (the issue's "flat after warm-up"); more is growth
to find and fix. Exit status 1 on growth or on any error response.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._proc import free_port, rss_mb, start_cli, stop, table, wait_healthy  # noqa: E402

EPISODES = ("ep01-the-stolen-lights", "ep02-the-keepers-secret")
QUESTIONS = ("Who is on this page?", "What happens here?", "Who is Wren?", "Where do they live?")
TEMPLATE = "Dear {{name}},\n\nI read your work on {{research_area}} and would love to learn more.\n\nBest,\nSam"
FLAT_MB = 5.0


class Tally:
    def __init__(self) -> None:
        self.requests = 0
        self.errors: Counter[str] = Counter()

    def check(self, response: httpx.Response, what: str) -> httpx.Response:
        self.requests += 1
        if response.status_code >= 400:
            self.errors[f"{what} {response.status_code}"] += 1
        return response


async def ask(http: httpx.AsyncClient, tally: Tally, sid: str, mode: str, question: str) -> None:
    async with http.stream(
        "POST", f"/api/sessions/{sid}/messages", json={"message": question, "mode": mode}
    ) as response:
        body = (await response.aread()).decode()
    tally.check(response, f"ask-{mode}")
    if "event: done" not in body:
        tally.errors[f"ask-{mode} without done"] += 1


async def one_round(http: httpx.AsyncClient, tally: Tally, rng: random.Random) -> None:
    """One reader's visit: about 14 requests."""
    slug = rng.choice(EPISODES)
    tally.check(await http.get("/health"), "health")
    tally.check(await http.get("/api/episodes"), "episodes")
    created = tally.check(await http.post("/api/sessions", json={"episode_slug": slug, "resume": False}), "session")
    if created.status_code >= 400:
        return
    session = created.json()
    sid, pages = session["session_id"], session["page_count"]
    for page in range(1, min(pages, 3) + 1):
        tally.check(await http.patch(f"/api/sessions/{sid}", json={"current_page": page}), "turn")
    await ask(http, tally, sid, "page", rng.choice(QUESTIONS))
    await ask(http, tally, sid, "wiki", rng.choice(QUESTIONS))
    graph = tally.check(await http.get("/api/world-graph", params={"session_id": sid}), "graph")
    nodes = graph.json().get("nodes", []) if graph.status_code == 200 else []
    if nodes:
        entity = rng.choice(nodes)["slug"]
        tally.check(await http.get(f"/api/world-graph/entities/{entity}", params={"session_id": sid}), "entity")
    made = tally.check(await http.post("/api/templates/", json={"template_text": TEMPLATE, "name": "soak"}), "tpl")
    if made.status_code < 400:
        template_id = made.json()["id"]
        tally.check(await http.get(f"/api/templates/{template_id}"), "tpl-get")
        tally.check(await http.patch(f"/api/templates/{template_id}", json={"name": "soak 2"}), "tpl-patch")
        tally.check(await http.delete(f"/api/templates/{template_id}"), "tpl-delete")


async def reader(base: str, tally: Tally, seed: int, deadline: float, per_round_seconds: float) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                await one_round(http, tally, rng)
            except httpx.HTTPError as exc:
                tally.errors[type(exc).__name__] += 1
            await asyncio.sleep(max(0.0, per_round_seconds - (time.monotonic() - started)))


async def soak(base: str, pid: int, minutes: int, clients: int, rate: float) -> tuple[list[list[str]], Tally]:
    tally = Tally()
    start = time.monotonic()
    deadline = start + minutes * 60
    per_round = 14 * clients / rate
    tasks = [asyncio.create_task(reader(base, tally, seed, deadline, per_round)) for seed in range(clients)]
    rows: list[list[str]] = []
    previous = 0
    for minute in range(1, minutes + 1):
        await asyncio.sleep(max(0.0, start + minute * 60 - time.monotonic()))
        rows.append(
            [str(minute), f"{rss_mb(pid):.1f}", str(tally.requests - previous), str(sum(tally.errors.values()))]
        )
        previous = tally.requests
        print(" | ".join(rows[-1]), flush=True)
    await asyncio.gather(*tasks)
    return rows, tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rate", type=float, default=20.0, help="requests per second, all clients together")
    parser.add_argument("--warmup", type=int, default=5, help="minutes before RSS must stay flat")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        port = free_port()
        env = {
            "DATA_DIR": data_dir,
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            # Every simulated reader comes from 127.0.0.1: lift the per-client question limit above the soak's rate.
            "COMPANION_RATE_LIMIT_PER_MINUTE": "100000",
        }
        start_cli(["migrate"], env).wait()
        start_cli(["companion", "load-sample"], env).wait()
        server = start_cli(["serve", "--no-migrate"], env)
        try:
            wait_healthy(port, timeout=60)
            rows, tally = asyncio.run(
                soak(f"http://127.0.0.1:{port}", server.pid, args.minutes, args.clients, args.rate)
            )
            peak = rss_mb(server.pid, "VmHWM")
        finally:
            stop(server)
    print(table(["minute", "RSS MB", "requests", "errors so far"], rows))
    settled = [float(row[1]) for row in rows[args.warmup :]] or [float(rows[-1][1])]
    growth = max(settled) - min(settled)
    print(f"\n{tally.requests} requests, errors: {dict(tally.errors) or 0}, peak RSS {peak:.1f} MB")
    verdict = "flat" if growth <= FLAT_MB else "GROWING"
    print(f"RSS after minute {args.warmup}: {min(settled):.1f}–{max(settled):.1f} MB ({growth:.1f} MB): {verdict}")
    return 0 if growth <= FLAT_MB and not tally.errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
