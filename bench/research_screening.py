"""How much ordinary research prose the "addressed to the writer or reader" screen drops, on the stored fixtures.

Every sentence of every fixture page (main text, as the pipeline extracts it) and every abstract (OpenAlex,
arXiv, Semantic Scholar) goes through `scriptorium.scribe.pipeline.evidence.screen`. The table shows, per corpus,
how many sentences there are and how many are dropped as addressed to the writer or reader; `--show` lists the
dropped sentences so a reviewer can judge each one (hostile fixture sentences are meant to be dropped).

    .venv/bin/python bench/research_screening.py [--show]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scriptorium.core.web import extract_main_text
from scriptorium.scribe.pipeline.evidence import screen, split_sentences
from scriptorium.scribe.sources.openalex import abstract_text

ROOT = Path(__file__).resolve().parents[1]
SCHOLARLY = ROOT / "tests" / "fixtures" / "scholarly"


def _pages(folder: Path) -> list[tuple[str, str]]:
    out = []
    for path in sorted([*folder.glob("*.html"), *folder.glob("*.txt")]):
        raw = path.read_text(errors="replace")
        text = raw if path.suffix == ".txt" else extract_main_text(raw, f"https://fixtures.example/{path.name}").text
        out.append((path.name, text))
    return out


def _abstracts() -> dict[str, list[tuple[str, str]]]:
    import feedparser

    works = json.loads((SCHOLARLY / "openalex" / "works.json").read_text())["results"]
    openalex = [(w["display_name"], abstract_text(w.get("abstract_inverted_index"))) for w in works]
    feed = feedparser.parse((SCHOLARLY / "arxiv" / "feed.xml").read_text())
    arxiv = [(str(e.get("title", "")), " ".join(str(e.get("summary", "")).split())) for e in feed.entries]
    s2_data = json.loads((SCHOLARLY / "semantic_scholar" / "papers.json").read_text())
    s2 = [(p["title"], p.get("abstract") or "") for batch in s2_data.values() for p in batch.get("data", [])]
    return {"openalex abstracts": openalex, "arxiv abstracts": arxiv, "semantic scholar abstracts": s2}


# Documents written to be hostile: their drops are the screen working, not over-dropping.
HOSTILE = {
    "raman-westfield.html",
    "voss-brightwater.html",
    "voss-reefnews.html",
    "hostile.html",
    "profile-voss.txt",
    "Snapping shrimp choruses as indicators of reef health",
    "Soundscape indices for tracking coral reef recovery",
    "Low-cost hydrophone arrays for long-term reef monitoring",
}


def _hostile(label: str) -> bool:
    return label in HOSTILE or label.startswith("hostile line")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print every dropped sentence")
    args = parser.parse_args()
    corpora = {"scholarly pages": _pages(SCHOLARLY / "pages"), "web pages": _pages(ROOT / "tests/fixtures/web")}
    corpora |= _abstracts()
    prose = SCHOLARLY / "prose"
    for name in ("research", "addressed"):
        lines = [ln for ln in (prose / f"{name}.txt").read_text().splitlines() if ln and not ln.startswith("#")]
        label = "hostile line" if name == "addressed" else "line"
        corpora[f"prose/{name}.txt (one per line)"] = [(f"{label} {i}", ln) for i, ln in enumerate(lines, 1)]
    print("| corpus | documents (hostile) | sentences | dropped as addressed | in ordinary documents | links |")
    print("|---|---|---|---|---|---|")
    dropped_lines: list[str] = []
    for name, docs in corpora.items():
        sentences = addressed = links = ordinary = ordinary_dropped = 0
        for label, text in docs:
            counted = sum(1 for s in split_sentences(text) if 20 <= len(" ".join(s.split())) <= 300)
            screened = screen(text)
            sentences += counted
            addressed += screened.addressed
            links += screened.links
            if not _hostile(label):
                ordinary += counted
                ordinary_dropped += screened.addressed
            kept = set(screened.kept)
            for raw in split_sentences(text):
                sentence = " ".join(raw.split())
                if 20 <= len(sentence) <= 300 and sentence not in kept:
                    mark = "hostile" if _hostile(label) else "ORDINARY"
                    dropped_lines.append(f"[{mark}] {name} / {label}: {sentence}")
        hostile = sum(1 for label, _ in docs if _hostile(label))
        rate = f"{ordinary_dropped} of {ordinary} ({100 * ordinary_dropped / ordinary:.1f}%)" if ordinary else "-"
        print(f"| {name} | {len(docs)} ({hostile}) | {sentences} | {addressed} | {rate} | {links} |")
    if args.show:
        print()
        print("\n".join(dropped_lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
