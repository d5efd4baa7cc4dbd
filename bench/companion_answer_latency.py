"""What the offline answerer's word neighbours cost: chat request time and the answerer's own time, on and off.

    .venv/bin/python bench/companion_answer_latency.py [--rounds 3]

Asks every question of bench/data/companion_answers.yaml through the real chat API (the question bench's imports
and client: app in process over ASGI, offline answerer, offline embeddings) `--rounds` times, once with the word
neighbours (semantic.py) and once with exact words only (`context.word_neighbours` returning None), and
prints per setting:

- request: POST of the question to the end of the SSE body. The offline answer is produced at once and streamed
  word by word with no pacing, so this bounds the time to the first token from above;
- select: the answerer's own work for one question (`offline.select`, which the chips' answerability
  probes in the turn's preparation also call), summed per request, as CPU time of the serving thread, so it
  holds on a machine shared with other work (request times there are wall-clock and swing with the load);
- cold: the first round, whose word cache is empty in the "on" setting (every page's vocabulary is embedded
  then); warm: the later rounds.

Same machine, same process, "off" first (so "on" cannot profit from a model loaded for it). Prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import companion_questions as bench
from scriptorium.companion.chat import chips, context, offline, semantic

SELECT_TIMES: list[float] = []


def timed_select(original: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(turn: Any) -> Any:
        started = time.thread_time()  # CPU time of this thread: other processes on a shared machine do not count
        try:
            return original(turn)
        finally:
            SELECT_TIMES.append(time.thread_time() - started)

    return wrapper


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(rounds: int, enabled: bool) -> dict[str, tuple[list[float], list[float]]]:
    """{"cold"/"warm": (request seconds, select seconds per request)} for one setting."""
    original = context.word_neighbours
    context.word_neighbours = original if enabled else (lambda embedder: None)
    semantic._SHARED.clear()  # an empty word cache: the first round pays for every page's vocabulary
    out: dict[str, tuple[list[float], list[float]]] = {"cold": ([], []), "warm": ([], [])}
    questions = bench.load_questions()
    try:
        with tempfile.TemporaryDirectory(prefix="companion-latency-") as scratch:
            for source in dict.fromkeys(q.source for q in questions):
                imported = await bench.import_source(source, Path(scratch))
                async with bench.client(imported.settings) as http:
                    for round_ in range(rounds):
                        requests, selects = out["cold" if round_ == 0 else "warm"]
                        for question in (q for q in questions if q.source == source):
                            SELECT_TIMES.clear()
                            started = time.perf_counter()
                            await bench.ask(http, question)
                            requests.append(time.perf_counter() - started)
                            selects.append(sum(SELECT_TIMES))
    finally:
        context.word_neighbours = original
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    timed = timed_select(offline.select)
    # The answerer's stream and the chips' answerability probes both look `select` up in their module.
    offline.__dict__["select"] = timed
    chips.__dict__["select"] = timed
    results = {}
    for enabled in (False, True):
        results[enabled] = asyncio.run(measure(max(2, args.rounds), enabled))
    print("| word neighbours | round | requests | request p50 / p95 ms | select per request p50 / p95 ms |")
    print("|---|---|---:|---:|---:|")
    for enabled, phases in results.items():
        for phase, (requests, selects) in phases.items():
            print(
                f"| {'on' if enabled else 'off'} | {phase} | {len(requests)} | {pct(requests, 0.5):.1f} / "
                f"{pct(requests, 0.95):.1f} | {pct(selects, 0.5):.2f} / {pct(selects, 0.95):.2f} |"
            )
    print(f"\nmean request, warm: off {1000 * statistics.mean(results[False]['warm'][0]):.1f} ms, "
          f"on {1000 * statistics.mean(results[True]['warm'][0]):.1f} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
