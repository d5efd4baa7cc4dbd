"""What a research source returns, and the three small protocols sources implement.

Sources only retrieve and normalise: they never decide who the recipient is. The homonym guard in
`scriptorium.scribe.pipeline.evidence` makes that decision from these records, so every source is judged by the
same rules and a new source cannot weaken them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from scriptorium.scribe.pipeline.types import SourceKind, TemplateType


@dataclass(frozen=True)
class ResearchQuery:
    """One recipient, cleaned: `name` has honorifics stripped; `raw_name` is what the user typed."""

    name: str
    raw_name: str
    interest: str
    affiliation: str | None
    profile_urls: tuple[str, ...]
    template_type: TemplateType
    now: datetime


@dataclass(frozen=True)
class AuthorRecord:
    """An author profile in a scholarly directory (OpenAlex, Semantic Scholar)."""

    kind: SourceKind
    author_id: str
    name: str
    url: str
    institutions: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    works_count: int = 0
    alternative_names: tuple[str, ...] = ()
    homepage: str | None = None
    orcid: str | None = None  # bare `0000-0002-1825-0097`: the one identity that survives across directories


@dataclass(frozen=True)
class PaperRecord:
    """A paper, book or chapter. `author_ids` are in the namespace of `kind` (OpenAlex ids for OpenAlex works)."""

    kind: SourceKind
    paper_id: str
    title: str
    url: str
    year: int | None = None
    authors: tuple[str, ...] = ()
    author_ids: tuple[str, ...] = ()
    abstract: str = ""
    venue: str = ""
    work_type: str = "article"
    affiliations: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    found_via: str = ""
    author_orcids: tuple[str, ...] = ()  # bare ORCID iDs of the authors, when the source lists them

    @property
    def is_book(self) -> bool:
        return self.work_type in {"book", "monograph", "edited-book"}


@dataclass(frozen=True)
class PageRecord:
    """A fetched web page's main text. `via` is `profile` (the user gave the URL) or the search provider."""

    kind: SourceKind
    url: str
    title: str
    text: str
    via: str
    snippet: str = ""


@dataclass
class PageBatch:
    """Pages fetched for one source, plus notes on the ones that were refused or failed."""

    pages: list[PageRecord]
    notes: list[str]


class AuthorDirectory(Protocol):
    """A directory of author profiles whose works can be listed by author id (OpenAlex, Semantic Scholar)."""

    name: str

    async def find_authors(self, query: ResearchQuery) -> list[AuthorRecord]:
        """Profiles whose name matches the recipient's (the guard picks among them)."""
        ...

    async def works(self, author: AuthorRecord, query: ResearchQuery) -> list[PaperRecord]:
        """Works attributed to this exact profile."""
        ...


class PaperSearch(Protocol):
    """A by-name paper search with no author identity (arXiv): every hit must be verified by the guard."""

    name: str

    async def search(self, query: ResearchQuery) -> list[PaperRecord]:
        """Recent papers listing an author with the recipient's name, most relevant first."""
        ...


class PageSource(Protocol):
    """Web pages about the recipient: the profile URLs the user gave, or web search results."""

    name: str

    async def pages(self, query: ResearchQuery) -> PageBatch:
        """Fetched pages with their main text extracted (fetched through safe fetch only)."""
        ...
