"""What the text spoiler gate costs: building the name index at ingest, and gating text at serve time.

    .venv/bin/python bench/companion_gate.py [--peppercarrot ../shared/peppercarrot] [--repeat 5]

For the bundled sample, a generated 200-page series (tests/companion/conftest.py's generator) and, when present,
the real Pepper & Carrot episodes 1-3 with `--skip-unreached`, it prints one row each: names indexed, time to
build the index from the resolved bundle (what ingest adds), the index's memory (tracemalloc), and the median and
p95 time to gate one served text (every page text, description, recap, wiki section, entity and relation summary,
at every cursor). A chat turn gates about ten texts (the visible page, recaps, k passages, cards).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scriptorium.companion.cli import SAMPLE_DIR  # noqa: E402
from scriptorium.companion.ingest.bundle import Resolved, resolve  # noqa: E402
from scriptorium.companion.ingest.lint import served_texts  # noqa: E402
from scriptorium.companion.ingest.names import build_name_entries  # noqa: E402
from scriptorium.companion.ingest.reader import read_content  # noqa: E402
from scriptorium.companion.spoilers import NameIndex  # noqa: E402


def _served(resolved: Resolved) -> list[str]:
    return [text for _, _, _, text in served_texts(resolved) if text.strip()]


def measure(label: str, resolved: Resolved, repeat: int) -> list[str]:
    builds = []
    for _ in range(repeat):
        started = time.perf_counter()
        entries = build_name_entries(resolved)
        builds.append(time.perf_counter() - started)
    tracemalloc.start()
    index = NameIndex(entries)
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    texts = _served(resolved)
    timings: list[float] = []
    for cursor in range(resolved.page_total):
        for text in texts:
            started = time.perf_counter()
            index.gate(text, cursor)
            timings.append(time.perf_counter() - started)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95)]
    return [
        label,
        str(resolved.page_total),
        str(len(index)),
        f"{statistics.median(builds) * 1000:.1f}",
        f"{size / 1024:.0f}",
        str(len(timings)),
        f"{statistics.median(timings) * 1e6:.0f}",
        f"{p95 * 1e6:.0f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--peppercarrot", type=Path, default=ROOT.parent / "shared" / "peppercarrot")
    parser.add_argument("--repeat", type=int, default=5, help="index builds per series (the median is shown)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    from tests.companion.conftest import write_generated_series

    rows = [measure("sample", resolve(read_content(SAMPLE_DIR)), args.repeat)]
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(measure("generated", resolve(read_content(write_generated_series(Path(tmp)))), args.repeat))
    if (args.peppercarrot / "workshop").is_dir():
        real = resolve(read_content(args.peppercarrot), skip_unreached=True)
        rows.append(measure("Pepper & Carrot 1-3", real, args.repeat))
    header = ["series", "pages", "names", "build ms", "index KiB", "gated texts", "gate µs p50", "gate µs p95"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
