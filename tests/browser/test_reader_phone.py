"""The reader as people hold it: a phone (390x844, touch) and a laptop (1440x900). Tap zones and the first-run
hint, controls on tap, zoom, fit-width, vertical reading, turns while the server is away, and image links the
browser cache can use. Screenshots of every test land in tests/artifacts/."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Request, Route, expect

from scriptorium.companion import media
from scriptorium.companion.cli import SAMPLE_DIR
from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.companion.conftest import ingest

pytestmark = pytest.mark.browser

PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1440, "height": 900}}
SIZES = {"phone": PHONE, "desktop": DESKTOP}
# Pepper & Carrot letters its balloons at 64-72 px on a 2481 px page (the shared real episodes' text layers).
REAL_PAGE_WIDTH, REAL_BALLOON_PX = 2481, 64


@pytest.fixture
def reader_server(start_live_server: Callable[..., LiveServer]) -> LiveServer:
    """A private live server holding the bundled sample (loaded while it runs, as an operator would)."""
    server = start_live_server()
    # Playwright's sync API owns this thread's event loop, so the ingest runs on its own thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: asyncio.run(ingest(server.settings, SAMPLE_DIR))).result()
    return server


def snapshot(page: Page, name: str) -> None:
    """A screenshot of a moment inside a test (teardown keeps only the last one)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"reader_{name}.png"), full_page=True)


def open_episode(page: Page, number: int = 1) -> None:
    page.goto("/read")
    page.locator(".rd-card").nth(number - 1).get_by_role("link").click()
    expect(page.locator("img.rd-page[data-page='1']")).to_be_visible()


