"""Headless Chromium for pages that only show their text after JavaScript runs (BROWSER_FALLBACK=true).

Chromium costs about 400 MB, so it is launched per call and closed at once, and only when the operator turned
it on. The same address policy as `fetch` applies. The URL is checked before navigating, and every request the
page makes (scripts, images, XHR) is intercepted, checked and performed by Playwright with redirects off; the
handler follows each redirect itself, checking every hop, and hands the browser the final response (Chromium
would follow a redirect it was given without asking the handler again). A redirected page is therefore shown
at its first URL. WebSockets and service workers are disabled. Chromium resolves names itself, so unlike
`fetch` this cannot pin the checked address; a name that changes its answer between the check and the request
is the remaining gap (docs/security.md).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from scriptorium.core.errors import ConfigurationError, FetchRefused, ScriptoriumError, SourceError
from scriptorium.core.settings import Settings
from scriptorium.core.web.fetch import MAX_REDIRECTS, FetchedPage
from scriptorium.core.web.policy import AllowList, check_url

if TYPE_CHECKING:
    from playwright.async_api import Route, WebSocketRoute

log = logging.getLogger(__name__)

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--dns-prefetch-disable",
)
_INLINE_SCHEMES = ("data:", "blob:", "about:")


async def render_with_browser(url: str, settings: Settings) -> FetchedPage:
    """The page's DOM after scripts ran, as HTML in `FetchedPage.text`; raise FetchRefused or SourceError."""
    if not settings.browser_fallback:
        raise ConfigurationError("the browser fallback is off: set BROWSER_FALLBACK=true (needs Chromium)")
    allow = AllowList.from_settings(settings)
    await check_url(url, allow)
    timeout_ms = settings.fetch_timeout_seconds * 1000
    deadline = settings.fetch_timeout_seconds * 2
    try:
        from playwright.async_api import Error as PlaywrightError
        from playwright.async_api import async_playwright
    except ImportError:
        raise ConfigurationError("BROWSER_FALLBACK needs Playwright: pip install 'scriptorium[browser]'") from None

    refused: list[str] = []
    landed: list[str] = []

    async def guard(route: Route) -> None:
        request = route.request
        current = request.url
        if current.startswith(_INLINE_SCHEMES):
            await route.continue_()
            return
        main_navigation = request.is_navigation_request() and request.frame.parent_frame is None
        for _ in range(MAX_REDIRECTS + 1):
            try:
                await check_url(current, allow)
            except ScriptoriumError as exc:
                log.info("browser request blocked: %s", exc.public_message)
                if main_navigation:
                    refused.append(exc.public_message)
                await route.abort("blockedbyclient")
                return
            try:
                response = await route.fetch(url=current, max_redirects=0, timeout=timeout_ms)
            except PlaywrightError:  # an unreachable sub-resource must fail that request, not stall the page
                await route.abort("failed")
                return
            location = response.headers.get("location")
            if not (300 <= response.status < 400 and location):
                break
            current = urljoin(current, location)
        else:
            await route.abort("blockedbyclient")
            return
        if main_navigation:
            landed.append(current)
        await route.fulfill(response=response)

    async def no_websockets(socket: WebSocketRoute) -> None:
        await socket.close(code=1008, reason="websockets are disabled")

    try:
        async with asyncio.timeout(deadline), async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=settings.chromium_path, args=list(CHROMIUM_FLAGS), headless=True
            )
            try:
                context = await browser.new_context(
                    service_workers="block", accept_downloads=False, user_agent=settings.fetch_user_agent
                )
                await context.route("**/*", guard)
                await context.route_web_socket("**/*", no_websockets)
                page = await context.new_page()
                response = await page.goto(url, wait_until="networkidle", timeout=timeout_ms)
                html = await page.content()
            finally:
                await browser.close()
    except TimeoutError:
        raise SourceError(
            f"rendering {url[:200]!r} took longer than {deadline:g} s", service="web", transient=True
        ) from None
    except PlaywrightError as exc:
        if refused:
            raise FetchRefused(refused[0], url=url) from exc
        raise SourceError(f"the browser could not render {url[:200]!r}", service="web", transient=True) from exc
    status = response.status if response is not None else 200
    if not 200 <= status < 300:
        raise SourceError(
            f"{url[:200]!r} answered HTTP {status}", service="web", status=status, transient=status >= 500
        )
    final_url = landed[-1] if landed else url
    body = html.encode("utf-8")
    return FetchedPage(url=url, final_url=final_url, status=status, content_type="text/html", body=body, text=html)
