"""Accounts in the browser: local sign-up, sign-out and sign-in, field errors, stale tokens, Supabase tokens."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import jwt
import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import LiveServer
from tests.twins.gotrue import GoTrueTwin
from tests.twins.server import serve_in_thread

pytestmark = pytest.mark.browser

SECRET = "browser-test-secret-" + "x" * 32
SUPABASE_SECRET = "supabase-jwt-secret-" + "y" * 32
TOKEN_KEY = "scriptorium.token"
ANON_KEY = "anon-public-key"


@pytest.fixture
def local_server(start_live_server: Callable[..., LiveServer]) -> LiveServer:
    return start_live_server(auth_mode="local", secret_key=SECRET)


def stored_token(page: Page) -> str | None:
    return page.evaluate(f"localStorage.getItem({TOKEN_KEY!r})")


def register(page: Page, *, name: str, email: str, password: str) -> None:
    page.get_by_role("tab", name="Create account").click()
    page.get_by_label("Name (optional)").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Create account").click()


def test_register_sign_out_and_sign_in_again(new_page: Callable[..., Page], local_server: LiveServer) -> None:
    page = new_page(local_server.url)
    page.goto("/read")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Sign in").click()
    expect(page).to_have_url(f"{local_server.url}/signin?next=%2Fread")
    expect(page.get_by_text("At least 10 characters.")).to_have_count(0)

    register(page, name="Ada Lovelace", email="Ada@Example.org", password="correct horse battery")

    expect(page).to_have_url(f"{local_server.url}/read")
    expect(nav.get_by_text("Ada Lovelace")).to_be_visible()
    assert stored_token(page)

    page.reload()  # the stored token is checked with /api/auth/me on load
    expect(nav.get_by_text("Ada Lovelace")).to_be_visible()

    nav.get_by_role("button", name="Sign out").click()
    expect(nav.get_by_role("link", name="Sign in")).to_be_visible()
    assert stored_token(page) is None

    nav.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill("ada@example.org")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(nav.get_by_text("Ada Lovelace")).to_be_visible()
    expect(page).to_have_url(f"{local_server.url}/read")


def test_server_validation_appears_under_the_field(new_page: Callable[..., Page], local_server: LiveServer) -> None:
    page = new_page(local_server.url)
    page.goto("/signin")
    page.get_by_role("tab", name="Create account").click()
    expect(page.get_by_text("At least 10 characters.")).to_be_visible()

    register(page, name="", email="grace@example.org", password="short")

    password = page.get_by_label("Password")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field-error")).to_have_text("String should have at least 10 characters")
    assert stored_token(page) is None


def test_wrong_password_is_reported_without_signing_in(new_page: Callable[..., Page], local_server: LiveServer) -> None:
    page = new_page(local_server.url)
    page.goto("/signin")
    register(page, name="Grace", email="grace@example.org", password="a long enough password")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("button", name="Sign out").click()
    expect(nav.get_by_role("button", name="Sign out")).to_have_count(0)

    page.goto("/signin")  # the nav's sign-in link is hidden while already on /signin, so go there directly
    page.get_by_label("Email").fill("grace@example.org")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in", exact=True).click()

    refusal = page.request.post("/api/auth/login", data={"email": "grace@example.org", "password": "not the password"})
    assert refusal.status == 401
    expect(page.get_by_role("alert")).to_have_text(refusal.json()["detail"])
    expect(nav.get_by_role("link", name="Sign in")).to_have_count(0)  # hidden on /signin itself
    assert stored_token(page) is None


def test_a_sign_out_wins_over_an_account_lookup_still_in_flight(
    new_page: Callable[..., Page], local_server: LiveServer
) -> None:
    """Signing in asks /api/auth/me in the background; if its answer lands after a sign-out it must be ignored.

    CI once saw this under load: the late answer put the account back in the navigation after "Sign out".
    """
    page = new_page(local_server.url)
    held: list[Route] = []

    def hold(route: Route) -> None:  # hold every lookup until the test lets it through
        held.append(route)

    page.route("**/api/auth/me", hold)
    page.goto("/signin")
    register(page, name="Hedy", email="hedy@example.org", password="frequency hopping spread")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_text("Hedy")).to_be_visible()  # from the register answer itself
    for _ in range(100):  # the route handler runs while Playwright waits
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "signing in should have asked /api/auth/me"

    nav.get_by_role("button", name="Sign out").click()
    expect(nav.get_by_role("button", name="Sign out")).to_have_count(0)

    with page.expect_response("**/api/auth/me") as answered:
        for route in held:
            route.continue_()
    assert answered.value.status == 200  # the old token was still valid: only the client can ignore the answer
    page.wait_for_timeout(250)  # give React a render after the late answer
    expect(nav.get_by_role("button", name="Sign out")).to_have_count(0)
    assert stored_token(page) is None


def test_a_stale_token_is_dropped_and_sign_in_offered(new_page: Callable[..., Page], local_server: LiveServer) -> None:
    page = new_page(local_server.url)
    page.context.add_init_script(f"localStorage.setItem({TOKEN_KEY!r}, 'not-a-valid-token')")
    page.goto("/")

    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Sign in")).to_be_visible()
    page.wait_for_function(f"localStorage.getItem({TOKEN_KEY!r}) === null")


def supabase_token(sub: str, email: str) -> str:
    now = int(time.time())
    claims = {"sub": sub, "email": email, "aud": "authenticated", "iat": now, "exp": now + 600, "role": "authenticated"}
    return jwt.encode(claims, SUPABASE_SECRET, algorithm="HS256")


def test_supabase_mode_accepts_a_project_token(
    new_page: Callable[..., Page], start_live_server: Callable[..., LiveServer]
) -> None:
    server = start_live_server(auth_mode="supabase", supabase_jwt_secret=SUPABASE_SECRET, secret_key=SECRET)
    page = new_page(server.url)
    page.goto("/signin")
    expect(page.get_by_role("tab", name="Create account")).to_have_count(0)

    token = supabase_token(str(uuid.uuid4()), "lin@example.org")
    page.get_by_label("Access token").fill(token)
    page.get_by_role("button", name="Sign in").click()

    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    me = page.request.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["email"] == "lin@example.org"
    expect(nav.locator(".who")).to_have_text(me["display_name"] or me["email"])
    assert stored_token(page) == token
    expect(page).to_have_url(f"{server.url}/")


def supabase_server(start: Callable[..., LiveServer], project: str, **extra: object) -> LiveServer:
    """A server in supabase mode that names `project` (a GoTrue twin) and its anon key to the UI."""
    return start(
        auth_mode="supabase",
        supabase_jwt_secret=SUPABASE_SECRET,
        supabase_url=project,
        supabase_anon_key=ANON_KEY,
        secret_key=SECRET,
        **extra,
    )


def test_supabase_mode_signs_in_with_email_and_password_at_the_project(
    new_page: Callable[..., Page], start_live_server: Callable[..., LiveServer]
) -> None:
    twin = GoTrueTwin(secret=SUPABASE_SECRET, anon_key=ANON_KEY)
    twin.users = {"lin@example.org": "correct horse battery", "new@example.org": "staple battery horse"}
    twin.unconfirmed = {"new@example.org"}
    with serve_in_thread(twin) as project:
        server = supabase_server(start_live_server, project)
        page = new_page(server.url)
        page.goto("/signin")
        form = page.get_by_role("form", name="Sign in")

        form.get_by_label("Email").fill("lin@example.org")
        form.get_by_label("Password").fill("wrong password")
        form.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_have_text("Email or password is incorrect.")
        assert stored_token(page) is None

        form.get_by_label("Email").fill("new@example.org")
        form.get_by_label("Password").fill("staple battery horse")
        form.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("Confirm your email address first")

        form.get_by_label("Email").fill("lin@example.org")
        form.get_by_label("Password").fill("correct horse battery")
        form.get_by_role("button", name="Sign in").click()

        nav = page.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
        token = stored_token(page)
        assert token is not None
        me = page.request.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert me["email"] == "lin@example.org"
    # The password went to the project only, with its public key; our server saw a token, never the password.
    assert [r["headers"]["apikey"] for r in twin.requests] == [ANON_KEY] * 3
    assert twin.requests[-1]["query"] == {"grant_type": "password"}


def test_supabase_mode_signs_in_through_an_oauth_provider_and_clears_the_token_from_the_address(
    new_page: Callable[..., Page], start_live_server: Callable[..., LiveServer]
) -> None:
    twin = GoTrueTwin(secret=SUPABASE_SECRET, anon_key=ANON_KEY)
    with serve_in_thread(twin) as project:
        server = supabase_server(start_live_server, project, supabase_oauth_providers=["github"])
        page = new_page(server.url)
        page.goto("/signin?next=/scribe")
        page.get_by_role("link", name="Continue with GitHub").click()  # the twin refuses: no account chosen
        expect(page.get_by_role("alert")).to_contain_text("cancelled or refused")
        assert "#" not in page.url and stored_token(page) is None

        twin.oauth_email = "gh@example.org"
        page.get_by_role("link", name="Continue with GitHub").click()
        expect(page).to_have_url(f"{server.url}/scribe")
        nav = page.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
        token = stored_token(page)
        assert token is not None and token not in page.url
        me = page.request.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert me["email"] == "gh@example.org"
        page.close()  # the Scribe page keeps talking to its server; stop it before the servers stop
    started = [r["query"] for r in twin.requests]
    assert started[-1] == {"provider": "github", "redirect_to": f"{server.url}/signin?next=/scribe"}


def test_account_tabs_work_from_the_keyboard(new_page: Callable[..., Page], local_server: LiveServer) -> None:
    page = new_page(local_server.url)
    page.goto("/signin")
    sign_in = page.get_by_role("tab", name="Sign in")
    create = page.get_by_role("tab", name="Create account")
    expect(sign_in).to_have_attribute("aria-selected", "true")

    sign_in.focus()
    page.keyboard.press("ArrowRight")

    expect(create).to_be_focused()
    expect(create).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel", name="Create account")).to_be_visible()
    expect(page.get_by_label("Name (optional)")).to_be_visible()
    page.keyboard.press("ArrowLeft")
    expect(sign_in).to_be_focused()
    expect(page.get_by_label("Name (optional)")).to_have_count(0)