def sideways_overflow(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def page_numbers(urls: list[str]) -> set[int]:
    """The page numbers of the page images among `urls` (keys end in `/<page:03d>-<hash>.svg`)."""
    return {int(m.group(1)) for url in urls if (m := re.search(r"/(\d{3})-[0-9a-f]+\.svg", url))}


def tap_viewport(page: Page, fraction_x: float, fraction_y: float = 0.4) -> None:
    box = page.get_by_test_id("page-viewport").bounding_box()
    assert box is not None
    page.touchscreen.tap(box["x"] + box["width"] * fraction_x, box["y"] + box["height"] * fraction_y)


def media_requests(page: Page) -> list[str]:
    seen: list[str] = []

    def record(request: Request) -> None:
        if "/api/media/" in request.url:
            seen.append(request.url)

    page.on("request", record)
    return seen


def test_phone_turns_pages_with_the_edges_and_says_so_the_first_time(
    reader_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    page = new_page(reader_server.url, **PHONE)
    refused: list[str] = []
    page.on("response", lambda r: refused.append(r.url) if "/api/media/" in r.url and r.status >= 400 else None)
    open_episode(page)
    hint = page.get_by_test_id("first-run-hint")
    expect(hint).to_contain_text("Tap the edges or swipe")

    tap_viewport(page, 0.9)
    expect(page.locator("img.rd-page[data-page='2']")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/read/ep01-[a-z-]+/2$"))
    expect(hint).to_have_count(0)  # turning a page is what the hint teaches: it goes
    tap_viewport(page, 0.1)
    expect(page.locator("img.rd-page[data-page='1']")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/read/ep01-[a-z-]+/1$"))

    # A swipe still turns; the address follows.
    box = page.get_by_test_id("page-viewport").bounding_box()
    assert box is not None
    swipe(page, box["x"] + box["width"] * 0.8, box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.5)
    expect(page.locator("img.rd-page[data-page='2']")).to_be_visible()

    # The hint does not come back on the next visit.
    page.reload()
    expect(page.locator("img.rd-page[data-page='2']")).to_be_visible()
    expect(page.get_by_test_id("first-run-hint")).to_have_count(0)
    assert sideways_overflow(page) <= 0
    assert not refused, f"asked for images the server refused: {refused}"


def swipe(page: Page, x_from: float, x_to: float, y: float) -> None:
    """A one-finger horizontal swipe through the DevTools protocol (real touch events, so pointer events too)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x_from, "y": y}]})
    steps = 6
    for step in range(1, steps + 1):
        x = x_from + (x_to - x_from) * step / steps
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def pinch(page: Page, spread_px: float) -> None:
    """Two fingers from the middle of the page, moving apart by `spread_px` each."""
    box = page.get_by_test_id("page-viewport").bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 3
    cdp = page.context.new_cdp_session(page)

    def points(offset: float) -> list[dict[str, float]]:
        return [{"x": cx - 20 - offset, "y": cy, "id": 0}, {"x": cx + 20 + offset, "y": cy, "id": 1}]

    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": points(0)})
    for step in range(1, 9):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": points(spread_px * step / 8)})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_phone_fit_width_fills_the_screen_and_zoom_is_pinch_or_double_tap(
    reader_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    page = new_page(reader_server.url, **PHONE)
    open_episode(page)
    page.get_by_role("button", name="Got it").click()
    image = page.locator("img.rd-page[data-page='1']")
    width = image.evaluate("img => img.getBoundingClientRect().width")
    # Fit-width is the phone's default: the page is as wide as the screen, so real lettering is legible.
    assert width >= 389, width
    balloon = REAL_BALLOON_PX * width / REAL_PAGE_WIDTH
    assert balloon >= 10, f"balloon text would be {balloon:.1f} CSS px"
    viewport = page.get_by_test_id("page-viewport")
    expect(viewport).to_have_attribute("data-scale", "1.00")

    # Double-tap in the middle zooms in, and again zooms out; neither turns the page.
    box = viewport.bounding_box()
    assert box is not None
    mid = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 3)
    page.touchscreen.tap(*mid)
    page.touchscreen.tap(*mid)
    expect(viewport).to_have_attribute("data-scale", "2.50")
    zoomed = image.evaluate("img => img.getBoundingClientRect().width")
    assert zoomed > 2 * width
    # Zoomed, an edge tap does not turn (it would be a pan gone wrong).
    tap_viewport(page, 0.95)
    expect(page).to_have_url(re.compile(r"/1$"))
    page.touchscreen.tap(*mid)
    page.touchscreen.tap(*mid)
    expect(viewport).to_have_attribute("data-scale", "1.00")

    pinch(page, 80)
    scale = float(viewport.get_attribute("data-scale") or "0")
    assert scale > 1.5, scale
    expect(page).to_have_url(re.compile(r"/1$"))

    # The controls, brought up by a tap in the middle, offer the way back out.
    controls = page.get_by_test_id("reader-controls")
    expect(controls).to_have_class(re.compile("rd-controls-hidden"), timeout=8000)
    page.touchscreen.tap(*mid)
    controls.get_by_role("button", name="Zoom out").click()
    expect(viewport).to_have_attribute("data-scale", "1.00")
    assert sideways_overflow(page) <= 0


def test_laptop_clicks_the_edges_double_clicks_to_zoom_and_keeps_the_arrows(
    reader_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    page = new_page(reader_server.url, **DESKTOP)
    open_episode(page)
    expect(page.get_by_test_id("first-run-hint")).to_contain_text("Click the edges of the page")
    viewport = page.get_by_test_id("page-viewport")
    box = viewport.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.5)
    expect(page.locator("img.rd-page[data-page='2']")).to_be_visible()
    expect(page.get_by_test_id("first-run-hint")).to_have_count(0)
    page.mouse.click(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.5)
    expect(page.locator("img.rd-page[data-page='1']")).to_be_visible()
    expect(page.get_by_role("button", name="Next page")).to_be_visible()

    middle = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.dblclick(*middle)
    expect(viewport).to_have_attribute("data-scale", "2.50")
    page.keyboard.press("0")
    expect(viewport).to_have_attribute("data-scale", "1.00")
    page.mouse.move(*middle)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -300)
    page.keyboard.up("Control")
    expect(viewport).not_to_have_attribute("data-scale", "1.00")
    expect(page).to_have_url(re.compile(r"/1$"))
    assert sideways_overflow(page) <= 0


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_controls_switch_fit_and_vertical_reading(
    reader_server: LiveServer, new_page: Callable[..., Page], size: str
) -> None:
    page = new_page(reader_server.url, **SIZES[size])
    open_episode(page)
    page.get_by_role("button", name="Got it").click()
    controls = page.get_by_test_id("reader-controls")
    if size == "phone":
        # Shown when the episode opens, then out of the way; a tap in the middle brings them back.
        expect(controls).to_have_class(re.compile("rd-controls-hidden"), timeout=8000)
        tap_viewport(page, 0.5)
        expect(controls).not_to_have_class(re.compile("rd-controls-hidden"))
    expect(controls).to_be_visible()

    book_width = page.locator(".rd-book-area").evaluate("el => el.getBoundingClientRect().width")
    controls.get_by_role("radio", name="Fit width").click()
    image = page.locator("img.rd-page[data-page='1']")
    expect(image).to_be_visible()
    width = image.evaluate("img => img.getBoundingClientRect().width")
    assert width >= book_width - 2 * 56 - 2, (width, book_width)
    controls.get_by_role("radio", name="Fit page").click()
    fitted = image.evaluate("img => img.getBoundingClientRect()")
    viewport = page.get_by_test_id("page-viewport").evaluate("el => el.getBoundingClientRect()")
    assert fitted["height"] <= viewport["height"] + 1

    # Vertical reading: pages one under the other; scrolling past the last page reached reaches the next.
    seen = media_requests(page)
    refused: list[str] = []
    page.on("response", lambda r: refused.append(r.url) if "/api/media/" in r.url and r.status >= 400 else None)
    snapshot(page, f"fit_page_{size}")
    page.evaluate("document.activeElement instanceof HTMLElement && document.activeElement.blur()")
    for number in (2, 3):
        page.keyboard.press("ArrowRight")
        expect(page.locator(f"img.rd-page[data-page='{number}']")).to_be_visible()
    controls.get_by_role("radio", name="Scroll").click()
    strip = page.get_by_role("region", name="Comic pages, one under the other")
    expect(strip).to_be_visible()
    # The strip opens at the reader's page, not back at page 1.
    expect(strip.locator("img.rd-page[data-page='3']")).to_be_in_viewport()
    expect(page).to_have_url(re.compile(r"/read/ep01-[a-z-]+/3$"))
    expect(strip.locator("img.rd-page[data-page='1']")).to_be_attached()
    for number in (4, 5):
        strip.evaluate("el => el.scrollTo(0, el.scrollHeight)")
        expect(strip.locator(f"img.rd-page[data-page='{number}']")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/read/ep01-[a-z-]+/\d$"))
    assert not refused, f"asked for images the server refused: {refused}"
    assert seen, "vertical reading loaded no images"
    assert sideways_overflow(page) <= 0
    # The choice is remembered.
    page.reload()
    expect(page.get_by_role("region", name="Comic pages, one under the other")).to_be_visible()


@pytest.mark.allow_console_errors
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_turn_while_the_server_is_away_is_held_and_completes_when_it_is_back(
    reader_server: LiveServer, new_page: Callable[..., Page], size: str, console_errors: list[str]
) -> None:
    page = new_page(reader_server.url, **SIZES[size])
    open_episode(page)
    page.get_by_role("button", name="Got it").click()

    def refuse(route: Route) -> None:
        route.abort("connectionrefused")

    # Page 2's image was preloaded from its next-turn link while page 1 was read.
    page.wait_for_function(
        "() => performance.getEntriesByType('resource').some(e => /\\/002-[0-9a-f]+\\.svg/.test(e.name))",
        timeout=15_000,
    )
    page.route(re.compile(r".*/api/sessions/[0-9a-f]+(/ahead.*)?$"), refuse)
    page.evaluate("document.activeElement instanceof HTMLElement && document.activeElement.blur()")
    page.keyboard.press("ArrowRight")
    held = page.get_by_test_id("turn-held")
    # The preloaded page shows at once; saving the place waits for the server, and says so.
    expect(held).to_contain_text("Can't reach the server: page 2 will be saved as your place when it is back.")
    expect(page.locator("img.rd-page[data-page='2']")).to_be_visible()
    # A page with no image yet is held: the address, the pill and the page stay; no placeholder.
    page.keyboard.press("ArrowRight")
    expect(held).to_contain_text("Can't reach the server. Page 3 will open when it is back.")
    expect(page).to_have_url(re.compile(r"/read/ep01-[a-z-]+/2$"))
    expect(page.get_by_test_id("page-pill")).to_have_text("Page 2 of 8")
    expect(page.locator(".rd-page-waiting")).to_have_count(0)
    expect(page.locator("img.rd-page[data-page='2']")).to_be_visible()
    snapshot(page, f"held_turn_{size}")

    page.unroute(re.compile(r".*/api/sessions/[0-9a-f]+(/ahead.*)?$"))
    held.get_by_role("button", name="Try now").click()
    expect(page.locator("img.rd-page[data-page='3']")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/read/ep01-[a-z-]+/3$"))
    expect(held).to_have_count(0)
    assert all("/api/sessions/" in line for line in console_errors if "request failed" in line), console_errors


def held_until(page: Page, held: list[Route], count: int, timeout_ms: float = 15_000) -> None:
    """Let the page run (its route handlers fire only while Playwright waits) until `count` requests are held."""
    waited = 0.0
    while len(held) < count:
        assert waited < timeout_ms, f"{len(held)} of {count} requests held"
        page.wait_for_timeout(50)
        waited += 50


def test_a_turn_asked_for_just_before_the_spread_appears_still_lands(
    reader_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    """Hiding the chat turns one page into a spread and re-sends the position: a turn still waiting on the
    server must be re-sent for the spread, not cancelled back to the page that was on screen."""
    page = new_page(reader_server.url, **DESKTOP)
    open_episode(page)
    page.get_by_role("button", name="Got it").click()
    expect(page.locator("img.rd-page[data-page='2']")).to_have_count(0)  # the chat is open: one page a turn
    page.wait_for_function(
        "() => performance.getEntriesByType('resource').some(e => /\\/002-[0-9a-f]+\\.svg/.test(e.name))",
        timeout=15_000,
    )
    held: list[Route] = []

    def moves(route: Route) -> None:
        if route.request.method == "PATCH" and route.request.post_data_json["current_page"] != 2:
            held.append(route)
        else:
            route.continue_()

    # Nothing more is preloaded (the server knows no page ahead), so the turn to page 3 must wait for the move.
    page.route(
        re.compile(r".*/api/sessions/[0-9a-f]+/ahead.*$"),
        lambda route: route.fulfill(json={"furthest_page": 2, "pages": []}),
    )
    page.route(re.compile(r".*/api/sessions/[0-9a-f]+$"), moves)
    page.evaluate("document.activeElement instanceof HTMLElement && document.activeElement.blur()")
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(r"/read/ep01-[a-z-]+/2$"))
    page.keyboard.press("ArrowRight")  # page 3 has no image yet: the turn waits for the server
    held_until(page, held, 1)
    expect(page).to_have_url(re.compile(r"/read/ep01-[a-z-]+/2$"))
    page.get_by_role("button", name="Hide chat").click()
    held_until(page, held, 2)
    assert held[-1].request.post_data_json == {"current_page": 3, "spread": True}, [r.request.post_data for r in held]
    page.unroute(re.compile(r".*/api/sessions/[0-9a-f]+$"))
    for route in held:
        with contextlib.suppress(PlaywrightError):  # the first may be gone: the page aborted it for the second
            route.continue_()
    expect(page.locator("img.rd-page[data-page='3']")).to_be_visible()
    expect(page.locator("img.rd-page[data-page='4']")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/read/ep01-[a-z-]+/4$"))


def test_a_question_asked_right_after_a_turn_is_answered_at_the_new_page(
    reader_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    """A preloaded page shows before the server hears of the turn; the companion answers at the server's place,
    so a question asked meanwhile waits for the move instead of being answered at the page before."""
    page = new_page(reader_server.url, **DESKTOP)
    open_episode(page)
    page.get_by_role("button", name="Got it").click()
    page.wait_for_function(
        "() => performance.getEntriesByType('resource').some(e => /\\/002-[0-9a-f]+\\.svg/.test(e.name))",
        timeout=15_000,
    )
    moves: list[Route] = []
    page.route(
        re.compile(r".*/api/sessions/[0-9a-f]+$"),
        lambda route: moves.append(route) if route.request.method == "PATCH" else route.continue_(),
    )
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if request.url.endswith("/messages") else None)
    page.evaluate("document.activeElement instanceof HTMLElement && document.activeElement.blur()")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("page-pill")).to_have_text("Page 2 of 8")  # on screen; the server still has page 1
    held_until(page, moves, 1)
    question = page.locator("#rd-question")
    question.fill("What happened to the Great Lamp?")
    question.press("Enter")
    page.wait_for_timeout(300)  # room for the question to go out too early (it must not)
    assert asked == [], "the question went out before the server knew the page on screen"
    moves[0].continue_()
    page.unroute(re.compile(r".*/api/sessions/[0-9a-f]+$"))
    answer = page.locator(".rd-msg-assistant").last
    expect(answer).to_have_attribute("data-status", "complete")
    assert len(asked) == 1
    expect(answer).to_contain_text("went out")  # page 2's lettering: answered at page 2, not page 1


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_first_read_paints_the_preloaded_next_page_without_waiting_for_the_server(
    reader_server: LiveServer, new_page: Callable[..., Page], size: str
) -> None:
    page = new_page(reader_server.url, **SIZES[size])
    seen = media_requests(page)
    open_episode(page)
    page.get_by_role("button", name="Got it").click()
    # While page 1 is read, page 2's image (the next turn) is fetched, and nothing after it.
    page.wait_for_function(
        "() => performance.getEntriesByType('resource').some(e => /\\/002-[0-9a-f]+\\.svg/.test(e.name))",
        timeout=15_000,
    )
    assert page_numbers(seen) == {1, 2}, seen

    # The move is held at the server: the turn paints anyway, and the server is told when it answers.
    moves: list[Route] = []
    page.route(
        re.compile(r".*/api/sessions/[0-9a-f]+$"),
        lambda route: moves.append(route) if route.request.method == "PATCH" else route.continue_(),
    )
    page.evaluate("document.activeElement instanceof HTMLElement && document.activeElement.blur()")
    page.keyboard.press("ArrowRight")
    expect(page.locator("img.rd-page[data-page='2']")).to_be_visible()
    expect(page.get_by_test_id("page-pill")).to_have_text("Page 2 of 8")
    expect(page.get_by_test_id("turn-held")).to_have_count(0)
    assert len(moves) == 1 and moves[0].request.post_data_json == {"current_page": 2, "spread": False}
    snapshot(page, f"preloaded_turn_{size}")
    moves[0].continue_()
    page.unroute(re.compile(r".*/api/sessions/[0-9a-f]+$"))
    # Once the server has moved the reader, page 3 (and still nothing past it) is the next preload.
    page.wait_for_function(
        "() => performance.getEntriesByType('resource').some(e => /\\/003-[0-9a-f]+\\.svg/.test(e.name))",
        timeout=15_000,
    )
    assert page_numbers(seen) == {1, 2, 3}, seen


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_next_page_is_preloaded_and_each_image_is_fetched_once(
    reader_server: LiveServer, new_page: Callable[..., Page], size: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Links are the same for a half-window of SIGNED_URL_SECONDS, then change (and the browser rightly fetches the
    # image again): the server's links stay in the window this test started in, so it checks caching, not the clock.
    started = media.expiry(reader_server.settings)
    monkeypatch.setattr(media, "expiry", lambda settings, now=None: started)
    page = new_page(reader_server.url, **SIZES[size])
    seen = media_requests(page)
    open_episode(page)
    page.get_by_role("button", name="Got it").click()
    if size == "desktop":
        page.get_by_role("button", name="Hide chat").click()  # a spread: two pages a turn
        page.get_by_role("radio", name="Fit page").click()
        expect(page.locator("img.rd-page[data-page='2']")).to_be_visible()  # the spread is laid out: 1 and 2
        page.get_by_role("button", name="Next page").click()
        expect(page.locator("img.rd-page[data-page='4']")).to_be_visible()
        page.get_by_role("button", name="Previous page").click()
        expect(page.locator("img.rd-page[data-page='1']")).to_be_visible()
        page.get_by_role("button", name="Next page").click()
        expect(page.locator("img.rd-page[data-page='4']")).to_be_visible()
    else:  # one page a turn, forward to 4, back to 1, forward again
        page.evaluate("document.activeElement instanceof HTMLElement && document.activeElement.blur()")
        for arrow, numbers in (("ArrowRight", (2, 3, 4)), ("ArrowLeft", (3, 2, 1)), ("ArrowRight", (2, 3, 4))):
            for n in numbers:
                page.keyboard.press(arrow)
                expect(page.locator(f"img.rd-page[data-page='{n}']")).to_be_visible()

    # Back and forth over pages already reached: every image was fetched once (same link, so the cache answered).
    by_key: dict[str, int] = {}
    for url in seen:
        key = url.split("?", 1)[0]
        by_key[key] = by_key.get(key, 0) + 1
    pages = [key for key in by_key if re.search(r"/0\d\.svg$|/\d{3}-[0-9a-f]+\.svg$", key)]
    assert len(pages) >= 4, by_key
    assert all(by_key[key] == 1 for key in pages), by_key

    # Reopened on page 1 with pages up to 4 reached: page 2's image comes before any turn (it is preloaded).
    fresh = new_page(reader_server.url, **SIZES[size])
    token = page.evaluate("localStorage.getItem('scriptorium.reader')")
    fresh.add_init_script(
        f"localStorage.setItem('scriptorium.reader', {token!r}); localStorage.setItem('scriptorium.reader.hinted', '1')"
    )
    later = media_requests(fresh)
    slug = re.search(r"/read/([^/]+)/", page.url).group(1)  # type: ignore[union-attr]
    fresh.goto(f"/read/{slug}/1")
    expect(fresh.locator("img.rd-page[data-page='1']")).to_be_visible()
    fresh.wait_for_function(
        "() => performance.getEntriesByType('resource').filter(e => e.name.includes('/api/media/')).length >= 2"
    )
    assert len({url.split("?", 1)[0] for url in later}) >= 2, later


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_first_impressions_covers_series_name_and_no_command_lines(
    reader_server: LiveServer, new_page: Callable[..., Page], size: str
) -> None:
    page = new_page(reader_server.url, **SIZES[size])
    page.goto("/")
    expect(page.get_by_role("heading", name="The Lamplighter of Saltwhistle")).to_be_visible()
    expect(page.get_by_test_id("health-status")).to_have_count(0)  # server internals are at /status
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Companion")).to_be_visible()
    assert sideways_overflow(page) <= 0
    snapshot(page, f"home_{size}")

    page.goto("/read")
    expect(page.get_by_role("heading", name="The Lamplighter of Saltwhistle", level=1)).to_be_visible()
    cards = page.locator(".rd-card")
    expect(cards).to_have_count(2)
    # Episode 1's cover for a new reader; episode 2 not reached: a veiled tile, not its cover.
    first_cover = cards.nth(0).locator(".rd-cover > img")
    expect(first_cover).to_be_visible()
    assert first_cover.evaluate("img => img.complete && img.naturalWidth > 0")
    expect(cards.nth(1).locator(".rd-cover-veiled")).to_be_visible()
    expect(page.get_by_text("Reader", exact=True)).to_have_count(0)
    assert sideways_overflow(page) <= 0
    snapshot(page, f"picker_{size}")

    page.get_by_role("link", name="About this comic").click()
    expect(page).to_have_url(re.compile(r"/read/series/lamplighter$"))
    expect(page.get_by_role("heading", name="The Lamplighter of Saltwhistle", level=1)).to_be_visible()
    expect(page.get_by_text("2 episodes · 16 pages")).to_be_visible()
    page.get_by_role("link", name="Start with episode 1").click()
    expect(page.locator("img.rd-page[data-page='1']")).to_be_visible()
    assert sideways_overflow(page) <= 0


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_an_empty_shelf_does_not_send_a_reader_to_the_command_line(
    start_live_server: Callable[..., LiveServer], new_page: Callable[..., Page], size: str
) -> None:
    server = start_live_server()
    page = new_page(server.url, **SIZES[size])
    page.goto("/read")
    expect(page.get_by_text("No comics here yet.")).to_be_visible()
    body = page.locator("main").inner_text()
    assert "scriptorium " not in body and "ingest" not in body and "load-sample" not in body, body
    assert sideways_overflow(page) <= 0
