"""A loopback twin of the scholarly services Scribe researches with, serving fixtures from tests/fixtures/scholarly.

One Starlette app, one port, one path prefix per service (the settings point each base URL at its prefix):

| route key          | request                                              | fixture                               |
|--------------------|------------------------------------------------------|---------------------------------------|
| `openalex.authors` | `GET /openalex/authors?search=NAME`                  | openalex/authors.json (by family name)|
| `openalex.works`   | `GET /openalex/works?filter=author.id:A...`          | openalex/works.json (by authorship)   |
| `arxiv`            | `GET /arxiv/api/query?search_query=au:"NAME"`        | arxiv/feed.xml (entries by author)    |
| `s2.authors`       | `GET /s2/graph/v1/author/search?query=NAME`          | semantic_scholar/authors.json         |
| `s2.papers`        | `GET /s2/graph/v1/author/{id}/papers`                | semantic_scholar/papers.json          |
| `exa`              | `POST /exa/search` (needs `x-api-key: twin-exa-key`) | search/exa.json                       |
| `searxng`          | `GET /searxng/search?q=...&format=json`              | search/searxng.json                   |
| `pages`            | `GET /pages/{name}.html`                             | pages/*.html (`{base}` filled in)     |

Tests can add latency per route (`twin.latency["arxiv"] = 2.0`), make a route fail (`twin.fail("s2.authors", 503,
times=1)`), add pages (`twin.pages["x"] = "<html>..."`), and read `twin.requests` (every request, failed ones too).
`twin.settings_overrides()` points Settings at the twin with FETCH_ALLOW_HOSTS=127.0.0.1, and
`twin.use_upstream_latency()` reproduces the original's research (5.3 s) and papers (0.8 s) step timings; pair it
with `openai_twin.latency` 1.2 s (template) and 3.1 s (compose) for the whole 10.4 s.
"""

from __future__ import annotations

import asyncio
import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "scholarly"
EXA_KEY = "twin-exa-key"
ATOM = "{http://www.w3.org/2005/Atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
ET.register_namespace("", "http://www.w3.org/2005/Atom")
ET.register_namespace("opensearch", "http://a9.com/-/spec/opensearch/1.1/")
ET.register_namespace("arxiv", "http://arxiv.org/schemas/atom")

# Latency per route that reproduces the original's measured step timings (research 5.3 s, papers 0.8 s).
UPSTREAM_LATENCY = {"openalex.authors": 5.3, "s2.authors": 5.3, "pages": 1.0, "openalex.works": 0.8,
                    "s2.papers": 0.8, "arxiv": 0.8}  # fmt: skip


@dataclass(frozen=True)
class Recorded:
    route: str
    method: str
    path: str
    params: dict[str, str]
    body: Any
    headers: dict[str, str]


@dataclass
class _Fault:
    status: int
    times: int | None
    headers: dict[str, str] = field(default_factory=dict)


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", _fold(text))


