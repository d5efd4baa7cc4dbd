"""arXiv Atom API: recent papers by an author's name, ranked by relevance to the recipient's interest.

arXiv has no author identities, so every hit is only a candidate: the name is searched without honorifics
(`Dr. Maria Chen` finds nothing on arXiv; `Maria Chen` does), the last 10 years are kept, and the homonym guard
decides which papers are really theirs.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from scriptorium.core.errors import SourceError
from scriptorium.core.settings import Settings
from scriptorium.scribe.sources.base import PaperRecord, ResearchQuery
from scriptorium.scribe.sources.http import headers_for, request
from scriptorium.scribe.sources.text import name_matches, topic_overlap

MAX_RESULTS = 15
YEARS_BACK = 10

# Category codes carry the field when a paper's words do not: `q-bio.BM` says "biology" even for a terse title.
_ARCHIVES = {
    "astro-ph": "astrophysics astronomy", "cond-mat": "condensed matter physics materials", "cs": "computer science",
    "econ": "economics", "eess": "electrical engineering signal processing", "gr-qc": "general relativity gravitation",
    "hep": "high energy particle physics", "math": "mathematics", "nlin": "nonlinear dynamics",
    "nucl": "nuclear physics", "physics": "physics", "q-bio": "quantitative computational biology",
    "q-fin": "quantitative finance", "quant-ph": "quantum physics", "stat": "statistics",
}  # fmt: skip
_SUBJECTS = {
    "cs.AI": "artificial intelligence", "cs.CL": "computational linguistics natural language processing",
    "cs.CV": "computer vision", "cs.LG": "machine learning", "cs.HC": "human computer interaction",
    "cs.RO": "robotics", "cs.CR": "cryptography security", "cs.DL": "digital libraries", "cs.CY": "computers society",
    "q-bio.BM": "biomolecules protein structure", "q-bio.GN": "genomics", "q-bio.NC": "neuroscience cognition",
    "q-bio.PE": "populations evolution", "q-bio.QM": "quantitative methods", "stat.ML": "machine learning",
    "physics.hist-ph": "history philosophy of physics",
}  # fmt: skip


def category_words(categories: tuple[str, ...]) -> str:
    words = []
    for code in categories:
        words.append(_SUBJECTS.get(code, ""))
        words.append(_ARCHIVES.get(code.split(".")[0], _ARCHIVES.get(code.split("-")[0], "")))
    return " ".join(w for w in words if w)


def _clean(text: str) -> str:
    return " ".join(text.split())


def parse_feed(body: str, query: ResearchQuery) -> list[PaperRecord]:
    """Entries listing an author with the recipient's name, from the last 10 years."""
    import feedparser  # loaded by the first arXiv lookup, not at server start

    feed: Any = feedparser.parse(body)
    oldest = query.now.year - YEARS_BACK
    papers: list[PaperRecord] = []
    for entry in feed.entries:
        authors = tuple(_clean(str(a.get("name", ""))) for a in entry.get("authors", []))
        if not any(name_matches(author, query.name) for author in authors):
            continue
        published = entry.get("published_parsed")
        year = int(published.tm_year) if published else None
        if year is None or year < oldest:
            continue
        affiliation = entry.get("arxiv_affiliation")
        papers.append(
            PaperRecord(
                kind="arxiv",
                paper_id=str(entry.get("id", "")).rsplit("/abs/", 1)[-1],
                title=_clean(str(entry.get("title", ""))),
                url=str(entry.get("link") or entry.get("id", "")),
                year=year,
                authors=authors,
                abstract=_clean(str(entry.get("summary", ""))),
                venue="arXiv",
                work_type="preprint",
                # feedparser keeps one affiliation per entry, so it is only trustworthy for single-author papers
                affiliations=(str(affiliation),) if affiliation and len(authors) == 1 else (),
                categories=tuple(str(tag.get("term", "")) for tag in entry.get("tags", []) if tag.get("term")),
            )
        )
    return papers


def relevance(paper: PaperRecord, interest: str) -> int:
    text = f"{paper.title} {paper.abstract} {category_words(paper.categories)}"
    return len(topic_overlap(interest, text))


class Arxiv:
    """`search_query=au:"First Last"` on ARXIV_BASE_URL, sorted by relevance, then re-ranked by the interest."""

    name = "arxiv"

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._http = http

    async def search(self, query: ResearchQuery) -> list[PaperRecord]:
        name = re.sub(r"[^\w .'-]", "", query.name).strip()
        if not name:
            return []
        response = await request(
            self._http,
            "GET",
            self._settings.arxiv_base_url,
            service=self.name,
            per_request=self._settings.research_timeout_seconds,
            params={
                "search_query": f'au:"{name}"',
                "start": 0,
                "max_results": MAX_RESULTS,
                "sortBy": "relevance",
                "sortOrder": "descending",
            },
            headers=headers_for(self._settings, {"Accept": "application/atom+xml"}),
        )
        if "xml" not in response.headers.get("content-type", "xml"):
            raise SourceError("arxiv: the response was not an Atom feed", service=self.name)
        papers = parse_feed(response.text, query)
        return sorted(papers, key=lambda p: (relevance(p, query.interest), p.year or 0), reverse=True)
