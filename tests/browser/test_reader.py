"""The reader end to end in Chromium on a live server with the sample comic: pick, flip, ask, map."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from scriptorium.companion.cli import SAMPLE_DIR
from tests.browser.conftest import LiveServer
from tests.companion.conftest import ingest

pytestmark = pytest.mark.browser

# The sizes issue 13 was walked at.
SIZES: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1440, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


def open_chat(page: Page) -> None:
    """On a phone the chat is a folded sheet: open it (beside the book on a desktop it is open already)."""
    if page.locator(".rd-chat").count() == 0:
        page.get_by_role("button", name="Chat", exact=True).click()
    expect(page.get_by_label("Your question")).to_be_visible()


@pytest.fixture
def reader_server(start_live_server: Callable[..., LiveServer]) -> LiveServer:
    """A private live server whose database holds the bundled sample (loaded while it runs, as an operator would)."""
    server = start_live_server()
    # Playwright's sync API owns this thread's event loop, so the ingest runs on its own thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: asyncio.run(ingest(server.settings, SAMPLE_DIR))).result()
    return server


@pytest.mark.parametrize("size", list(SIZES))
def test_read_flip_ask_and_map_never_reach_past_the_page(
    reader_server: LiveServer, new_page: Callable[..., Page], size: str
) -> None:
    page = new_page(reader_server.url, **SIZES[size])
    page.add_init_script("localStorage.setItem('scriptorium.reader.hinted', '1')")
    page.goto("/read")
    cards = page.locator(".rd-card")
    expect(cards).to_have_count(2)
    expect(page.get_by_text("No story notes yet", exact=False).first).to_be_visible()

    cards.first.get_by_role("link").click()
    expect(page.locator("img.rd-page[data-page='1']")).to_be_visible()
    if size == "desktop":
        page.get_by_role("button", name="Next page").click()
    else:  # the edges of the page turn it on a phone
        box = page.get_by_test_id("page-viewport").bounding_box()
        assert box is not None
        page.touchscreen.tap(box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.4)
    expect(page.locator("img.rd-page[data-page='2']")).to_be_visible()
    # Arrow keys flip unless the reader is typing; take focus off any field the page may have focused.
    page.evaluate("document.activeElement instanceof HTMLElement && document.activeElement.blur()")
    page.keyboard.press("ArrowRight")
    expect(page.locator("img.rd-page[data-page='3']")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/read/ep01-[a-z-]+/3$"))
    expect(page.get_by_test_id("page-pill")).to_have_text("Page 3 of 8")

    open_chat(page)
    page.get_by_label("Your question").fill("What does Marlo say about the lamps?")
    page.keyboard.press("Enter")
    answer = page.locator(".rd-msg-assistant").last
    expect(answer.locator(".rd-cite-inline").first).to_have_text("page 3")
    expect(answer).to_contain_text("lamps went out")
    chips = page.locator(".rd-chip")
    expect(chips.first).to_be_visible()
    assert 1 <= chips.count() <= 2
    assert all(text.strip().endswith("?") for text in chips.all_inner_texts())

    if size == "phone":
        page.get_by_role("button", name="Close chat").click()
    page.get_by_role("button", name="World").click()
    page.get_by_role("radio", name="Whole world").click()
    nodes = page.locator(".rd-node")
    expect(nodes.first).to_be_visible()
    expect(page.locator(".rd-graph")).to_have_attribute("aria-label", re.compile(r"^8 "))
    debuts = [int(value or "-1") for value in nodes.evaluate_all("els => els.map(e => e.dataset.debut)")]
    assert debuts and max(debuts) <= 2  # page 3 is global index 2: nobody who debuts later appears
    assert "Agathe" not in (page.locator(".rd-graph").text_content() or "")

    nodes.filter(has_text="Marlo Finch").click()
    expect(page.get_by_role("dialog", name="Marlo Finch")).to_contain_text("First seen in episode 1, page 3")
    page.get_by_role("button", name="Ask in wiki mode").click()
    expect(page.locator(".rd-msg-user").last).to_contain_text("Tell me about Marlo Finch")
    expect(page.locator(".rd-msg-assistant").last.locator(".rd-source").first).to_be_visible()


@pytest.mark.parametrize("size", list(SIZES))
def test_going_back_keeps_the_furthest_page_and_the_conversation_across_a_reload(
    reader_server: LiveServer, new_page: Callable[..., Page], size: str
) -> None:
    page = new_page(reader_server.url, **SIZES[size])
    page.goto("/read")
    page.locator(".rd-card").first.get_by_role("link").click()
    expect(page.locator("img.rd-page[data-page='1']")).to_be_visible()
    page.evaluate("document.activeElement instanceof HTMLElement && document.activeElement.blur()")
    for number in range(2, 7):
        page.keyboard.press("ArrowRight")
        expect(page.locator(f"img.rd-page[data-page='{number}']")).to_be_visible()
    expect(page.get_by_test_id("furthest")).to_have_count(0)

    open_chat(page)
    page.get_by_label("Your question").fill("What happens on this page?")
    page.keyboard.press("Enter")
    expect(page.locator(".rd-msg-assistant").last.locator(".rd-cite-inline").first).to_be_visible()

    # Back to the first page: the companion keeps what it knows, and the conversation stays.
    page.evaluate("document.activeElement instanceof HTMLElement && document.activeElement.blur()")
    page.keyboard.press("Home")
    expect(page.locator("img.rd-page[data-page='1']")).to_be_visible()
    expect(page.get_by_test_id("page-pill")).to_have_text("Page 1 of 8")
    expect(page.get_by_test_id("furthest")).to_contain_text("You're on page 1 of the 6 you've read")
    expect(page.locator(".rd-chat-hint")).to_contain_text("up to page 6")
    expect(page.locator(".rd-msg-user")).to_have_text(["What happens on this page?"])

    # A reload on page 1 (the reader token resumes the session): still there.
    page.reload()
    expect(page).to_have_url(re.compile(r"/read/ep01-[a-z-]+/1$"))
    expect(page.locator("img.rd-page[data-page='1']")).to_be_visible()
    expect(page.get_by_test_id("furthest")).to_contain_text("You're on page 1 of the 6 you've read")
    open_chat(page)
    expect(page.locator(".rd-msg-user")).to_have_text(["What happens on this page?"])
    expect(page.locator(".rd-msg-assistant")).to_have_count(1)

    # And the way back to where the reader had got to.
    page.get_by_role("button", name="Back to page 6").click()
    expect(page.locator("img.rd-page[data-page='6']")).to_be_visible()
    expect(page.get_by_test_id("page-pill")).to_have_text("Page 6 of 8")
    expect(page.get_by_test_id("furthest")).to_have_count(0)
    loaded = page.locator("img.rd-page[data-page='6']").evaluate("img => img.complete && img.naturalWidth > 0")
    assert loaded


def test_a_spread_tells_the_server_its_left_page_and_reaches_its_right_page(
    reader_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    page = new_page(reader_server.url, viewport={"width": 1600, "height": 900})
    moves: list[str] = []
    page.on("request", lambda r: moves.append(r.post_data or "") if r.method == "PATCH" else None)
    page.goto("/read")
    page.locator(".rd-card").first.get_by_role("link").click()
    expect(page.locator("img.rd-page[data-page='1']")).to_be_visible()
    page.get_by_role("button", name="Hide chat").click()  # a laptop gets spreads with the chat closed
    expect(page.get_by_test_id("page-pill")).to_have_text("Pages 1–2 of 8")
    expect(page.locator("img.rd-page[data-page='2']")).to_be_visible()
    page.evaluate("document.activeElement instanceof HTMLElement && document.activeElement.blur()")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("page-pill")).to_have_text("Pages 3–4 of 8")
    # The right page's image came with the move: the server counted it as reached.
    expect(page.locator("img.rd-page[data-page='4']")).to_be_visible()
    assert page.locator("img.rd-page[data-page='4']").evaluate("img => img.complete && img.naturalWidth > 0")
    assert '{"current_page":3,"spread":true}' in moves
    assert not any('"current_page":4' in body for body in moves)

    page.keyboard.press("Home")
    expect(page.get_by_test_id("page-pill")).to_have_text("Pages 1–2 of 8")
    expect(page.get_by_test_id("furthest")).to_contain_text("You're on pages 1–2 of the 4 you've read")
    page.get_by_role("button", name="Back to page 4").click()
    expect(page.get_by_test_id("page-pill")).to_have_text("Pages 3–4 of 8")
    expect(page.get_by_test_id("furthest")).to_have_count(0)
