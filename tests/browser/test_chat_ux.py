"""The reader's chat in Chromium, at desktop and phone size: it recovers from a dropped server (Retry, a notice that
clears itself without changing the book's size), renders Markdown without running or loading anything from it,
copies and regenerates answers, says what it is doing in the words of the mode, lists and reopens earlier chats,
announces a finished answer once, and on a phone is a half-height sheet with one close control that folds away
when a citation turns the page."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from playwright.sync_api import APIResponse, Locator, Page, Route, expect
from playwright.sync_api import Error as PlaywrightError

from scriptorium.companion.cli import SAMPLE_DIR
from tests.browser.conftest import LiveServer
from tests.companion.conftest import ingest

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1440, "height": 900}  # the sizes issue 13 was walked at
PHONE = {"width": 390, "height": 844}
MESSAGES = "**/api/sessions/*/messages"
QUESTION = "What does Marlo say about the lamps?"


@pytest.fixture
def reader_server(start_live_server: Callable[..., LiveServer]) -> LiveServer:
    """A private live server holding the bundled sample comic (ingested while it runs)."""
    server = start_live_server()
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: asyncio.run(ingest(server.settings, SAMPLE_DIR))).result()
    return server


def open_episode(page: Page, at: int, *, chat: bool = True) -> str:
    """Open the first episode at page `at` and return its slug; on a phone open the chat sheet when `chat`."""
    page.goto("/read")
    page.locator(".rd-card").first.get_by_role("link").first.click()
    expect(page.locator("img.rd-page[data-page='1']")).to_be_visible()
    slug = re.search(r"/read/([^/]+)/", page.url)
    assert slug, page.url
    if at != 1:
        page.goto(f"/read/{slug.group(1)}/{at}")
        expect(page.get_by_test_id("page-pill")).to_contain_text(f"Page {at} of 8")
    if chat and page.locator(".rd-chat").count() == 0:
        page.get_by_role("button", name="Chat", exact=True).click()
    if chat:
        expect(page.get_by_label("Your question")).to_be_visible()
    return slug.group(1)


def ask(page: Page, question: str) -> None:
    page.get_by_label("Your question").fill(question)
    page.get_by_label("Your question").press("Enter")


def sse_body(text_chunks: list[str], citations: list[dict[str, Any]]) -> str:
    frames = [f"event: token\ndata: {json.dumps({'text': chunk})}\n\n" for chunk in text_chunks]
    done = {
        "message_id": "m1",
        "retrieved_doc_ids": [],
        "citations": citations,
        "suggestions": [],
        "provider": "test",
        "status": "complete",
    }
    frames.append(f"event: done\ndata: {json.dumps(done)}\n\n")
    return "".join(frames)


@pytest.mark.allow_console_errors
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_failed_answer_has_retry_and_the_notice_clears_itself_without_resizing_the_book(
    reader_server: LiveServer, new_page: Callable[..., Page], console_errors: list[str], viewport: dict[str, int]
) -> None:
    page = new_page(reader_server.url, viewport=viewport)
    open_episode(page, 3)
    book = page.locator(".rd-book-area").bounding_box()
    pill = page.get_by_test_id("page-pill").inner_text()

    # The server goes away: the question gets no answer and neither does /health.
    page.route(MESSAGES, lambda route: route.abort("connectionrefused"))
    page.route("**/health", lambda route: route.abort("connectionrefused"))
    ask(page, QUESTION)
    answer = page.locator(".rd-msg-assistant").last
    expect(answer).to_have_attribute("data-status", "failed")
    expect(answer.locator(".rd-msg-error")).to_contain_text("Could not reach the server")
    notice = page.get_by_test_id("connection-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Can't reach the server")
    # Laid over nothing in the book's flow: same size, same single/spread layout.
    assert page.locator(".rd-book-area").bounding_box() == book
    assert page.get_by_test_id("page-pill").inner_text() == pill

    # The server is back: the next /health probe is answered and the notice goes by itself.
    page.unroute(MESSAGES)
    page.unroute("**/health")
    expect(notice).to_have_count(0)

    answer.get_by_role("button", name="Retry").click()
    fresh = page.locator(".rd-msg-assistant").last
    expect(fresh).to_have_attribute("data-status", "complete")
    expect(fresh).to_contain_text("lamps went out")
    # Retry asked the same question in place of the failed answer, not as a second copy of it.
    expect(page.locator(".rd-msg-user")).to_have_count(1)
    expect(page.locator(".rd-msg-assistant")).to_have_count(1)
    assert console_errors, "the refused requests should have been logged"
    assert all(re.search(r"/messages|/health|ERR_CONNECTION_REFUSED", error) for error in console_errors), (
        console_errors
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_markdown_answers_are_rendered_sanitized_copied_and_their_citations_jump(
    reader_server: LiveServer, new_page: Callable[..., Page], viewport: dict[str, int]
) -> None:
    page = new_page(reader_server.url, viewport=viewport, permissions=["clipboard-read", "clipboard-write"])
    slug = open_episode(page, 3)
    raw = (
        "**Marlo** says the lamps went out [page 2].\n\n- first *thing*\n- second thing\n\n"
        '<img src="/api/media/x" onerror="window.__xss = 1"><script>window.__xss = 2</script>'
        '<a href="javascript:window.__xss=3">click</a>'
    )
    citation = {
        "doc_id": "d1",
        "kind": "page",
        "episode_slug": slug,
        "episode_number": 1,
        "page_number": 2,
        "global_index": 1,
        "title": "page 2",
    }
    body = sse_body([raw[:20], raw[20:]], [citation])
    page.route(
        MESSAGES, lambda route: route.fulfill(status=200, body=body, headers={"Content-Type": "text/event-stream"})
    )
    ask(page, "Tell me about the lamps")
    answer = page.locator(".rd-msg-assistant").last
    expect(answer.get_by_test_id("answer-markdown").locator("strong")).to_have_text("Marlo")
    expect(answer.locator("li")).to_have_count(2)
    expect(answer.locator("li em")).to_have_text("thing")
    # Nothing from the answer can load, run or link: no image, script or link survives sanitizing.
    assert answer.locator("img, script, a, [onerror]").count() == 0
    assert page.evaluate("window.__xss") is None

    answer.get_by_role("button", name="Copy").click()
    expect(answer.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == raw.strip()

    answer.locator(".rd-cite-inline", has_text="page 2").click()
    expect(page.get_by_test_id("page-pill")).to_contain_text("Page 2 of 8")
    if viewport == PHONE:
        # The sheet folds away so the cited page can be seen.
        expect(page.locator(".rd-chat")).to_have_count(0)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_thinking_text_matches_the_mode_stop_then_retry_and_one_announcement_per_answer(
    reader_server: LiveServer, new_page: Callable[..., Page], viewport: dict[str, int]
) -> None:
    page = new_page(reader_server.url, viewport=viewport)
    open_episode(page, 3)
    log = page.get_by_test_id("chat-log")
    assert log.get_attribute("aria-live") is None  # streamed tokens are not read out one by one

    held: list[Route] = []
    page.route(MESSAGES, lambda route: held.append(route))
    ask(page, "Who is here?")
    typing = page.locator(".rd-typing")
    expect(typing).to_be_visible()
    assert "wiki" not in typing.inner_text().lower()
    announcer = page.get_by_test_id("chat-announcer")
    expect(announcer).to_have_text(typing.inner_text())

    page.get_by_role("button", name="Stop").click()
    stopped = page.locator(".rd-msg-assistant").last
    expect(stopped).to_have_attribute("data-status", "stopped")
    expect(announcer).to_have_text("Answer stopped.")
    for route in held:
        with contextlib.suppress(PlaywrightError):
            route.abort()
    held.clear()

    page.get_by_role("radio", name="Wiki").click()
    ask(page, "Who is Marlo Finch?")
    expect(typing).to_be_visible()
    assert "wiki" in typing.inner_text().lower()
    for route in held:
        route.continue_()
    page.unroute(MESSAGES)
    answer = page.locator(".rd-msg-assistant").last
    expect(answer).to_have_attribute("data-status", re.compile("complete|guarded"))
    expect(announcer).to_have_text(re.compile(r"^Answer: "))
    assert "[" not in announcer.inner_text()  # citation brackets are not read out

    # Retry on the stopped answer is gone (only the last answer offers it); the last one offers Regenerate.
    expect(stopped.get_by_role("button", name="Retry")).to_have_count(0)
    expect(answer.get_by_role("button", name="Regenerate")).to_be_visible()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_regenerate_replaces_the_answer_and_earlier_chats_reopen(
    reader_server: LiveServer, new_page: Callable[..., Page], viewport: dict[str, int]
) -> None:
    page = new_page(reader_server.url, viewport=viewport)
    open_episode(page, 3)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if request.url.endswith("/messages") else None)
    ask(page, QUESTION)
    first = page.locator(".rd-msg-assistant").last
    expect(first).to_have_attribute("data-status", "complete")
    first.get_by_role("button", name="Regenerate").click()
    expect(page.locator(".rd-msg-assistant").last).to_have_attribute("data-status", "complete")
    expect(page.locator(".rd-msg-user")).to_have_count(1)
    assert len(asked) == 2

    page.get_by_role("button", name="New chat").click()
    expect(page.locator(".rd-msg")).to_have_count(0)
    page.get_by_role("button", name="Earlier chats").click()
    item = page.locator(".rd-earlier-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(QUESTION)
    item.click()
    expect(page.locator(".rd-earlier-bar")).to_contain_text(QUESTION)
    expect(page.locator(".rd-msg-assistant").last).to_contain_text("lamps went out")
    # Reopened to read: no Regenerate on an old conversation.
    expect(page.get_by_role("button", name="Regenerate")).to_have_count(0)
    page.locator(".rd-earlier-bar").get_by_role("button", name="Back to this chat").click()
    expect(page.locator(".rd-msg")).to_have_count(0)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_asking_in_a_reopened_earlier_chat_continues_it_at_the_current_page(
    reader_server: LiveServer, new_page: Callable[..., Page], viewport: dict[str, int]
) -> None:
    page = new_page(reader_server.url, viewport=viewport)
    slug = open_episode(page, 3)
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if request.url.endswith("/messages") else None)
    ask(page, QUESTION)
    expect(page.locator(".rd-msg-assistant").last).to_have_attribute("data-status", "complete")
    earlier_id = re.search(r"/api/sessions/([0-9a-f]+)/messages", sent[0]).group(1)  # type: ignore[union-attr]

    # A new chat, and the reader reads on to page 4.
    page.get_by_role("button", name="New chat").click()
    expect(page.locator(".rd-msg")).to_have_count(0)
    page.evaluate("document.activeElement instanceof HTMLElement && document.activeElement.blur()")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("page-pill")).to_have_text("Page 4 of 8")

    page.get_by_role("button", name="Earlier chats").click()
    page.locator(".rd-earlier-item").filter(has_text=QUESTION).click()
    bar = page.get_by_test_id("earlier-bar")
    expect(bar).to_contain_text("Ask below to continue it")
    expect(bar).to_contain_text("up to page 4")
    expect(page.get_by_role("button", name="Continue")).to_be_disabled()
    ask(page, "Who is on this page?")

    # The question went to the earlier chat, which now follows the page on screen, and the panel shows it whole.
    expect(page.locator(".rd-msg-user")).to_have_count(2)
    expect(page.locator(".rd-msg-user").first).to_contain_text(QUESTION)
    expect(page.locator(".rd-msg-assistant").last).to_have_attribute("data-status", "complete")
    expect(bar).to_have_count(0)
    expect(page.locator(".rd-chat-hint")).to_contain_text("up to page 4")
    assert sent[-1].endswith(f"/api/sessions/{earlier_id}/messages"), sent
    state = page.request.get(f"/api/sessions/{earlier_id}").json()
    assert (state["current_page"], state["furthest_page"]) == (4, 4)
    assert [m["content"] for m in state["messages"] if m["role"] == "user"] == [QUESTION, "Who is on this page?"]

    # The continued chat is the one the reader comes back to, and a turn now moves it.
    page.goto(f"/read/{slug}/4")
    expect(page.get_by_test_id("page-pill")).to_have_text("Page 4 of 8")
    if viewport == PHONE:  # the sheet starts folded on a phone
        page.get_by_role("button", name="Chat", exact=True).click()
    expect(page.locator(".rd-msg-user")).to_have_count(2)


def assert_title_whole(title: Locator) -> None:
    """The episode title is on screen in full: wide enough for its words, not cut with an ellipsis."""
    expect(title).to_have_text(re.compile(r"\w{3,}"))
    box = title.bounding_box()
    assert box is not None and box["width"] >= 100, box
    assert title.evaluate("el => el.scrollWidth <= el.clientWidth"), title.inner_text()


def test_phone_sheet_is_half_height_with_one_close_control_and_an_untruncated_title(
    reader_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    page = new_page(reader_server.url, viewport=PHONE)
    open_episode(page, 5)
    sheet = page.locator(".rd-chat").bounding_box()
    assert sheet is not None
    assert sheet["height"] <= PHONE["height"] * 0.5 + 1, sheet
    close_controls = page.get_by_role("button", name=re.compile(r"close chat|hide chat", re.I))
    visible = [i for i in range(close_controls.count()) if close_controls.nth(i).is_visible()]
    assert len(visible) == 1, "one way to close the sheet"
    title = page.locator(".rd-bar-title h1")
    assert_title_whole(title)
    chat_head = page.locator(".rd-chat-head h2")
    assert chat_head.evaluate("el => el.scrollWidth <= el.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    ask(page, QUESTION)
    answer = page.locator(".rd-msg-assistant").last
    expect(answer).to_have_attribute("data-status", "complete")
    cite = answer.locator(".rd-cite-inline").first
    target = int(cite.inner_text().removeprefix("page "))
    cite.click()
    expect(page.locator(".rd-chat")).to_have_count(0)
    expect(page.get_by_test_id("page-pill")).to_contain_text(f"Page {target} of 8")
    expect(page.locator(f"img.rd-page[data-page='{target}']")).to_be_in_viewport()
    assert_title_whole(title)  # also beside "Back to page N"
    # Reopened with the one control it has.
    page.get_by_role("button", name="Chat", exact=True).click()
    expect(page.locator(".rd-msg-assistant").last).to_contain_text("lamps went out")


@pytest.mark.allow_console_errors
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_error_line_overlays_the_book_instead_of_resizing_it(
    reader_server: LiveServer, new_page: Callable[..., Page], viewport: dict[str, int]
) -> None:
    page = new_page(reader_server.url, viewport=viewport)
    open_episode(page, 1, chat=False)
    book = page.locator(".rd-book-area").bounding_box()
    refusal = json.dumps({"detail": "This page cannot be shown right now.", "code": "conflict"})
    page.route(
        "**/api/sessions/*",
        lambda route: (
            route.fulfill(status=409, body=refusal, headers={"Content-Type": "application/json"})
            if route.request.method == "PATCH"
            else route.continue_()
        ),
    )
    page.keyboard.press("ArrowRight")
    error = page.locator(".rd-inline-error")
    expect(error).to_contain_text("cannot be shown")
    assert page.locator(".rd-book-area").bounding_box() == book


def test_a_question_asked_before_the_history_arrives_keeps_its_answer(
    reader_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    """On a phone the chat mounts when the sheet opens and loads the conversation so far; a reader who asks at once
    (or a slow server) used to have the arriving history replace the list, dropping the answer streaming into it."""
    page = new_page(reader_server.url, viewport=PHONE, has_touch=True, is_mobile=True)
    held: list[tuple[Route, APIResponse]] = []

    def hold_history(route: Route) -> None:
        if route.request.method == "GET":
            held.append((route, route.fetch()))  # the history as it is now, delivered after the question
        else:
            route.continue_()

    page.route(re.compile(r".*/api/sessions/[0-9a-f]+$"), hold_history)
    open_episode(page, 1)
    ask(page, QUESTION)
    expect(page.locator(".rd-msg-assistant").last).to_have_attribute("data-status", "complete")
    assert held, "the history request should have been held"
    for route, history in held:
        route.fulfill(response=history)
    page.wait_for_load_state("networkidle")
    answer = page.locator(".rd-msg-assistant").last
    expect(answer).to_have_attribute("data-status", "complete")
    expect(answer).to_contain_text("page 1")  # the answer and its citation, still there after the history
    expect(page.locator(".rd-msg-user").last).to_contain_text(QUESTION)
