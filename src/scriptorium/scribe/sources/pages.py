"""Fetching research pages through safe fetch, and the user's own profile URLs.

Every page here is untrusted: it goes through `scriptorium.core.web.fetch` (private addresses refused unless
allow-listed, size and time capped) and only its extracted main text is kept. What the text may contribute to an
email is decided later, sentence by sentence, in the evidence step.
"""

from __future__ import annotations

import asyncio

import httpx

from scriptorium.core.errors import ScriptoriumError
from scriptorium.core.settings import Settings
from scriptorium.core.web import decode_text, extract_main_text, fetch
from scriptorium.scribe.pipeline.types import SourceKind
from scriptorium.scribe.sources.base import PageBatch, PageRecord, ResearchQuery

PAGE_ACCEPT = ("text/html", "application/xhtml+xml", "text/plain")
PAGE_TEXT_CHARS = 20_000
MAX_PROFILE_URLS = 5  # the request schema's cap (PROFILE_URLS_MAX): every URL the user gives is read


async def fetch_page(
    http: httpx.AsyncClient, settings: Settings, url: str, *, kind: SourceKind, via: str, snippet: str = ""
) -> PageRecord:
    """One page's main text; raises FetchRefused or SourceError like safe fetch does."""
    page = await fetch(http, url, settings=settings, accept=PAGE_ACCEPT)
    if page.content_type.startswith("text/plain"):
        title, text = "", page.text or decode_text(page.body, page.content_type)
    else:
        # Extraction is CPU-bound (up to ~250 ms on a long page): keep it off the event loop.
        extracted = await asyncio.to_thread(extract_main_text, page.text, page.final_url, max_chars=PAGE_TEXT_CHARS)
        title, text = extracted.title, extracted.text
    return PageRecord(kind=kind, url=page.final_url, title=title or page.final_url, text=text, via=via, snippet=snippet)


async def fetch_pages(
    http: httpx.AsyncClient,
    settings: Settings,
    urls: list[tuple[str, str]],
    *,
    kind: SourceKind,
    via: str,
) -> PageBatch:
    """Fetch `(url, snippet)` pairs in parallel; a refused or failed page becomes a note, never an exception."""
    results = await asyncio.gather(
        *(fetch_page(http, settings, url, kind=kind, via=via, snippet=snippet) for url, snippet in urls),
        return_exceptions=True,
    )
    batch = PageBatch(pages=[], notes=[])
    for (url, _), result in zip(urls, results, strict=True):
        if isinstance(result, PageRecord):
            if result.text.strip():
                batch.pages.append(result)
            else:
                batch.notes.append(f"{via}: {url[:200]} had no readable text")
        elif isinstance(result, ScriptoriumError):
            batch.notes.append(f"{via}: {result.public_message}")
        elif isinstance(result, Exception):
            batch.notes.append(f"{via}: {url[:200]} could not be read ({type(result).__name__})")
        else:
            raise result
    return batch


class ProfilePages:
    """The recipient's pages as the user listed them (faculty page, lab site, CV page)."""

    name = "profile"

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._http = http

    async def pages(self, query: ResearchQuery) -> PageBatch:
        urls = [(url, "") for url in query.profile_urls[:MAX_PROFILE_URLS]]
        batch = await fetch_pages(self._http, self._settings, urls, kind="web", via=self.name)
        if len(query.profile_urls) > MAX_PROFILE_URLS:
            batch.notes.append(f"profile: only {MAX_PROFILE_URLS} profile URLs are read; the rest were ignored")
        return batch
