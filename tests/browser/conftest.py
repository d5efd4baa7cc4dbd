"""Browser end-to-end fixtures: the built UI served by a real in-process server, driven by Debian's Chromium.

- `built_frontend`: the path of `frontend/dist`; fails with "run `make frontend`" when it is missing (never builds).
- `live_server`: one migrated lite server per xdist worker (SQLite, in-process job consumer, offline providers, a
  temporary DATA_DIR). It is a `str` (the base URL) with `.url`, `.settings` and `.app`. Shared by the worker's
  tests.
- `start_live_server(**overrides)`: a private server with Settings overrides (e.g. `auth_mode="local"`), stopped
  after the test. Use it when a test needs its own data or configuration.
- `browser`: one headless Chromium per test module (`/usr/bin/chromium`, never a downloaded build). Browser test
  modules must be plain sync code: no async tests or fixtures next to them.
- `page`: a fresh context (1280x800) on `live_server`; `new_page(base_url, **context_options)` opens more.
  At teardown every page is screenshotted to `tests/artifacts/<test>.png`, and the test errors if the page logged
  a JavaScript error, a `console.error`, a failed request or a 500 answer. Opt out with
  `@pytest.mark.allow_console_errors`; read what was collected with the `console_errors` fixture.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Request, Response, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from scriptorium.app import create_app
from scriptorium.core.settings import Settings
from tests.conftest import PROVIDER_ENV_PREFIXES
from tests.migrated_template import MigratedTemplate
from tests.services import require_chromium
from tests.twins.server import serve_in_thread

REPO = Path(__file__).resolve().parents[2]
DIST = REPO / "frontend" / "dist"
ARTIFACTS = REPO / "tests" / "artifacts"
VIEWPORT = {"width": 1280, "height": 800}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
# CI runs two workers on two cores next to other suites; Argon2 hashing and first renders can take seconds there.
ACTION_TIMEOUT_MS = 15_000
expect.set_options(timeout=ACTION_TIMEOUT_MS)
# Chromium's own log line for any non-2xx fetch: an expected 404/422 is not a page bug (500s are caught below).
BROWSER_HTTP_NOISE = re.compile(r"^Failed to load resource: the server responded with a status of \d+")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "allow_console_errors: the page may log errors (the test checks them itself)")


class LiveServer(str):
    """The base URL (so `f"{live_server}/read"` works) carrying the Settings and the app the server runs.

    `app.state.resources` runs on the server thread's event loop: read from it, but run coroutines there only
    with `asyncio.run_coroutine_threadsafe`. To seed data, prefer the HTTP API or your own engine on `settings`.
    """

    settings: Settings
    app: FastAPI

    def __new__(cls, url: str, settings: Settings, app: FastAPI) -> LiveServer:
        server = super().__new__(cls, url)
        server.settings = settings
        server.app = app
        return server

    @property
    def url(self) -> str:
        return str(self)


def lite_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings like a Pi install's (lite, SQLite jobs consumed in-process), isolated under `data_dir`."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "environment": "test",
        "job_backend": "sqlite",
        "run_consumer_in_process": True,
        "static_dir": DIST,
        "_env_file": None,
    }
    values.update(overrides)
    # Session fixtures run before the autouse `clean_environ`, so keep the developer's provider variables out here.
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith(PROVIDER_ENV_PREFIXES):
                patch.delenv(name, raising=False)
        return Settings(**values)


def _serve(
    stack: ExitStack, data_dir: Path, overrides: dict[str, Any], migrate: Callable[[Settings], None]
) -> LiveServer:
    settings = lite_settings(data_dir, **overrides)
    migrate(settings)
    # Huey's consumer installs SIGINT/SIGTERM handlers when it starts (in the app's startup), which Python allows
    # only on the main thread; this server starts in a thread, and the test process owns its signals anyway.
    from huey.consumer import Consumer

    app = create_app(settings)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Consumer, "_set_signal_handlers", lambda self: None)
        url = stack.enter_context(serve_in_thread(app))
    return LiveServer(url, settings, app)


@pytest.fixture(scope="session")
def built_frontend() -> Path:
    if not (DIST / "index.html").is_file():
        pytest.fail(
            f"{DIST / 'index.html'} is missing: build the UI with `make frontend` (npm ci && npm run build)",
            pytrace=False,
        )
    return DIST


@pytest.fixture(scope="session")
def live_server(
    built_frontend: Path, tmp_path_factory: pytest.TempPathFactory, migrated_template: MigratedTemplate
) -> Iterator[LiveServer]:
    with ExitStack() as stack:
        yield _serve(stack, tmp_path_factory.mktemp("live") / "var", {}, migrated_template.apply)


@pytest.fixture
def start_live_server(
    built_frontend: Path, tmp_path: Path, migrate: Callable[[Settings], None]
) -> Iterator[Callable[..., LiveServer]]:
    """Start a private server with Settings overrides; every one started is stopped after the test."""
    with ExitStack() as stack:
        count = 0

        def start(**overrides: Any) -> LiveServer:
            nonlocal count
            count += 1
            return _serve(stack, tmp_path / f"server-{count}", overrides, migrate)

        yield start


# Module scope on purpose: while sync Playwright is started it keeps an asyncio loop marked as running on the main
# thread, so every async test that followed on the same xdist worker would fail ("asyncio.run() cannot be called
# from a running event loop"). Stopping it after each browser module gives the worker back to asyncio tests.
@pytest.fixture(scope="module")
def playwright_instance() -> Iterator[Playwright]:
    require_chromium()
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(executable_path=require_chromium(), headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


class ConsoleErrors(list[str]):
    """What the test's pages logged as errors while the test ran (filled by `new_page`).

    Recording stops when the test's teardown begins: the servers it started are stopped then, in an order pytest
    chooses, while its pages may still poll them (health checks, a token refresh, a page's first fetch). Those
    failures say nothing about the app.
    """

    recording = True

    def record(self, error: str) -> None:
        if self.recording:
            self.append(error)


@pytest.fixture
def console_errors() -> ConsoleErrors:
    return ConsoleErrors()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    errors = getattr(item, "funcargs", {}).get("console_errors")
    if isinstance(errors, ConsoleErrors):
        errors.recording = False
    yield


def _watch(page: Page, errors: ConsoleErrors) -> None:
    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not BROWSER_HTTP_NOISE.match(message.text):
            errors.record(f"console.error: {message.text}")

    def on_request_failed(request: Request) -> None:
        failure = request.failure or ""
        if "ERR_ABORTED" not in failure:  # aborted on purpose (navigation, AbortController)
            errors.record(f"request failed: {request.method} {request.url}: {failure}")

    def on_response(response: Response) -> None:
        if response.status == 500:
            errors.record(f"server error: {response.request.method} {response.url} answered 500")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.record(f"uncaught: {error}"))
    page.on("requestfailed", on_request_failed)
    page.on("response", on_response)


def _artifact_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::")[-1]).strip("_")


@pytest.fixture
def new_page(
    browser: Browser, request: pytest.FixtureRequest, console_errors: ConsoleErrors
) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh context on `base_url`; screenshots and the console check happen at teardown."""
    pages: list[Page] = []

    def open_page(base_url: str, **context_options: Any) -> Page:
        options: dict[str, Any] = {"viewport": VIEWPORT, "base_url": base_url, **context_options}
        context = browser.new_context(**options)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        page = context.new_page()
        _watch(page, console_errors)
        pages.append(page)
        return page

    yield open_page

    ARTIFACTS.mkdir(exist_ok=True)
    name = _artifact_name(request.node.nodeid)
    for index, page in enumerate(pages):
        suffix = "" if index == 0 else f"-{index + 1}"
        # A page the test closed itself has nothing left to capture.
        with contextlib.suppress(PlaywrightError):
            page.screenshot(path=str(ARTIFACTS / f"{name}{suffix}.png"), full_page=True)
        page.context.close()
    if console_errors and request.node.get_closest_marker("allow_console_errors") is None:
        pytest.fail("the page logged errors:\n" + "\n".join(console_errors), pytrace=False)


@pytest.fixture
def page(new_page: Callable[..., Page], live_server: LiveServer) -> Page:
    return new_page(live_server.url)
