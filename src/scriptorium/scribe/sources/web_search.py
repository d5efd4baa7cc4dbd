"""Web search for pages about the recipient: Exa (EXA_API_KEY) or a SearXNG instance (SEARXNG_URL).

The provider only suggests URLs; each result page is then fetched with safe fetch like any other page, so a
search result can never reach a private address, and its text is judged by the same evidence rules.
"""

from __future__ import annotations

from typing import Any

import httpx

from scriptorium.core.errors import SourceError
from scriptorium.core.settings import Settings
from scriptorium.scribe.sources.base import PageBatch, PageSource, ResearchQuery
from scriptorium.scribe.sources.http import get_json, headers_for, request
from scriptorium.scribe.sources.pages import fetch_pages

RESULTS = 5
PAGES_FETCHED = 3


def search_text(query: ResearchQuery) -> str:
    """`"Maria Chen" protein folding University of Northbridge`: the exact name narrows homonyms."""
    parts = [f'"{query.name}"', query.interest]
    if query.affiliation:
        parts.append(query.affiliation)
    return " ".join(parts)


def _pairs(results: list[Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for item in results:
        if not isinstance(item, dict):
            continue
        url = str(item.get("url") or "")
        if url.startswith(("http://", "https://")) and url not in {u for u, _ in pairs}:
            pairs.append((url, str(item.get("title") or "")))
    return pairs[:PAGES_FETCHED]


class ExaSearch:
    """`POST /search` on EXA_BASE_URL with the `x-api-key` header."""

    name = "exa"

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._http = http

    async def pages(self, query: ResearchQuery) -> PageBatch:
        key = self._settings.exa_api_key.get_secret_value()
        response = await request(
            self._http,
            "POST",
            f"{self._settings.exa_base_url.rstrip('/')}/search",
            service=self.name,
            per_request=self._settings.research_timeout_seconds,
            json={"query": search_text(query), "numResults": RESULTS, "type": "auto"},
            headers=headers_for(self._settings, {"x-api-key": key}),
        )
        try:
            results = response.json().get("results") or []
        except (ValueError, AttributeError) as exc:
            raise SourceError("exa: the response was not a result list", service=self.name) from exc
        return await fetch_pages(self._http, self._settings, _pairs(results), kind="search", via=self.name)


class SearxngSearch:
    """`GET /search?format=json` on SEARXNG_URL."""

    name = "searxng"

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._http = http

    async def pages(self, query: ResearchQuery) -> PageBatch:
        data = await get_json(
            self._http,
            f"{self._settings.searxng_url.rstrip('/')}/search",
            service=self.name,
            per_request=self._settings.research_timeout_seconds,
            params={"q": search_text(query), "format": "json"},
            headers=headers_for(self._settings),
        )
        results = data.get("results") if isinstance(data, dict) else None
        return await fetch_pages(self._http, self._settings, _pairs(results or []), kind="search", via=self.name)


def build_search(settings: Settings, http: httpx.AsyncClient) -> PageSource | None:
    """Exa when EXA_API_KEY is set, else SearXNG when SEARXNG_URL is set, else no web search."""
    if settings.exa_api_key.get_secret_value():
        return ExaSearch(settings, http)
    if settings.searxng_url:
        return SearxngSearch(settings, http)
    return None