class ScholarlyTwin:
    """OpenAlex, arXiv, Semantic Scholar, Exa, SearXNG and faculty pages on one loopback server."""

    def __init__(self, fixtures: Path = FIXTURES) -> None:
        self.fixtures = fixtures
        self.base_url = ""
        self.requests: list[Recorded] = []
        self.latency: dict[str, float] = {}
        self.pages: dict[str, str] = {}
        self._faults: dict[str, _Fault] = {}
        self.app = Starlette(
            routes=[
                Route("/openalex/authors", self._openalex_authors),
                Route("/openalex/works", self._openalex_works),
                Route("/arxiv/api/query", self._arxiv),
                Route("/s2/graph/v1/author/search", self._s2_authors),
                Route("/s2/graph/v1/author/{author_id}/papers", self._s2_papers),
                Route("/exa/search", self._exa, methods=["POST"]),
                Route("/searxng/search", self._searxng),
                Route("/pages/{name}", self._page),
            ]
        )
        self.reset()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    # --- control --------------------------------------------------------------------------------
    def reset(self) -> None:
        self.requests.clear()
        self.latency.clear()
        self._faults.clear()
        self.pages = {p.stem: p.read_text() for p in (self.fixtures / "pages").glob("*.html")}

    def fail(
        self, route: str, status: int = 503, *, times: int | None = None, headers: dict[str, str] | None = None
    ) -> None:
        """Answer `route` with `status` (the next `times` requests, or always when `times` is None)."""
        self._faults[route] = _Fault(status, times, headers or {})

    def use_upstream_latency(self) -> None:
        """Delay each route like the original system's measured steps (benchmarks)."""
        self.latency.update(UPSTREAM_LATENCY)

    def requests_to(self, route: str) -> list[Recorded]:
        return [r for r in self.requests if r.route == route]

    def page_url(self, name: str) -> str:
        return f"{self.base_url}/pages/{name}.html"

    def settings_overrides(self, *, exa: bool = False, searxng: bool = False, timeout: float = 5.0) -> dict[str, Any]:
        values: dict[str, Any] = {
            "openalex_base_url": f"{self.base_url}/openalex",
            "arxiv_base_url": f"{self.base_url}/arxiv/api/query",
            "semantic_scholar_base_url": f"{self.base_url}/s2/graph/v1",
            "fetch_allow_hosts": ["127.0.0.1"],
            "research_timeout_seconds": timeout,
        }
        if exa:
            values |= {"exa_api_key": EXA_KEY, "exa_base_url": f"{self.base_url}/exa"}
        if searxng:
            values["searxng_url"] = f"{self.base_url}/searxng"
        return values

    # --- plumbing -------------------------------------------------------------------------------
    async def _enter(self, route: str, request: Request) -> Response | None:
        body: Any = None
        if request.method == "POST":
            raw = await request.body()
            body = json.loads(raw) if raw else None
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.requests.append(
            Recorded(route, request.method, request.url.path, dict(request.query_params), body, headers)
        )
        # The fault is taken on arrival, before the wait: a slow request left over from an earlier test must not
        # wake up and use up the faults the next test set.
        fault = self._faults.get(route)
        if fault is not None and fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                del self._faults[route]
        delay = self.latency.get(route, 0.0)
        if delay:
            await asyncio.sleep(delay)
        if fault is not None:
            return JSONResponse({"error": "injected failure"}, status_code=fault.status, headers=fault.headers)
        return None

    def _load(self, relative: str) -> Any:
        text = (self.fixtures / relative).read_text().replace("{base}", self.base_url)
        return json.loads(text)

    # --- OpenAlex -------------------------------------------------------------------------------
    async def _openalex_authors(self, request: Request) -> Response:
        if (failed := await self._enter("openalex.authors", request)) is not None:
            return failed
        data = self._load("openalex/authors.json")
        family = (_words(request.query_params.get("search", "")) or [""])[-1]
        results = [a for a in data["results"] if family and family in _words(a["display_name"])]
        return JSONResponse({"meta": {**data["meta"], "count": len(results)}, "results": results})

    async def _openalex_works(self, request: Request) -> Response:
        if (failed := await self._enter("openalex.works", request)) is not None:
            return failed
        data = self._load("openalex/works.json")
        match = re.fullmatch(r"author\.id:(A\d+)", request.query_params.get("filter", ""))
        author = f"https://openalex.org/{match.group(1)}" if match else ""
        results = [w for w in data["results"] if any(a["author"]["id"] == author for a in w["authorships"])]
        results.sort(key=lambda w: w["publication_date"], reverse=True)
        return JSONResponse({"meta": {**data["meta"], "count": len(results)}, "results": results})

    # --- arXiv ----------------------------------------------------------------------------------
    async def _arxiv(self, request: Request) -> Response:
        if (failed := await self._enter("arxiv", request)) is not None:
            return failed
        query = request.query_params.get("search_query", "")
        match = re.fullmatch(r'au:"([^"]+)"', query)
        wanted = _words(match.group(1)) if match else []
        feed = ET.parse(self.fixtures / "arxiv" / "feed.xml").getroot()
        kept = 0
        for entry in list(feed.findall(f"{ATOM}entry")):
            names = [_words(a.findtext(f"{ATOM}name", "")) for a in entry.findall(f"{ATOM}author")]
            if wanted and any(n and n[-1] == wanted[-1] for n in names):  # family name, like arXiv's fuzzy au:
                kept += 1
            else:
                feed.remove(entry)
        total = feed.find(f"{OPENSEARCH}totalResults")
        if total is not None:
            total.text = str(kept)
        body = ET.tostring(feed, encoding="unicode", xml_declaration=True)
        return Response(body, media_type="application/atom+xml; charset=utf-8")

    # --- Semantic Scholar -----------------------------------------------------------------------
    async def _s2_authors(self, request: Request) -> Response:
        if (failed := await self._enter("s2.authors", request)) is not None:
            return failed
        data = self._load("semantic_scholar/authors.json")
        family = (_words(request.query_params.get("query", "")) or [""])[-1]
        results = [a for a in data["data"] if family and family in _words(a["name"])]
        return JSONResponse({"total": len(results), "offset": 0, "data": results})

    async def _s2_papers(self, request: Request) -> Response:
        if (failed := await self._enter("s2.papers", request)) is not None:
            return failed
        papers = self._load("semantic_scholar/papers.json").get(request.path_params["author_id"])
        if papers is None:
            return JSONResponse({"error": "Author not found"}, status_code=404)
        return JSONResponse(papers)

    # --- web search -----------------------------------------------------------------------------
    def _search(self, relative: str, text: str) -> dict[str, Any] | None:
        folded = _fold(text)
        for entry in self._load(relative)["queries"]:
            if all(term in folded for term in entry["match"]):
                return dict(entry["response"])
        return None

    async def _exa(self, request: Request) -> Response:
        if (failed := await self._enter("exa", request)) is not None:
            return failed
        if request.headers.get("x-api-key") != EXA_KEY:
            return JSONResponse({"error": "Invalid API key"}, status_code=401)
        body = json.loads(await request.body() or b"{}")
        found = self._search("search/exa.json", str(body.get("query", "")))
        return JSONResponse(found or {"requestId": "none", "resolvedSearchType": "neural", "results": []})

    async def _searxng(self, request: Request) -> Response:
        if (failed := await self._enter("searxng", request)) is not None:
            return failed
        if request.query_params.get("format") != "json":
            return Response("format must be json", status_code=403)
        query = request.query_params.get("q", "")
        found = self._search("search/searxng.json", query) or {"results": [], "number_of_results": 0}
        return JSONResponse({**found, "query": query})

    # --- pages ----------------------------------------------------------------------------------
    async def _page(self, request: Request) -> Response:
        if (failed := await self._enter("pages", request)) is not None:
            return failed
        name = request.path_params["name"].removesuffix(".html")
        html = self.pages.get(name)
        if html is None:
            return Response("not found", status_code=404, media_type="text/plain")
        return Response(html.replace("{base}", self.base_url), media_type="text/html; charset=utf-8")
