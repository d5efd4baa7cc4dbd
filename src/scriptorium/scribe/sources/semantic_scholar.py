"""Semantic Scholar Graph API: author search and each author's papers.

Its author profiles are less reliably disambiguated than OpenAlex's and often carry no affiliation, so the guard
verifies its papers one by one (affiliation, a title shared with a verified OpenAlex work, or the topic).
"""

from __future__ import annotations

from typing import Any

import httpx

from scriptorium.core.settings import Settings
from scriptorium.scribe.sources.base import AuthorRecord, PaperRecord, ResearchQuery
from scriptorium.scribe.sources.http import get_json, headers_for
from scriptorium.scribe.sources.text import name_matches

_AUTHOR_FIELDS = "name,affiliations,homepage,paperCount,url"
_PAPER_FIELDS = "title,year,abstract,venue,url,authors,externalIds,publicationTypes"
_AUTHORS_PER_SEARCH = 10
_PAPERS_PER_AUTHOR = 20


def parse_author(data: dict[str, Any]) -> AuthorRecord:
    author_id = str(data.get("authorId") or "")
    return AuthorRecord(
        kind="semantic_scholar",
        author_id=author_id,
        name=str(data.get("name") or ""),
        url=str(data.get("url") or f"https://www.semanticscholar.org/author/{author_id}"),
        institutions=tuple(str(a) for a in data.get("affiliations") or [] if a),
        works_count=int(data.get("paperCount") or 0),
        homepage=data.get("homepage") or None,
    )


def parse_paper(data: dict[str, Any]) -> PaperRecord:
    paper_id = str(data.get("paperId") or "")
    authors = [a for a in data.get("authors") or [] if isinstance(a, dict)]
    types = [str(t).lower() for t in data.get("publicationTypes") or []]
    work_type = "book" if "book" in types else "article"
    return PaperRecord(
        kind="semantic_scholar",
        paper_id=paper_id,
        title=str(data.get("title") or "").strip(),
        url=str(data.get("url") or f"https://www.semanticscholar.org/paper/{paper_id}"),
        year=data.get("year"),
        authors=tuple(str(a.get("name") or "") for a in authors),
        author_ids=tuple(str(a.get("authorId") or "") for a in authors),
        abstract=str(data.get("abstract") or ""),
        venue=str(data.get("venue") or ""),
        work_type=work_type,
    )


class SemanticScholar:
    """`/author/search` then `/author/{id}/papers` on SEMANTIC_SCHOLAR_BASE_URL."""

    name = "semantic_scholar"

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._http = http
        self._base = settings.semantic_scholar_base_url.rstrip("/")
        key = settings.semantic_scholar_api_key.get_secret_value()
        self._headers = headers_for(settings, {"x-api-key": key} if key else None)

    async def find_authors(self, query: ResearchQuery) -> list[AuthorRecord]:
        data = await get_json(
            self._http,
            f"{self._base}/author/search",
            service=self.name,
            per_request=self._settings.research_timeout_seconds,
            params={"query": query.name, "fields": _AUTHOR_FIELDS, "limit": _AUTHORS_PER_SEARCH},
            headers=self._headers,
        )
        authors = [parse_author(item) for item in data.get("data") or [] if isinstance(item, dict)]
        return [a for a in authors if a.author_id and name_matches(a.name, query.name)]

    async def works(self, author: AuthorRecord, query: ResearchQuery) -> list[PaperRecord]:
        data = await get_json(
            self._http,
            f"{self._base}/author/{author.author_id}/papers",
            service=self.name,
            per_request=self._settings.research_timeout_seconds,
            params={"fields": _PAPER_FIELDS, "limit": _PAPERS_PER_AUTHOR},
            headers=self._headers,
        )
        papers = [parse_paper(item) for item in data.get("data") or [] if isinstance(item, dict)]
        return [p for p in papers if p.title]
