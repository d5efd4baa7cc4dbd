"""Steps 2 and 3: ask every source in parallel, each under its own deadline, and never fail on one of them.

`identify` (the `research` step) looks the recipient up in the author directories and reads their pages;
the homonym guard then picks the profile. `collect_papers` (the `papers` step) lists that profile's works and
searches arXiv by name. A source that times out, is refused or breaks leaves a note and an empty result.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

import httpx

from scriptorium.core.errors import ScriptoriumError
from scriptorium.core.settings import Settings
from scriptorium.scribe.pipeline.guard import AuthorChoice, choose_author, directory_picks
from scriptorium.scribe.sources import (
    Arxiv,
    AuthorDirectory,
    AuthorRecord,
    OpenAlex,
    PageBatch,
    PageRecord,
    PageSource,
    PaperRecord,
    PaperSearch,
    ProfilePages,
    ResearchQuery,
    SemanticScholar,
    build_search,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class SourceSet:
    """The sources one run uses; tests and tools can swap any of them."""

    openalex: AuthorDirectory
    semantic_scholar: AuthorDirectory
    arxiv: PaperSearch
    profile: PageSource
    search: PageSource | None

    @classmethod
    def default(cls, settings: Settings, http: httpx.AsyncClient) -> SourceSet:
        return cls(
            openalex=OpenAlex(settings, http),
            semantic_scholar=SemanticScholar(settings, http),
            arxiv=Arxiv(settings, http),
            profile=ProfilePages(settings, http),
            search=build_search(settings, http),
        )

    @classmethod
    def silent(cls) -> SourceSet:
        """Sources that answer empty without any request: a dry run's recipient is a probe, not a person."""
        empty = NoResearch()
        return cls(openalex=empty, semantic_scholar=empty, arxiv=empty, profile=empty, search=None)


class NoResearch:
    """Every source protocol at once, answering empty; its page note says why the evidence is empty."""

    name = "dry_run"
    NOTE = "dry run: no research requests were made"

    async def find_authors(self, query: ResearchQuery) -> list[AuthorRecord]:
        return []

    async def works(self, author: AuthorRecord, query: ResearchQuery) -> list[PaperRecord]:
        return []

    async def search(self, query: ResearchQuery) -> list[PaperRecord]:
        return []

    async def pages(self, query: ResearchQuery) -> PageBatch:
        return PageBatch(pages=[], notes=[self.NOTE])


@dataclass
class Identity:
    """What the `research` step found: same-name profiles, pages, and the guard's choice among profiles."""

    openalex: AuthorChoice
    s2_candidates: list[AuthorRecord]
    s2_picks: list[AuthorRecord]
    s2_verified: AuthorRecord | None
    profile_pages: list[PageRecord]
    search_pages: list[PageRecord]
    notes: list[str] = field(default_factory=list)
    retrieved_at: dict[str, datetime] = field(default_factory=dict)


@dataclass
class Papers:
    """What the `papers` step found: works of the chosen profiles and arXiv candidates (unverified yet)."""

    openalex: list[PaperRecord] = field(default_factory=list)
    semantic_scholar: list[PaperRecord] = field(default_factory=list)
    arxiv: list[PaperRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    retrieved_at: dict[str, datetime] = field(default_factory=dict)


async def bounded(name: str, call: Awaitable[T], default: T, *, seconds: float, notes: list[str]) -> T:
    """Await `call` under a deadline of `seconds`; on any failure record a note and return `default`."""
    try:
        async with asyncio.timeout(seconds):
            return await call
    except TimeoutError:
        notes.append(f"{name}: timed out after {seconds:g} s")
    except ScriptoriumError as exc:
        message = exc.public_message
        notes.append(message if message.startswith(f"{name}:") else f"{name}: {message}")
    except Exception as exc:  # one broken source must never fail the email
        logger.warning("research source failed", extra={"source": name, "error": type(exc).__name__}, exc_info=exc)
        notes.append(f"{name}: failed ({type(exc).__name__})")
    return default


async def identify(query: ResearchQuery, sources: SourceSet, *, settings: Settings, now: datetime) -> Identity:
    """Directories and pages in parallel, then the homonym guard's choice of profile."""
    notes: list[str] = []
    timeout = settings.research_timeout_seconds
    empty = PageBatch(pages=[], notes=[])
    calls = (
        bounded("openalex", sources.openalex.find_authors(query), [], seconds=timeout, notes=notes),
        bounded("semantic_scholar", sources.semantic_scholar.find_authors(query), [], seconds=timeout, notes=notes),
        bounded("profile", _pages_or_empty(sources.profile, query), empty, seconds=timeout, notes=notes),
        bounded("search", _pages_or_empty(sources.search, query), empty, seconds=timeout, notes=notes),
    )
    openalex_authors, s2_authors, profile, search = await asyncio.gather(*calls)
    notes.extend([*profile.notes, *search.notes])
    profile_texts = [page.text for page in profile.pages]
    choice = choose_author(openalex_authors, query, profile_texts)
    # When OpenAlex shows two plausible people, Semantic Scholar's thinner profiles cannot settle it.
    picks = [] if choice.ambiguous else directory_picks(s2_authors, query, profile_texts)
    s2_choice = choose_author([p for p in picks if p.institutions], query, profile_texts)
    return Identity(
        openalex=choice,
        s2_candidates=s2_authors,
        s2_picks=picks,
        s2_verified=s2_choice.author,
        profile_pages=profile.pages,
        search_pages=search.pages,
        notes=notes,
        retrieved_at=dict.fromkeys(("openalex", "semantic_scholar", "web", "search"), now),
    )


async def _pages_or_empty(source: PageSource | None, query: ResearchQuery) -> PageBatch:
    if source is None:
        return PageBatch(pages=[], notes=[])
    return await source.pages(query)


async def _works(directory: AuthorDirectory, authors: list[AuthorRecord], query: ResearchQuery) -> list[PaperRecord]:
    batches = await asyncio.gather(*(directory.works(author, query) for author in authors))
    return [paper for batch in batches for paper in batch]


async def collect_papers(
    query: ResearchQuery, identity: Identity, sources: SourceSet, *, settings: Settings, now: datetime
) -> Papers:
    """Works of the accepted OpenAlex profile and of the Semantic Scholar picks, plus arXiv for research emails."""
    papers = Papers()
    timeout = settings.research_timeout_seconds
    chosen = [identity.openalex.author] if identity.openalex.author else []
    calls = (
        bounded("openalex", _works(sources.openalex, chosen, query), [], seconds=timeout, notes=papers.notes),
        bounded(
            "semantic_scholar",
            _works(sources.semantic_scholar, identity.s2_picks, query),
            [],
            seconds=timeout,
            notes=papers.notes,
        ),
        bounded("arxiv", _arxiv(sources.arxiv, query), [], seconds=timeout, notes=papers.notes),
    )
    papers.openalex, papers.semantic_scholar, papers.arxiv = await asyncio.gather(*calls)
    papers.retrieved_at = dict.fromkeys(("openalex", "semantic_scholar", "arxiv"), now)
    return papers


async def _arxiv(search: PaperSearch, query: ResearchQuery) -> list[PaperRecord]:
    """Books and general emails do not cite preprints; only research emails search arXiv."""
    if query.template_type != "research":
        return []
    return await search.search(query)
