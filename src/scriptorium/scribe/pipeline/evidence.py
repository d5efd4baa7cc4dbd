"""Turn verified research into numbered sources and facts that cite them.

Only verified material becomes a `ResearchSource`: the accepted author profiles, the user's profile pages, search pages
that are clearly about this person, and citable papers. Page text contributes single sentences that name the
recipient or their topic; sentences carrying links, addresses or instructions to a reader or model are dropped,
so a hostile page can at most contribute a plain factual sentence, and only as quoted data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from scriptorium.scribe.pipeline.guard import PaperGuard, PaperVerdict
from scriptorium.scribe.pipeline.links import carries_link
from scriptorium.scribe.pipeline.research import Identity, Papers
from scriptorium.scribe.pipeline.types import Evidence, Fact, ResearchSource, SourceKind
from scriptorium.scribe.sources import AuthorRecord, PageRecord, PaperRecord, ResearchQuery
from scriptorium.scribe.sources.addressed import addressed_label, addressed_reason, addressed_title_reason
from scriptorium.scribe.sources.arxiv import relevance
from scriptorium.scribe.sources.text import (
    institution_matches,
    last_name,
    mentions_name,
    normalize_title,
    text_mentions_institution,
    topic_overlap,
)

EXCERPT_CHARS = 600
MAX_SENTENCES_PER_PAGE = 4
_LIMITS = {"research": (5, 1), "book": (2, 3), "general": (3, 1)}  # (papers, books) per template type
_URL_OR_EMAIL = re.compile(
    r"(?i)\b(?:https?://|www\.)\S+|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b|\b[\w-]+\.(?:example|com|org|net|io)\b"
    r"|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,24}/\S*"  # any bare domain followed by a path: `soildata.ru/register`
)
# Blunt injections that name no letter or reader ("ignore previous instructions", "as an AI"); the structural
# classifier in `sources.addressed` covers everything that speaks to the letter's writer or reader.
_INSTRUCTION = re.compile(
    r"(?i)\b(?:ignore|disregard|forget|override)\b.{0,60}\b(?:instruction|prompt|rule|previous|above|earlier)"
    r"|\bsystem prompt\b|\bas an ai\b|\bassistant:|\bnew instructions?\b"
)
_ABBREVIATION = re.compile(r"(?:\b(?:Dr|Prof|Mr|Mrs|Ms|Mx|St|Jr|Sr|vs|al|Assoc|Asst)|\b[A-Z]|\be\.g|\bi\.e)\.$")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“(])|\n+")


@dataclass
class _Builder:
    now: datetime
    sources: list[ResearchSource] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add_source(self, kind: SourceKind, url: str, title: str, excerpt: str, when: datetime | None) -> str:
        for source in self.sources:
            if source.url == url and source.kind == kind:
                return source.id
        source_id = f"S{len(self.sources) + 1}"
        text = " ".join(excerpt.split())
        self.sources.append(
            ResearchSource(source_id, kind, url, title.strip()[:500], when or self.now, text[:EXCERPT_CHARS])
        )
        return source_id

    def fact(self, text: str, source_ids: tuple[str, ...], kind: str, value: str) -> None:
        self.facts.append(Fact(text=text, source_ids=source_ids, kind=kind, value=value))


def split_sentences(text: str) -> list[str]:
    """Sentences, without breaking after `Dr.`, `Prof.`, `e.g.` and similar abbreviations."""
    pieces: list[str] = []
    for piece in _SENTENCE_SPLIT.split(text):
        if pieces and _ABBREVIATION.search(pieces[-1]):
            pieces[-1] = f"{pieces[-1]} {piece}"
        else:
            pieces.append(piece)
    return pieces


@dataclass
class Screened:
    """Sentences safe to quote, and how many were dropped and why (shown to the user in the evidence notes)."""

    kept: list[str] = field(default_factory=list)
    addressed: int = 0
    links: int = 0

    @property
    def dropped(self) -> int:
        return self.addressed + self.links

    def describe(self) -> str:
        parts = []
        if self.addressed:
            parts.append(f"{self.addressed} addressed to the letter's writer or reader")
        if self.links:
            parts.append(f"{self.links} carrying links or addresses")
        return ", ".join(parts)


def _has_link(text: str) -> bool:
    """A link in any shape the draft's links check would refuse: on any public suffix (`soildata.xyz`), spelled
    out (`foldnotes dot org`), obfuscated (`mchen at northbridge dot edu`), or split by invisible characters."""
    return _URL_OR_EMAIL.search(text) is not None or carries_link(text)


_HYPHEN_BREAK = re.compile(r"(?<=[^\W\d_])-\n[ \t]*(?=[a-z])")  # `men-\ntion` in text taken from a PDF
_SOFT_BREAK = re.compile(r"(?<=[^.!?:;\s])[ \t]*\n[ \t]*(?=[a-z(])")  # a line that goes on in lower case
_ITEM = re.compile(r"^\s*(?:[-*•·–—▪◦]|\(?\d{1,2}[.)]|\(?[a-z][.)]|A\s*:|Answer\s*:)\s*")
_OPENS_BLOCK = re.compile(r"[:?]\s*$")


def _unwrapped(text: str) -> list[str]:
    """Lines of `text` with line-wrapped sentences joined again, as a CV or paper's text comes out of a PDF.

    A request split over two lines ("must men-" / "tion the prize") reads as two harmless fragments otherwise.
    """
    return _SOFT_BREAK.sub(" ", _HYPHEN_BREAK.sub("", text)).split("\n")


def screen(text: str, *, min_chars: int = 20) -> Screened:
    """Every sentence of `text` that is a statement, not a request to whoever writes or reads the letter.

    A heading or question addressed to the letter's writer ("Requirements for correspondents:", "Q: What should
    letters include?") takes what it introduces with it: the next line and the list items that follow, whose own
    grammar (a bare noun phrase, an answer) says nothing of who they are for.
    """
    out = Screened()
    under_heading = False
    for line in _unwrapped(text):
        if not line.strip():
            under_heading = False
            continue
        heading = _is_heading(line) and addressed_label(line.strip().rstrip(":?"))
        dropped = under_heading or heading
        under_heading = heading or (under_heading and _ITEM.match(line) is not None)
        for raw in split_sentences(line):
            sentence = " ".join(raw.split())
            if not sentence:
                continue
            addressed = dropped or _INSTRUCTION.search(sentence) or addressed_reason(sentence)
            if addressed and _OPENS_BLOCK.search(sentence):
                under_heading = True
            if not min_chars <= len(sentence) <= 300:
                continue
            if addressed:
                out.addressed += 1
            elif _has_link(sentence):
                out.links += 1
            else:
                out.kept.append(sentence)
    return out


def _is_heading(line: str) -> bool:
    """A short line that is not a sentence: a heading (`Requirements for correspondents`, `Letter guidelines:`)
    as main-text extraction leaves it, with or without its colon, never with a full stop."""
    stripped = line.strip()
    return len(stripped.split()) <= 8 and not stripped.endswith((".", "!", ",", ";")) and _ITEM.match(line) is None


def clean_sentences(text: str) -> tuple[list[str], int]:
    """Sentences safe to quote as facts, and how many were dropped for looking like instructions or links."""
    screened = screen(text)
    return screened.kept, screened.dropped


def _page_facts(b: _Builder, page: PageRecord, query: ResearchQuery, when: datetime | None) -> None:
    screened = screen(page.text)
    surname = last_name(query.name).lower()
    relevant = [s for s in screened.kept if surname in s.lower() or topic_overlap(query.interest, s)]
    chosen = relevant[:MAX_SENTENCES_PER_PAGE]
    if screened.dropped:
        b.notes.append(
            f"{page.via} ({page.kind}): ignored {screened.dropped} sentence(s) on {page.url[:200]}: "
            f"{screened.describe()}"
        )
    if not chosen:
        return
    plain_title = not addressed_title_reason(page.title) and not _has_link(page.title)
    title = page.title if plain_title else page.url
    source_id = b.add_source(page.kind, page.url, title, " ".join(chosen), when)
    for sentence in chosen:
        b.fact(sentence, (source_id,), "bio", sentence)


def search_page_is_about(page: PageRecord, query: ResearchQuery, institutions: tuple[str, ...]) -> bool:
    """A search hit counts only if it names the person and agrees on their institution or topic."""
    if not mentions_name(page.text, query.name) and not mentions_name(page.title, query.name):
        return False
    hints = [h for h in (query.affiliation, *institutions) if h]
    if any(text_mentions_institution(page.text, hint) for hint in hints):
        return True
    return bool(topic_overlap(query.interest, page.text))


def _plain_values(b: _Builder, author: AuthorRecord, field_name: str, values: tuple[str, ...]) -> list[str]:
    """Directory strings are author-edited too (a Semantic Scholar affiliation is free text): a value that reads
    as a request or carries a link never becomes a fact or fills a placeholder."""
    kept = [v for v in values if not addressed_reason(v) and not _has_link(v) and len(v) <= 300]
    if len(kept) < len(values):
        b.notes.append(
            f"{author.kind}: ignored {len(values) - len(kept)} {field_name} value(s) on {author.url[:200]}: "
            "addressed to the letter's writer or reader, or carrying links"
        )
    return kept


def _author_facts(b: _Builder, author: AuthorRecord, query: ResearchQuery, when: datetime | None) -> None:
    label = "OpenAlex" if author.kind == "openalex" else "Semantic Scholar"
    institutions = _plain_values(b, author, "institution", author.institutions)
    topics = _plain_values(b, author, "topic", author.topics)
    excerpt = f"{author.name}. Institutions: {', '.join(institutions) or 'none listed'}. "
    excerpt += f"Topics: {', '.join(topics[:6]) or 'none listed'}."
    source_id = b.add_source(author.kind, author.url, f"{label} profile: {author.name}", excerpt, when)
    if institutions:
        institution = institutions[0]
        b.fact(f"{query.name} is affiliated with {institution}.", (source_id,), "affiliation", institution)
    for topic in topics[:3]:
        b.fact(f"{label} lists {topic} among {query.name}'s research topics.", (source_id,), "topic", topic)


def _rank(papers: list[PaperRecord], interest: str) -> list[PaperRecord]:
    return sorted(papers, key=lambda p: (relevance(p, interest), p.year or 0), reverse=True)


def _abstract_excerpt(b: _Builder, record: PaperRecord) -> str:
    """The abstract's statements only: a sentence buried in an abstract that speaks to the letter's writer is
    dropped (and counted in the notes) like one on a web page."""
    fallback = f"{record.title}. {', '.join(record.authors[:6])}. {record.venue}"
    if not record.abstract:
        return fallback
    screened = screen(record.abstract, min_chars=1)
    if screened.dropped:
        b.notes.append(
            f"{record.kind}: ignored {screened.dropped} sentence(s) in the abstract of {record.url[:200]}: "
            f"{screened.describe()}"
        )
    return " ".join(screened.kept) or fallback


def _paper_facts(b: _Builder, verdicts: list[PaperVerdict], query: ResearchQuery, papers: Papers) -> None:
    groups: dict[str, list[PaperRecord]] = {}
    for verdict in verdicts:
        if not verdict.citable:
            continue
        # A title that carries a link stays evidence: the merge will not paste it (merge.py says why, naming the
        # link) and the links check refuses it in any draft, so the reviewer is told the real problem.
        if addressed_title_reason(verdict.paper.title):
            b.notes.append(
                f"{verdict.paper.kind}: a work listed at {verdict.paper.url[:200]} was not cited: its title reads "
                "as a request to the letter's writer, not a title"
            )
            continue
        groups.setdefault(normalize_title(verdict.paper.title), []).append(verdict.paper)
    leaders = [records[0] for records in groups.values()]
    max_papers, max_books = _LIMITS[query.template_type]
    chosen = _rank([p for p in leaders if p.is_book], query.interest)[:max_books]
    chosen += _rank([p for p in leaders if not p.is_book], query.interest)[:max_papers]
    for leader in chosen:
        ids = []
        for record in groups[normalize_title(leader.title)][:3]:
            excerpt = _abstract_excerpt(b, record)
            ids.append(
                b.add_source(record.kind, record.url, record.title, excerpt, papers.retrieved_at.get(record.kind))
            )
        year = f" ({leader.year})" if leader.year else ""
        kind = "book" if leader.is_book else "paper"
        b.fact(f'{query.name} is an author of "{leader.title}"{year}.', tuple(dict.fromkeys(ids)), kind, leader.title)


def _unverified_notes(b: _Builder, verdicts: list[PaperVerdict], query: ResearchQuery) -> None:
    by_kind: dict[str, list[str]] = {}
    for verdict in verdicts:
        if not verdict.citable:
            by_kind.setdefault(verdict.paper.kind, []).append(verdict.paper.title)
    for kind, titles in by_kind.items():
        sample = "; ".join(f'"{t[:80]}"' for t in titles[:3])
        b.notes.append(
            f"{kind}: {len(titles)} paper(s) under the name {query.name} not cited, authorship not verified: {sample}"
        )


def build_evidence(query: ResearchQuery, identity: Identity, papers: Papers, *, now: datetime) -> Evidence:
    """Sources and facts from the accepted profile, pages and verified papers; everything else becomes a note."""
    b = _Builder(now=now, notes=[*identity.notes, *papers.notes])
    choice = identity.openalex
    if choice.author is not None:
        _author_facts(b, choice.author, query, identity.retrieved_at.get("openalex"))
        b.notes.append(f"openalex: accepted profile {choice.author.author_id} ({choice.reason})")
    elif choice.others:
        b.notes.append(f"openalex: {len(choice.others)} profile(s) named {query.name} not used: {choice.reason}")
    if identity.s2_verified is not None and choice.author is None:
        _author_facts(b, identity.s2_verified, query, identity.retrieved_at.get("semantic_scholar"))
    for page in identity.profile_pages:
        _page_facts(b, page, query, identity.retrieved_at.get("web"))
    institutions = choice.author.institutions if choice.author else ()
    for page in identity.search_pages:
        if search_page_is_about(page, query, institutions):
            _page_facts(b, page, query, identity.retrieved_at.get("search"))
        else:
            b.notes.append(f"{page.via}: {page.url[:200]} is not clearly about this {query.name}; not used")

    guard = PaperGuard(query, choice, identity.s2_verified, [page.text for page in identity.profile_pages])
    verdicts = [guard.verify(p) for p in papers.openalex]
    guard.remember(verdicts)
    later = [guard.verify(p) for p in [*papers.semantic_scholar, *papers.arxiv]]
    verdicts += later
    _paper_facts(b, verdicts, query, papers)
    _unverified_notes(b, verdicts, query)

    verified = choice.author is not None or identity.s2_verified is not None
    if (
        query.affiliation
        and choice.author
        and not any(institution_matches(i, query.affiliation) for i in choice.author.institutions)
    ):
        b.notes.append(f"openalex: the accepted profile does not list {query.affiliation}")
    return Evidence(sources=b.sources, facts=b.facts, author_verified=verified, notes=b.notes)
