"""The shell around both apps: home page, navigation, deep links, not-found, health display, phone and dark mode."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, Route, expect

from scriptorium.companion.cli import SAMPLE_DIR
from tests.browser.conftest import LiveServer
from tests.companion.conftest import ingest

pytestmark = pytest.mark.browser


def status_value(page: Page, label: str) -> Locator:
    """The value next to `label` in the home page's server status list."""
    term = page.get_by_test_id("health-details").locator("dt", has_text=label)
    return term.locator("xpath=following-sibling::dd[1]")


def test_home_presents_both_apps_and_the_servers_health(page: Page) -> None:
    page.goto("/")

    expect(page.get_by_role("heading", name="Scriptorium", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Open Scribe")).to_have_attribute("href", "/scribe")
    expect(page.get_by_role("link", name="Start reading")).to_have_attribute("href", "/read")
    # The start page is for readers (issue 13): what the server runs on is one footer link away.
    expect(page.get_by_test_id("health-status")).to_have_count(0)
    page.get_by_role("link", name="Server status").click()
    expect(page.get_by_test_id("health-status")).to_have_text("All systems working")
    expect(page.get_by_test_id("health-profile")).to_have_text("Profile: lite")
    expect(page.get_by_test_id("offline-badge")).to_have_text("Offline mode")
    expect(status_value(page, "Chat model")).to_have_text("offline (no language model configured)")
    expect(status_value(page, "Embeddings")).to_have_text("offline")
    expect(status_value(page, "Database")).to_have_text("sqlite")
    expect(status_value(page, "Jobs")).to_have_text("sqlite")
    expect(status_value(page, "Storage")).to_have_text("local")
    expect(page).to_have_title(re.compile("Server status"))


def test_nav_switches_apps_without_reloading_the_page(page: Page) -> None:
    page.goto("/")
    page.evaluate("window.__sameDocument = true")
    nav = page.get_by_role("navigation", name="Main")

    nav.get_by_role("link", name="Scribe").click()
    expect(page).to_have_url(re.compile(r"^http://127\.0\.0\.1:\d+/scribe$"))
    expect(nav.get_by_role("link", name="Scribe")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", name="Page not found")).to_have_count(0)
    expect(page.locator("main h1")).not_to_have_count(0)

    nav.get_by_role("link", name="Companion").click()
    expect(page).to_have_url(re.compile(r"^http://127\.0\.0\.1:\d+/read$"))
    expect(nav.get_by_role("link", name="Companion")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Scribe")).not_to_have_attribute("aria-current", "page")

    nav.get_by_role("link", name="Scriptorium").click()
    expect(page.get_by_role("link", name="Open Scribe")).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True, "navigation reloaded the document"


@pytest.mark.parametrize("path", ["/read", "/scribe", "/scribe/some/deep/path?x=1"])
def test_deep_link_is_served_the_app_and_survives_reload(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/html")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_visible()
    current = "Companion" if path.startswith("/read") else "Scribe"
    expect(nav.get_by_role("link", name=current)).to_have_attribute("aria-current", "page")

    page.reload()
    expect(nav.get_by_role("link", name=current)).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", name="Page not found")).to_have_count(0)


def test_unknown_route_shows_not_found_with_a_way_home(page: Page) -> None:
    response = page.goto("/no/such/page")
    assert response is not None
    assert response.status == 200  # the server hands every UI path to the app; the app decides

    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.locator("main code")).to_have_text("/no/such/page")
    expect(page).to_have_title("Page not found · Scriptorium")
    page.get_by_role("link", name="Go to the start page").click()
    expect(page.get_by_role("link", name="Open Scribe")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


def test_api_paths_are_not_answered_with_the_app(page: Page) -> None:
    response = page.request.get("/api/no-such-endpoint")
    assert response.status == 404
    body = response.json()
    assert body["code"] == "not_found"
    assert "request_id" in body


def test_no_sign_in_is_offered_when_auth_mode_is_none(page: Page) -> None:
    page.goto("/status")
    expect(page.get_by_test_id("health-status")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    page.goto("/signin")
    expect(page.get_by_role("heading", name="No sign-in needed")).to_be_visible()


def test_degraded_health_names_the_failing_component(page: Page) -> None:
    report = {
        "status": "degraded",
        "profile": "scale",
        "failing": ["database"],
        "components": {
            "database": {"status": "error", "error": "TimeoutError", "ms": 1500.0},
            "providers": {"status": "ok", "chat": "openai:gpt-4o-mini", "embeddings": "voyage", "offline": False},
        },
    }

    def degraded(route: Route) -> None:
        route.fulfill(status=503, content_type="application/json", body=json.dumps(report))

    page.route("**/health", degraded)
    page.goto("/status")

    expect(page.get_by_test_id("health-status")).to_have_text("Degraded: database")
    expect(page.get_by_test_id("health-profile")).to_have_text("Profile: scale")
    expect(page.get_by_test_id("offline-badge")).to_have_count(0)
    expect(status_value(page, "Chat model")).to_have_text("openai:gpt-4o-mini")
    expect(status_value(page, "Database")).to_have_text("failing: TimeoutError")
    expect(status_value(page, "Jobs")).to_have_text("not reported")


def test_unreadable_health_answer_shows_a_human_error(page: Page) -> None:
    def bad_gateway(route: Route) -> None:
        route.fulfill(status=502, content_type="text/html", body="<html>Bad gateway</html>")

    page.route("**/health", bad_gateway)
    page.goto("/status")

    expect(page.get_by_test_id("health-error")).to_have_text("The server had a problem (HTTP 502). Try again shortly.")


def test_home_fits_a_phone_screen(new_page: Callable[..., Page], live_server: LiveServer) -> None:
    phone = new_page(live_server.url, viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    phone.goto("/")
    expect(phone.get_by_role("link", name="Start reading")).to_be_visible()

    overflow = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a phone"
    scribe = phone.get_by_role("link", name="Open Scribe").bounding_box()
    reader = phone.get_by_role("link", name="Start reading").bounding_box()
    assert scribe is not None and reader is not None
    top, bottom = sorted([scribe, reader], key=lambda box: box["y"])
    assert bottom["y"] > top["y"] + top["height"], "app cards should stack on a phone"


def test_dark_colour_scheme_is_followed(new_page: Callable[..., Page], live_server: LiveServer) -> None:
    dark = new_page(live_server.url, color_scheme="dark")
    dark.goto("/")
    expect(dark.get_by_role("link", name="Start reading")).to_be_visible()

    background = dark.evaluate("getComputedStyle(document.body).backgroundColor")
    channels = [int(part) for part in background.removeprefix("rgb(").removesuffix(")").split(",")[:3]]
    assert max(channels) < 60, f"body background {background} is not dark"


def test_keyboard_users_can_skip_to_content(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("link", name="Start reading")).to_be_visible()  # rendered: Tab has somewhere to go
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


SIZES: dict[str, dict[str, Any]] = {
    "desktop-1440": {"viewport": {"width": 1440, "height": 900}},
    "phone-390": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


def sideways(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


@pytest.mark.parametrize("size", list(SIZES))
def test_no_page_scrolls_sideways(
    start_live_server: Callable[..., LiveServer], new_page: Callable[..., Page], size: str
) -> None:
    """Every page of the UI, with the sample comic loaded (issue 13: "no sideways scroll at 390 px anywhere")."""
    server = start_live_server()
    with ThreadPoolExecutor(max_workers=1) as pool:  # Playwright's sync API owns this thread's event loop
        pool.submit(lambda: asyncio.run(ingest(server.settings, SAMPLE_DIR))).result()
    page = new_page(server.url, **SIZES[size])
    page.add_init_script("localStorage.setItem('scriptorium.reader.hinted', '1')")
    slug = page.request.get("/api/episodes").json()["episodes"][0]["slug"]
    ready = {
        "/": page.get_by_role("link", name="Start reading"),
        "/status": page.get_by_test_id("health-status"),
        "/read": page.locator(".rd-card").first,
        "/read/series/lamplighter": page.get_by_role("link", name="Start with episode 1"),
        f"/read/{slug}/1": page.locator("img.rd-page[data-page='1']"),
        "/scribe": page.get_by_role("textbox", name="Template", exact=True),
        "/admin": page.get_by_test_id("stat-success_rate"),
        "/no-such-page": page.get_by_role("heading", name="Page not found"),
    }
    wide: dict[str, int] = {}
    for path, shown in ready.items():
        page.goto(path)
        expect(shown).to_be_visible()
        wide[path] = sideways(page)
    # The reader with its chat open (a sheet on a phone) and with the world map over it.
    page.goto(f"/read/{slug}/1")
    expect(page.locator("img.rd-page[data-page='1']")).to_be_visible()
    if page.locator(".rd-chat").count() == 0:
        page.get_by_role("button", name="Chat", exact=True).click()
    expect(page.get_by_label("Your question")).to_be_visible()
    wide["reader with chat"] = sideways(page)
    page.get_by_role("button", name="World", exact=True).click()
    expect(page.get_by_role("dialog", name="World map")).to_be_visible()
    wide["world map"] = sideways(page)
    assert all(px <= 0 for px in wide.values()), f"pages that scroll sideways (px): {wide}"
