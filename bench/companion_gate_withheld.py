"""How much the text spoiler gate withholds: sentences of each served text at its own page and at every later page.

    .venv/bin/python bench/companion_gate_withheld.py [--peppercarrot ../shared/peppercarrot]

Over-blocking is the gate's failure mode that no leak test sees: a common word indexed as a name hides every
sentence using it, and answers become useless. For the bundled sample, the adversarial fixture
(tests/fixtures/companion/adversarial, written to break the gate) and, when present, the real Pepper & Carrot
episodes 1-3 with `--skip-unreached`, it prints the served sentences (every page text, description, recap, wiki
section, entity and relation summary), how many are withheld at the item's own debut, and how many
(sentence, cursor) pairs are withheld over every cursor from the debut to the last page. Each withheld sentence at
its own page is listed with the names that gate it (`--list`), so a false positive can be read, not guessed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scriptorium.companion.cli import SAMPLE_DIR  # noqa: E402
from scriptorium.companion.ingest.bundle import Resolved, resolve  # noqa: E402
from scriptorium.companion.ingest.lint import served_texts  # noqa: E402
from scriptorium.companion.ingest.names import build_name_entries  # noqa: E402
from scriptorium.companion.ingest.reader import read_content  # noqa: E402
from scriptorium.companion.spoilers import NameIndex, split_sentences  # noqa: E402


def measure(label: str, resolved: Resolved, listing: bool) -> str:
    pages = sum(len(episode.pages) for episode in resolved.bundle.episodes)
    index = NameIndex(build_name_entries(resolved))
    sentences = own = pairs = withheld = 0
    listed: list[str] = []
    for debut, _, what, text in served_texts(resolved):
        pieces = split_sentences(text)
        count = sum(1 for sentence, _ in pieces if sentence)
        sentences += count
        for cursor in range(debut, pages):
            late = index.late_pieces(pieces, cursor)
            pairs += count
            withheld += len(late)
            if cursor == debut:
                own += len(late)
                listed += [f"  [{debut}] {what}: {pieces[i][0][:90]!r}" for i in sorted(late)]
    if listing:
        print(f"{label}:", *listed, sep="\n")
    share = 100 * own / sentences if sentences else 0.0
    return f"| {label} | {pages} | {sentences} | {own} ({share:.1f} %) | {pairs} | {withheld} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peppercarrot", type=Path, default=ROOT.parent / "shared" / "peppercarrot")
    parser.add_argument("--list", action="store_true", help="list every sentence withheld at its own page")
    args = parser.parse_args()
    rows = [
        measure("sample", resolve(read_content(SAMPLE_DIR)), args.list),
        measure(
            "adversarial fixture",
            resolve(read_content(ROOT / "tests" / "fixtures" / "companion" / "adversarial")),
            args.list,
        ),
    ]
    if (args.peppercarrot / "workshop").is_dir():
        real = resolve(read_content(args.peppercarrot), skip_unreached=True)
        rows.append(measure("Pepper & Carrot 1-3", real, args.list))
    print("| series | pages | served sentences | withheld at own page | sentence x cursor | withheld, all cursors |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
