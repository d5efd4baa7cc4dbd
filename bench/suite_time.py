"""How long the pytest part of `make test` takes, in wall and CPU time, and where that time goes.

    .venv/bin/python bench/suite_time.py run [--tree PATH] --log before.log   # run the suite as `make test` does
    .venv/bin/python bench/suite_time.py compare before.log after.log        # print the table for benchmarks.md

`run` starts `python -m pytest -n 2 --dist loadgroup --durations=0` under `/usr/bin/time -v` in `--tree` (a git
worktree of another commit works: its `src/` is put first on PYTHONPATH), and writes pytest's output, time's
report and the load average before and after into the log. On a machine shared with other work the wall time
moves with the load; user+sys CPU time (the suite's processes and their children) moves much less, so the table
shows both, with the load each run saw.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DURATION = re.compile(r"^([\d.]+)s (setup|call|teardown)\s+(\S+)", re.MULTILINE)
LOAD = re.compile(r"load average: ([\d.]+, [\d.]+, [\d.]+)|load (?:before|after): ([\d., ]+)")
SUMMARY = re.compile(r"=+ (.*\d+ passed.*) in ([\d.]+)s")


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def run(tree: Path, log: Path, workers: int = 2) -> int:
    env = os.environ | {"PYTHONPATH": str(tree / "src")}
    command = ["/usr/bin/time", "-v", str(ROOT / ".venv" / "bin" / "python"), "-m", "pytest"]
    command += ["-n", str(workers), "--dist", "loadgroup", "--durations=0", "-p", "no:cacheprovider"]
    with log.open("w") as out:
        out.write(f"load before: {load_average()}\n")
        out.flush()
        done = subprocess.run(command, cwd=tree, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
        out.write(f"load after: {load_average()}\n")
    return done.returncode


@dataclass
class Run:
    name: str
    summary: str = ""
    wall: float = 0.0
    cpu: float = 0.0
    loads: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=lambda: dict.fromkeys(("setup", "call", "teardown"), 0.0))
    tests: dict[str, float] = field(default_factory=dict)


def parse(path: Path) -> Run:
    text = path.read_text(errors="replace")
    result = Run(path.name)
    if found := SUMMARY.search(text):
        result.summary = found.group(1)
    user = re.search(r"User time \(seconds\): ([\d.]+)", text)
    system = re.search(r"System time \(seconds\): ([\d.]+)", text)
    result.cpu = float(user.group(1)) + float(system.group(1)) if user and system else 0.0
    if wall := re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text):
        seconds = 0.0
        for part in wall.group(1).split(":"):
            seconds = seconds * 60 + float(part)
        result.wall = seconds
    result.loads = [uptime or ours for uptime, ours in LOAD.findall(text)]
    for seconds, phase, test in DURATION.findall(text):
        result.phases[phase] += float(seconds)
        result.tests[test] = result.tests.get(test, 0.0) + float(seconds)
    return result


def compare(before: Run, after: Run) -> str:
    rows = [
        ("tests", before.summary, after.summary),
        ("wall", f"{before.wall:.0f} s", f"{after.wall:.0f} s"),
        ("CPU, user+sys", f"{before.cpu:.0f} s", f"{after.cpu:.0f} s"),
        ("load average (1, 5, 15 min) at start / end", " / ".join(before.loads), " / ".join(after.loads)),
    ]
    for phase in ("setup", "call", "teardown"):
        rows.append((f"sum of test {phase} times", f"{before.phases[phase]:.0f} s", f"{after.phases[phase]:.0f} s"))
    shared = before.tests.keys() & after.tests.keys()
    rows.append(
        (
            f"the {len(shared)} tests in both runs, summed",
            f"{sum(before.tests[t] for t in shared):.0f} s",
            f"{sum(after.tests[t] for t in shared):.0f} s",
        )
    )
    lines = [f"| measure | {before.name} | {after.name} |", "|---|---|---|"]
    lines += [f"| {name} | {a} | {b} |" for name, a, b in rows]
    if before.cpu and after.cpu:
        lines.append(f"| speed-up | | wall {before.wall / after.wall:.2f}×, CPU {before.cpu / after.cpu:.2f}× |")
    lines += ["", "Slowest tests after (setup + call + teardown):", "", "| test | before | after |", "|---|---|---|"]
    for test, seconds in sorted(after.tests.items(), key=lambda item: -item[1])[:10]:
        lines.append(f"| `{test}` | {before.tests.get(test, 0.0):.1f} s | {seconds:.1f} s |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    running = commands.add_parser("run", help="run the suite once and log it")
    running.add_argument("--tree", type=Path, default=ROOT, help="checkout to run in (default: this one)")
    running.add_argument("--log", type=Path, required=True)
    running.add_argument("--workers", type=int, default=2, help="pytest-xdist workers (default: 2)")
    comparing = commands.add_parser("compare", help="print the before/after table of two logs")
    comparing.add_argument("before", type=Path)
    comparing.add_argument("after", type=Path)
    options = parser.parse_args(argv)
    if options.command == "run":
        return run(options.tree.resolve(), options.log, options.workers)
    print(compare(parse(options.before), parse(options.after)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
