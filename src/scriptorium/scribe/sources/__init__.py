"""Research sources for Scribe, one module each, behind three small protocols (see `base`).

`openalex` and `semantic_scholar` are author directories, `arxiv` is a by-name paper search, `pages` reads the
recipient's own profile URLs and `web_search` finds more pages through Exa or SearXNG. All network access is
bounded by RESEARCH_TIMEOUT_SECONDS per source, and pages are only ever read through safe fetch.
"""

from scriptorium.scribe.sources.arxiv import Arxiv
from scriptorium.scribe.sources.base import (
    AuthorDirectory,
    AuthorRecord,
    PageBatch,
    PageRecord,
    PageSource,
    PaperRecord,
    PaperSearch,
    ResearchQuery,
)
from scriptorium.scribe.sources.openalex import OpenAlex
from scriptorium.scribe.sources.pages import ProfilePages
from scriptorium.scribe.sources.semantic_scholar import SemanticScholar
from scriptorium.scribe.sources.web_search import ExaSearch, SearxngSearch, build_search

__all__ = [
    "Arxiv",
    "AuthorDirectory",
    "AuthorRecord",
    "ExaSearch",
    "OpenAlex",
    "PageBatch",
    "PageRecord",
    "PageSource",
    "PaperRecord",
    "PaperSearch",
    "ProfilePages",
    "ResearchQuery",
    "SearxngSearch",
    "SemanticScholar",
    "build_search",
]
