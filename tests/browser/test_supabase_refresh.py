"""Supabase sign-ins outlive their access tokens: the UI refreshes them at the project (a GoTrue twin) in time.

The twin issues access tokens that live a few seconds, and the server's 30 s clock leeway is set to 0 here, so an
old token really is refused by the time a test looks: whatever still works afterwards works on a refreshed token.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
from playwright.sync_api import Page, expect

from scriptorium.core.auth import supabase as supabase_auth
from tests.browser.conftest import LiveServer
from tests.browser.test_sign_in import ANON_KEY, SUPABASE_SECRET, stored_token, supabase_server
from tests.twins.gotrue import GoTrueTwin
from tests.twins.server import serve_in_thread

pytestmark = pytest.mark.browser

LIFETIME = 4  # seconds an access token lives: refreshed halfway, so about every 2 s
SESSION_KEY = "scriptorium.supabase.session"
EMAIL, PASSWORD = "lin@example.org", "correct horse battery"


@pytest.fixture(autouse=True)
def no_clock_leeway(monkeypatch: pytest.MonkeyPatch) -> None:
    """The in-process server accepts a token only until its `exp`, not 30 s beyond."""
    monkeypatch.setattr(supabase_auth, "LEEWAY_SECONDS", 0)


@pytest.fixture
def twin() -> GoTrueTwin:
    twin = GoTrueTwin(secret=SUPABASE_SECRET, anon_key=ANON_KEY, access_token_lifetime=LIFETIME)
    twin.users = {EMAIL: PASSWORD}
    return twin


@pytest.fixture
def project(twin: GoTrueTwin) -> Iterator[str]:
    with serve_in_thread(twin) as url:
        yield url


def stored_session(page: Page) -> dict[str, Any] | None:
    raw = page.evaluate(f"localStorage.getItem({SESSION_KEY!r})")
    return json.loads(raw) if raw else None


def expiry(token: str) -> int:
    return int(jwt.decode(token, options={"verify_signature": False})["exp"])


def wait_until_expired(page: Page, token: str) -> None:
    """Let `token` expire (by the server's clock: whole seconds, so one more to be sure)."""
    remaining = expiry(token) + 1 - time.time()
    if remaining > 0:
        page.wait_for_timeout(remaining * 1000)


def refused_by_server(page: Page, token: str) -> bool:
    return page.request.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status == 401


def sign_in_with_password(page: Page, next_path: str) -> None:
    page.goto(f"/signin?next={next_path}")
    form = page.get_by_role("form", name="Sign in")
    form.get_by_label("Email").fill(EMAIL)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out")).to_be_visible()


def sign_in_with_oauth(page: Page, twin: GoTrueTwin, next_path: str) -> None:
    twin.oauth_email = EMAIL
    page.goto(f"/signin?next={next_path}")
    page.get_by_role("link", name="Continue with GitHub").click()
    expect(page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out")).to_be_visible()


def open_templates(page: Page) -> str:
    """An API-backed action: show the saved templates (GET /api/templates/); returns the bearer token it sent."""
    scribe = page.get_by_role("navigation", name="Scribe")
    scribe.get_by_role("link", name="Emails").click()
    with page.expect_response("**/api/templates/?limit=100") as answered:
        scribe.get_by_role("link", name="Templates").click()
    assert answered.value.status == 200
    expect(page.get_by_text("No saved templates yet.")).to_be_visible()
    return str(answered.value.request.headers["authorization"]).removeprefix("Bearer ")


def assert_no_refresh_token_reused(twin: GoTrueTwin) -> None:
    refreshes = twin.grants("refresh_token")
    sent = [r["body"]["refresh_token"] for r in refreshes]
    assert len(set(sent)) == len(sent), "a rotated refresh token was sent twice"
    assert [r["status"] for r in refreshes] == [200] * len(refreshes)


@pytest.mark.parametrize("way_in", ["password", "oauth"])
def test_a_session_outlives_its_access_tokens(
    way_in: str,
    new_page: Callable[..., Page],
    start_live_server: Callable[..., LiveServer],
    twin: GoTrueTwin,
    project: str,
) -> None:
    server = supabase_server(start_live_server, project, supabase_oauth_providers=["github"])
    page = new_page(server.url)
    if way_in == "password":
        sign_in_with_password(page, "/scribe/templates")
    else:
        sign_in_with_oauth(page, twin, "/scribe/templates")
    first = stored_token(page)
    assert first is not None
    session = stored_session(page)
    assert session is not None and session["accessToken"] == first and session["refreshToken"]

    wait_until_expired(page, first)
    assert refused_by_server(page, first)  # the first token is dead: only a refresh can explain what follows

    used = open_templates(page)
    assert used != first
    current = stored_token(page)
    assert current is not None and current != first
    refreshed = stored_session(page)
    assert (
        refreshed is not None
        and refreshed["accessToken"] == current
        and refreshed["refreshToken"] != session["refreshToken"]
    )
    refreshes = twin.grants("refresh_token")
    assert refreshes and all(r["headers"]["apikey"] == ANON_KEY for r in refreshes)
    assert_no_refresh_token_reused(twin)

    # Away from the app while the token expires (no timers run on another page), then back: the refresh happens
    # before the first account lookup, so coming back does not end in "Sign in".
    before = len(twin.grants("refresh_token"))
    page.goto("about:blank")
    wait_until_expired(page, current)
    page.goto("/scribe/templates")
    expect(page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_text("No saved templates yet.")).to_be_visible()
    assert len(twin.grants("refresh_token")) > before
    assert stored_token(page) != current
    assert_no_refresh_token_reused(twin)
    page.close()  # the Scribe page keeps talking to its server; stop it before the servers stop


def test_a_refused_refresh_token_falls_back_to_sign_in(
    new_page: Callable[..., Page], start_live_server: Callable[..., LiveServer], twin: GoTrueTwin, project: str
) -> None:
    server = supabase_server(start_live_server, project)
    page = new_page(server.url)
    sign_in_with_password(page, "/scribe/templates")
    expect(page.get_by_text("No saved templates yet.")).to_be_visible()
    twin.revoke_refresh_tokens()  # e.g. signed out everywhere from another device

    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Sign in")).to_be_visible()
    expect(page.get_by_role("heading", name="Sign in to use Scribe")).to_be_visible()
    assert stored_token(page) is None
    assert stored_session(page) is None

    page.wait_for_timeout(LIFETIME * 1000)  # long enough for several refreshes, had anything kept trying
    assert len(twin.grants("refresh_token")) == 1
    assert twin.grants("refresh_token")[0]["status"] == 400
    expect(page.get_by_role("heading", name="Sign in to use Scribe")).to_be_visible()

    # Signing in again starts a fresh session that refreshes as before.
    form = page.get_by_role("form", name="Sign in")
    form.get_by_label("Email").fill(EMAIL)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    fresh = stored_token(page)
    assert fresh is not None
    wait_until_expired(page, fresh)
    assert open_templates(page) != fresh
    page.close()


def test_sign_out_forgets_the_refresh_token_and_revokes_it_at_the_project(
    new_page: Callable[..., Page], start_live_server: Callable[..., LiveServer], twin: GoTrueTwin, project: str
) -> None:
    server = supabase_server(start_live_server, project)
    page = new_page(server.url)
    sign_in_with_password(page, "/")
    session = stored_session(page)
    assert session is not None
    with page.expect_response(f"{project}/auth/v1/logout?scope=local") as logout:
        page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in")).to_be_visible()
    assert stored_token(page) is None
    assert stored_session(page) is None
    assert logout.value.status == 204
    assert logout.value.request.headers["authorization"] == f"Bearer {session['accessToken']}"

    # A copy of the refresh token taken before the sign-out is dead at the project, not just forgotten here.
    reuse = page.request.post(
        f"{project}/auth/v1/token?grant_type=refresh_token",
        headers={"apikey": ANON_KEY},
        data={"refresh_token": session["refreshToken"]},
    )
    assert (reuse.status, reuse.json()["error"]) == (400, "invalid_grant")
    assert "Not Found" in reuse.json()["error_description"]
    page.wait_for_timeout(LIFETIME * 1000)
    assert [r["body"]["refresh_token"] for r in twin.grants("refresh_token")] == [session["refreshToken"]]


def test_two_tabs_never_spend_the_same_refresh_token(
    new_page: Callable[..., Page], start_live_server: Callable[..., LiveServer], twin: GoTrueTwin, project: str
) -> None:
    """Both tabs see the same session; Supabase rotates refresh tokens, so only one of them may use each."""
    server = supabase_server(start_live_server, project)
    first_tab = new_page(server.url)
    sign_in_with_password(first_tab, "/scribe/templates")
    second_tab = first_tab.context.new_page()
    second_tab.goto("/scribe/templates")
    expect(second_tab.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out")).to_be_visible()

    first_tab.wait_for_timeout(3 * LIFETIME * 1000)  # several refreshes due in both tabs at the same moments

    assert len(twin.grants("refresh_token")) >= 3
    assert_no_refresh_token_reused(twin)
    for tab in (first_tab, second_tab):
        expect(tab.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out")).to_be_visible()
        open_templates(tab)
    second_tab.close()
    first_tab.close()
