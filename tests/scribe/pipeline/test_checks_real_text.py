"""Attribution on prose nobody wrote for it: the fixture abstracts and faculty pages.

A sentence copied from a source and cited to it must always pass (the specifics the extractor finds are always
found again in their own text), and the same sentence cited to an unrelated source must fail whenever it names
something that source does not: the check tells the two apart on real text, not only on hand-made examples.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import feedparser

from scriptorium.core.web import extract_main_text
from scriptorium.scribe.pipeline.attribution import Attribution
from scriptorium.scribe.pipeline.sentences import split
from scriptorium.scribe.pipeline.types import Addressee, Claim, Evidence, ResearchSource
from scriptorium.scribe.sources.openalex import abstract_text

SCHOLARLY = Path(__file__).resolve().parents[2] / "fixtures" / "scholarly"
WHEN = datetime(2026, 6, 1, tzinfo=UTC)


def _documents() -> list[tuple[str, str]]:
    works = json.loads((SCHOLARLY / "openalex" / "works.json").read_text())["results"]
    docs = [(str(w["display_name"]), abstract_text(w.get("abstract_inverted_index"))) for w in works]
    feed = feedparser.parse((SCHOLARLY / "arxiv" / "feed.xml").read_text())
    docs += [(str(e.get("title", "")), " ".join(str(e.get("summary", "")).split())) for e in feed.entries]
    for page in sorted((SCHOLARLY / "pages").glob("*.html")):
        docs.append(
            (page.stem, extract_main_text(page.read_text(errors="replace"), f"https://f.example/{page.name}").text)
        )
    return [(title, text) for title, text in docs if text]


def _attribution(title: str, text: str) -> Attribution:
    source = ResearchSource("S1", "web", "https://pages.example/doc", title, WHEN, text)
    return Attribution.build(
        "Dear {{name}}, hello. Sam", ("{{name}}",), Addressee("Nobody Here", "x"), Evidence([source], [], True)
    )


def test_a_sentence_cited_to_its_own_source_passes_and_to_another_fails_when_it_names_more() -> None:
    documents = _documents()
    assert len(documents) >= 20
    checked = own_failures = cross_specific = cross_failed = 0
    for index, (title, text) in enumerate(documents):
        own = _attribution(title, text)
        other = _attribution(*documents[(index + 1) % len(documents)])
        for sentence in split(text):
            claim = [Claim(sentence.text, ("S1",))]
            checked += 1
            own_failures += own.judge(sentence, claim) is not None
            if other.needed(sentence.text):
                cross_specific += 1
                cross_failed += other.judge(sentence, claim) is not None
    assert checked >= 60
    assert own_failures == 0
    assert cross_specific >= 30
    assert cross_failed * 4 >= cross_specific * 3  # names shared by two fixture texts ("Maria Chen") may pass
