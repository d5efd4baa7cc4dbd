"""What Scribe's deterministic checks cost a worker: memory of the splitter and suffix list, time per draft.

Memory is measured in a fresh interpreter (VmRSS before and after the first `run_checks`, which loads
`sentencex` and the bundled Public Suffix List), so it is what a worker pays once. Time is per draft, for a good
draft, a draft with invented facts, links and a disclaimer, and the longest body the length check allows.

    .venv/bin/python bench/scribe_checks.py [--runs 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime

from scriptorium.scribe.pipeline.checks import run_checks
from scriptorium.scribe.pipeline.types import Addressee, Claim, Draft, Evidence, Fact, ResearchSource

_MEMORY_PROBE = """
import json
from pathlib import Path

def rss():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

import scriptorium.scribe.pipeline.types as types
before = rss()
from scriptorium.scribe.pipeline.checks import run_checks
imported = rss()
draft = types.Draft("Hi", "Dear Dr. Chen, see bit.ly/x. Best, Sam", [], "offline")
run_checks(draft, template="Dear {{name}}, hello. Best, Sam", template_raws=("{{name}}",),
           recipient=types.Addressee("Maria Chen", "soil"), evidence=types.Evidence([], [], False))
print(json.dumps({"before": before, "imported": imported, "first_run": rss()}))
"""

WHEN = datetime(2026, 6, 1, tzinfo=UTC)
PAPER = "Coevolution signals for protein folding"
PLACE = "University of Northbridge"
EVIDENCE = Evidence(
    sources=[
        ResearchSource("S1", "openalex", "https://openalex.org/A1", "OpenAlex profile: Maria Chen", WHEN,
               "Maria Chen. Institutions: University of Northbridge. Topics: Protein Folding, Structural Biology."),
        ResearchSource("S2", "openalex", "https://doi.org/10.5555/x", PAPER, WHEN, "We map coevolution signals. " * 40),
    ],
    facts=[
        Fact(f"Maria Chen is affiliated with {PLACE}.", ("S1",), "affiliation", PLACE),
        Fact(f'Maria Chen is an author of "{PAPER}" (2021).', ("S2",), "paper", PAPER),
    ],
    author_verified=True,
)  # fmt: skip
TEMPLATE = (
    "Subject: Question about {{paper_title}}\n\nDear Professor {{last_name}},\n\nI am a second-year PhD student at "
    'Stanford. I read your paper "{{paper_title}}" and would love to learn how your group at {{university}} '
    "approaches {{research_area}}.\n\nBest,\nSam"
)
RAWS = ("{{paper_title}}", "{{last_name}}", "{{university}}", "{{research_area}}")
RECIPIENT = Addressee("Dr. Maria Chen", "protein folding")
GOOD = (
    f'Dear Professor Chen,\n\nI am a second-year PhD student at Stanford. I read your paper "{PAPER}" and would '
    "love to learn how your group at University of Northbridge approaches protein folding.\n\nBest,\nSam"
)
CLAIMS = [Claim(f.text, f.source_ids) for f in EVIDENCE.facts]
BAD = GOOD.replace(
    "\n\nBest,",
    " Congratulations on your 2023 Guggenheim Fellowship. As an AI language model, I do not have personal "
    "opinions. See bit.ly/3xYz or write to m.chen [at] evil (dot) org.\n\nBest,",
)
LONG = GOOD.replace(
    "\n\nBest,", " " + "I would also like to ask about your methods and your students. " * 100 + "\n\nBest,"
)


def _memory() -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", _MEMORY_PROBE], capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout))


def _time(body: str, runs: int) -> tuple[float, float, int]:
    draft = Draft(f"Question about {PAPER}", body, CLAIMS, "model")
    samples = []
    failed = 0
    for _ in range(runs):
        started = time.perf_counter()
        checks = run_checks(draft, template=TEMPLATE, template_raws=RAWS, recipient=RECIPIENT, evidence=EVIDENCE)
        samples.append((time.perf_counter() - started) * 1000)
        failed = sum(not c.passed for c in checks)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    memory = _memory()
    print("| memory (fresh interpreter) | RSS MB |")
    print("|---|---:|")
    print(f"| pipeline types imported | {memory['before']:.1f} |")
    print(f"| + checks imported | {memory['imported']:.1f} (+{memory['imported'] - memory['before']:.1f}) |")
    print(f"| + first run_checks (splitter, suffix list) | {memory['first_run']:.1f} "
          f"(+{memory['first_run'] - memory['imported']:.1f}) |")  # fmt: skip
    print()
    print(f"| draft ({args.runs} runs) | body chars | median ms | p95 ms | failed checks |")
    print("|---|---:|---:|---:|---:|")
    for name, body in (("good", GOOD), ("invented facts, link, disclaimer", BAD), ("long", LONG)):
        median, p95, failed = _time(body, args.runs)
        print(f"| {name} | {len(body)} | {median:.2f} | {p95:.2f} | {failed} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
