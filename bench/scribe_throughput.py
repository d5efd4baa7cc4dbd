"""Scribe throughput in one worker process at concurrency 1, 4 and 16, with the original's step latencies.

    .venv/bin/python bench/scribe_throughput.py [--levels 1,4,16] [--per-slot 4] [--out docs/bench/scribe.md]

The fake services are the test twins, served from a separate process so their work never counts against the
worker: the template classifier model answers after 1.2 s, OpenAlex and Semantic Scholar author search after
5.3 s (research), OpenAlex works and arXiv after 0.8 s (papers), and the composer model after 3.1 s, which is
the original's 1.2 / 5.3 / 0.8 / 3.1 s. Each level runs in a fresh process on the real lite path: SQLite, the
Huey consumer threads started by `start_jobs(consume=True)`, and the real pipeline and job handler. It queues
`per-slot x concurrency` emails in one batch and measures until the last is stored.

Efficiency = achieved emails/min ÷ (concurrency × 60 ÷ per-email latency at concurrency 1): 1.0 means adding
slots cost nothing. Peak RSS is the worker process's high-water mark (VmHWM). The model SDKs are imported before
the clock starts (a once-per-process cost of a few seconds that a long-running worker pays at its first email).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src"), str(ROOT / "bench")]

from tests.scribe.conftest import RESEARCH_TEMPLATE as TEMPLATE  # noqa: E402

from _proc import rss_mb, table  # noqa: E402

PAPER = "Coevolution-guided sampling of protein folding intermediates"
RECIPIENT = {"recipient_name": "Dr. Maria Chen", "recipient_interest": "protein folding",
             "institution": "University of Northbridge"}  # fmt: skip
MODEL_LATENCY = {"template": 1.2, "compose": 3.1}


def compose_reply(request: dict[str, Any]) -> dict[str, Any]:
    return {
        "subject": f"Question about {PAPER}",
        "body": f'Dear Professor Chen,\n\nI\'m a second-year biology student. I read your paper "{PAPER}" and would '
        "love to learn how your group at University of Northbridge approaches protein folding.\n\nWould you have "
        "fifteen minutes for a call next week?\n\nBest,\nSam",
        "claims": [{"text": f"Maria Chen wrote {PAPER}.", "source_ids": ["S1"]}],
    }


def serve_twins() -> None:
    """Child process: the scholarly twin and two chat twins; prints their settings, then serves until killed."""
    from tests.twins.llm import OpenAITwin
    from tests.twins.scholarly import UPSTREAM_LATENCY, ScholarlyTwin
    from tests.twins.server import serve_in_thread

    scholarly, template_model, compose_model = ScholarlyTwin(), OpenAITwin(), OpenAITwin()
    scholarly.latency.update(UPSTREAM_LATENCY)
    template_model.latency = MODEL_LATENCY["template"]
    template_model.responder = lambda request: {"template_type": "research"}
    compose_model.latency = MODEL_LATENCY["compose"]
    compose_model.responder = compose_reply
    with serve_in_thread(scholarly) as s_url, serve_in_thread(template_model) as t_url, \
            serve_in_thread(compose_model) as c_url:  # fmt: skip
        scholarly.base_url, template_model.base_url, compose_model.base_url = s_url, t_url, c_url
        overrides = scholarly.settings_overrides(timeout=30.0)
        overrides["template_parser_model"] = template_model.chat_spec()
        overrides["email_composer_model"] = compose_model.chat_spec()
        print(json.dumps(overrides), flush=True)
        threading.Event().wait()


def bench_settings(data_dir: Path, concurrency: int, overrides: dict[str, Any]) -> Any:
    from scriptorium.core.settings import Settings

    return Settings(_env_file=None, data_dir=data_dir, environment="test", job_backend="memory",  # type: ignore[call-arg]
                    worker_concurrency=concurrency, run_consumer_in_process=False, scribe_daily_quota=0,
                    scribe_batch_max=1000, **overrides)  # fmt: skip


async def run_level(concurrency: int, emails: int, overrides: dict[str, Any], data_dir: Path) -> dict[str, Any]:
    """Child process: queue `emails` and run them on the lite path with `concurrency` slots."""
    from sqlalchemy import select

    from scriptorium.apps import load_job_handlers
    from scriptorium.core.db import transaction
    from scriptorium.core.models import User
    from scriptorium.core.resources import open_resources
    from scriptorium.scribe.models import QueueItem
    from scriptorium.scribe.schemas import BatchItem
    from scriptorium.scribe.submit import submit_items

    settings = bench_settings(data_dir, concurrency, overrides)
    load_job_handlers()
    async with open_resources(settings) as resources:
        async with transaction(resources.sessionmaker) as session:
            session.add(User(id="bench", display_name="Bench"))
        async with transaction(resources.sessionmaker) as session:
            items = [BatchItem.model_validate(RECIPIENT)] * emails
            submission = await submit_items(session, settings=settings, user_id="bench", items=items,
                                            template_text=TEMPLATE)  # fmt: skip
        ids = [item.id for item in submission.items]
        warm_up(settings)
        started = time.perf_counter()
        resources.start_jobs(consume=True)
        await resources.queue.notify(emails)
        while True:
            async with resources.sessionmaker() as session:
                rows = list(await session.scalars(select(QueueItem).where(QueueItem.id.in_(ids))))
            if all(row.status in ("completed", "needs_review", "failed") for row in rows):
                break
            await asyncio.sleep(0.1)
        elapsed = time.perf_counter() - started
    latencies = [(r.completed_at - r.started_at).total_seconds() for r in rows if r.started_at and r.completed_at]
    return {
        "concurrency": concurrency,
        "emails": emails,
        "seconds": elapsed,
        "per_minute": emails / elapsed * 60,
        "latency": sum(latencies) / len(latencies),
        "completed": sum(r.status == "completed" for r in rows),
        "failed": sum(r.status == "failed" for r in rows),
        "peak_rss_mb": rss_mb(_self_pid(), "VmHWM"),
        "steps": {
            step: round(sum(float(r.step_timings.get(step, 0)) for r in rows) / len(rows), 2)
            for step in ("template", "research", "papers", "compose", "checks")
        },
    }


def warm_up(settings: Any) -> None:
    """Import the model SDKs before the clock starts: a once-per-process cost (2-4 s), not a per-email one."""
    from scriptorium.core.llm import build_model

    for spec in (settings.template_parser_model, settings.email_composer_model):
        build_model(spec, settings)


def _self_pid() -> int:
    import os

    return os.getpid()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--levels", default="1,4,16")
    parser.add_argument("--per-slot", type=int, default=4, help="Emails queued per concurrency slot.")
    parser.add_argument("--out", type=Path, default=None, help="Also write the table (markdown) here.")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "twins":
        serve_twins()
        return
    if args.child:
        concurrency, emails, overrides, data_dir = json.loads(args.child)
        print(json.dumps(asyncio.run(run_level(concurrency, emails, overrides, Path(data_dir)))), flush=True)
        return

    from scriptorium.migrations import upgrade

    twins = subprocess.Popen([sys.executable, __file__, "--child", "twins"], stdout=subprocess.PIPE, text=True)
    try:
        assert twins.stdout is not None
        overrides = json.loads(twins.stdout.readline())
        results = []
        for level in (int(x) for x in args.levels.split(",")):
            with tempfile.TemporaryDirectory() as data_dir:
                upgrade(bench_settings(Path(data_dir), level, overrides))  # migrations are not the worker's job
                spec = json.dumps([level, level * args.per_slot, overrides, data_dir])
                out = subprocess.run([sys.executable, __file__, "--child", spec], capture_output=True, text=True,
                                     check=True)  # fmt: skip
                results.append(json.loads(out.stdout.strip().splitlines()[-1]))
                done = results[-1]
                print(
                    f"concurrency {level}: {done['per_minute']:.1f} emails/min, steps {done['steps']}", file=sys.stderr
                )
    finally:
        twins.kill()
        twins.wait()
    print_table(results, args.out)


def print_table(results: list[dict[str, Any]], out: Path | None) -> None:
    base_latency = next(r["latency"] for r in results if r["concurrency"] == min(x["concurrency"] for x in results))
    rows = []
    for r in results:
        ideal = r["concurrency"] * 60 / base_latency
        rows.append([
            str(r["concurrency"]), str(r["emails"]), f"{r['seconds']:.1f}", f"{r['per_minute']:.1f}",
            f"{r['latency']:.2f}", f"{r['per_minute'] / ideal:.2f}", f"{r['peak_rss_mb']:.0f}",
            f"{r['completed']}/{r['emails']}",
        ])  # fmt: skip
    headers = ["concurrency", "emails", "wall s", "emails/min", "latency s", "efficiency", "peak RSS MB",
               "completed"]  # fmt: skip
    text = table(headers, rows)
    print(text)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")


if __name__ == "__main__":
    main()
