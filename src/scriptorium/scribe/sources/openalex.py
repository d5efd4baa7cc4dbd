"""OpenAlex: disambiguated author profiles (institutions, topics) and the works attributed to each profile.

OpenAlex is the anchor of the homonym guard: its author ids are already disambiguated, so once the guard picks
the right profile, `works` lists only that person's papers and books.
"""

from __future__ import annotations

from typing import Any

import httpx

from scriptorium.core.settings import Settings
from scriptorium.scribe.sources.base import AuthorRecord, PaperRecord, ResearchQuery
from scriptorium.scribe.sources.http import get_json, headers_for
from scriptorium.scribe.sources.text import name_matches, orcid_ids

_AUTHORS_PER_SEARCH = 10
_WORKS_PER_AUTHOR = 25


def short_id(openalex_id: str) -> str:
    """`https://openalex.org/A5000000001` -> `A5000000001`."""
    return openalex_id.rstrip("/").rsplit("/", 1)[-1]


def abstract_text(inverted: dict[str, list[int]] | None) -> str:
    """OpenAlex ships abstracts as an inverted index (word -> positions); rebuild the running text."""
    if not inverted:
        return ""
    positions = {pos: word for word, places in inverted.items() for pos in places}
    return " ".join(positions[index] for index in sorted(positions))


def _names(items: list[dict[str, Any]] | None, *path: str) -> list[str]:
    out: list[str] = []
    for item in items or []:
        node: Any = item
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, str) and node and node not in out:
            out.append(node)
    return out


def parse_author(data: dict[str, Any]) -> AuthorRecord:
    institutions = _names(data.get("last_known_institutions"), "display_name")
    for name in _names(data.get("affiliations"), "institution", "display_name"):
        if name not in institutions:
            institutions.append(name)
    topics = _names(data.get("topics"), "display_name")
    for level in ("subfield", "field"):
        for name in _names(data.get("topics"), level, "display_name"):
            if name not in topics:
                topics.append(name)
    return AuthorRecord(
        kind="openalex",
        author_id=short_id(str(data.get("id", ""))),
        name=str(data.get("display_name") or ""),
        url=str(data.get("id", "")),
        institutions=tuple(institutions),
        topics=tuple(topics),
        works_count=int(data.get("works_count") or 0),
        alternative_names=tuple(str(n) for n in data.get("display_name_alternatives") or []),
        orcid=next(iter(orcid_ids(str(data.get("orcid") or ""))), None),
    )


def parse_work(data: dict[str, Any]) -> PaperRecord:
    location = data.get("primary_location") or {}
    venue = (location.get("source") or {}).get("display_name") or ""
    url = data.get("doi") or location.get("landing_page_url") or str(data.get("id", ""))
    authorships = data.get("authorships") or []
    return PaperRecord(
        kind="openalex",
        paper_id=short_id(str(data.get("id", ""))),
        title=str(data.get("display_name") or data.get("title") or "").strip(),
        url=str(url),
        year=data.get("publication_year"),
        authors=tuple(_names(authorships, "author", "display_name")),
        author_ids=tuple(short_id(i) for i in _names(authorships, "author", "id")),
        abstract=abstract_text(data.get("abstract_inverted_index")),
        venue=str(venue),
        work_type=str(data.get("type") or "article"),
        categories=tuple(_names(data.get("topics"), "display_name")),
        found_via="openalex author id",
        author_orcids=tuple(sorted(orcid_ids(" ".join(_names(authorships, "author", "orcid"))))),
    )


def _same_person_name(author: AuthorRecord, name: str) -> bool:
    """The display name matches, or a fully spelled alternative does (`M. Chen` is everyone's alternative)."""
    if name_matches(author.name, name):
        return True
    return any(name_matches(alt, name, initials=False) for alt in author.alternative_names)


class OpenAlex:
    """`/authors?search=` then `/works?filter=author.id:` on OPENALEX_BASE_URL."""

    name = "openalex"

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._http = http
        self._base = settings.openalex_base_url.rstrip("/")

    def _params(self, **params: Any) -> dict[str, Any]:
        if self._settings.openalex_mailto:
            params["mailto"] = self._settings.openalex_mailto
        return params

    async def find_authors(self, query: ResearchQuery) -> list[AuthorRecord]:
        data = await get_json(
            self._http,
            f"{self._base}/authors",
            service=self.name,
            per_request=self._settings.research_timeout_seconds,
            params=self._params(search=query.name, **{"per-page": _AUTHORS_PER_SEARCH}),
            headers=headers_for(self._settings),
        )
        authors = [parse_author(item) for item in data.get("results") or [] if isinstance(item, dict)]
        return [a for a in authors if _same_person_name(a, query.name)]

    async def works(self, author: AuthorRecord, query: ResearchQuery) -> list[PaperRecord]:
        data = await get_json(
            self._http,
            f"{self._base}/works",
            service=self.name,
            per_request=self._settings.research_timeout_seconds,
            params=self._params(
                filter=f"author.id:{author.author_id}",
                sort="publication_date:desc",
                **{"per-page": _WORKS_PER_AUTHOR},
            ),
            headers=headers_for(self._settings),
        )
        works = [parse_work(item) for item in data.get("results") or [] if isinstance(item, dict)]
        return [w for w in works if w.title and author.author_id in w.author_ids]
