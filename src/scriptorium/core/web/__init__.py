"""Safe web fetch and main-text extraction: the only way Scriptorium reads a page from the internet.

Contract:
- `fetch(http, url, *, settings, max_bytes=None, timeout=None, accept=DEFAULT_ACCEPT, headers=None)` returns a
  `FetchedPage(url, final_url, status, content_type, body, text)`. It refuses non-http(s) URLs and any host
  that resolves to a private, loopback, link-local, multicast, reserved, unspecified or cloud-metadata address
  unless FETCH_ALLOW_HOSTS names it (metadata never), connects to the address it checked, re-checks every
  redirect (at most 5), drops credentials across origins, caps the body while streaming and enforces one total
  deadline. Policy failures raise `FetchRefused`; network and HTTP failures raise `SourceError` (`transient`
  for 5xx, 429 and timeouts).
- `extract_main_text(html, url) -> ExtractedPage(title, text, links)`: the readable text, capped.
- `as_untrusted_block(source_id, text)`: fetched text wrapped for a prompt; it is data, never instructions.
  Put `UNTRUSTED_NOTICE` in the system prompt of any agent that sees such blocks.
- `render_with_browser(url, settings)`: headless Chromium for JavaScript-only pages, when BROWSER_FALLBACK=true.
"""

from __future__ import annotations

from scriptorium.core.web.browser import render_with_browser
from scriptorium.core.web.extract import UNTRUSTED_NOTICE, ExtractedPage, as_untrusted_block, extract_main_text
from scriptorium.core.web.fetch import DEFAULT_ACCEPT, FetchedPage, decode_text, fetch
from scriptorium.core.web.policy import AllowList, address_problem, check_url

__all__ = [
    "DEFAULT_ACCEPT",
    "UNTRUSTED_NOTICE",
    "AllowList",
    "ExtractedPage",
    "FetchedPage",
    "address_problem",
    "as_untrusted_block",
    "check_url",
    "decode_text",
    "extract_main_text",
    "fetch",
    "render_with_browser",
]
