"""The admin page in Chromium: an admin sees the overview, activity, errors and users that `/api/admin/*` report
after real Scribe work (a batch researched against the loopback scholarly twin, a dry-run probe), opens a user and
pages through their emails; a second, non-admin account gets no Admin link and "Admins only"; signed-out visitors
get the sign-in prompt; a server without accounts treats its local user as the admin."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.scribe.conftest import GENERAL_TEMPLATE as TEMPLATE
from tests.scribe.conftest import _scholarly_twin_server, scholarly_twin
from tests.twins.scholarly import ScholarlyTwin

__all__ = ["_scholarly_twin_server", "scholarly_twin"]  # the twin fixtures, shared with the Scribe tests

pytestmark = pytest.mark.browser

SECRET = "admin-browser-secret-" + "x" * 32
TOKEN_KEY = "scriptorium.token"
PASSWORD = "correct horse battery staple"
RECIPIENTS = [
    {"recipient_name": "Dr. Tomás Okafor", "recipient_interest": "engineering education"},
    {"recipient_name": "Priya Raman", "recipient_interest": "urban stormwater"},
    {"recipient_name": "Quentin Aldridge-Vey", "recipient_interest": "glacier acoustics"},
]
FAILURE = "research service unreachable (recorded by the test)"
PHONE = {"width": 390, "height": 844}


# --- what the page should print, computed here the way Intl.NumberFormat does it (half away from zero) ---------
def one_decimal(value: float) -> str:
    text = str(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    return text.removesuffix(".0")


def percent(value: float) -> str:
    return f"{one_decimal(value)}%"


def duration(seconds: float) -> str:
    assert 0 < seconds < 60, f"a short run was expected, got {seconds} s"
    return f"{one_decimal(seconds)} s"


# --- seeding through the HTTP API ----------------------------------------------------------------------------------
class Account:
    def __init__(self, client: httpx.Client, token: str, me: dict[str, Any]) -> None:
        self.client = client
        self.token = token
        self.id: str = me["id"]
        self.role: str = me["role"]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str) -> Any:
        response = self.client.get(path, headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.client.post(path, json=body, headers=self.headers)
        assert response.status_code in (200, 201), response.text
        return response.json()


def register(client: httpx.Client, email: str, name: str) -> Account:
    response = client.post("/api/auth/register", json={"email": email, "password": PASSWORD, "display_name": name})
    assert response.status_code == 201, response.text
    body = response.json()
    return Account(client, body["access_token"], body["user"])


def wait_until(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def record_failure(server: LiveServer, item_id: str) -> None:
    """Turn one finished item into a failed one, as the worker records a generation that ran out of attempts.

    The offline pipeline has no failure a test can provoke on purpose (research problems degrade to a reviewed
    draft), so the row is written directly: the admin views only read these columns.
    """
    url = server.settings.effective_database_url
    assert url.startswith("sqlite"), url
    with sqlite3.connect(url.split(":///", 1)[1]) as db:
        changed = db.execute(
            "UPDATE scribe_queue_items SET status = 'failed', current_step = 'research', error_message = ? "
            "WHERE id = ?",
            (FAILURE, item_id),
        ).rowcount
    assert changed == 1


@pytest.fixture
def admin_server(start_live_server: Callable[..., LiveServer], scholarly_twin: ScholarlyTwin) -> LiveServer:
    return start_live_server(auth_mode="local", secret_key=SECRET, **scholarly_twin.settings_overrides())


@pytest.fixture
def client(admin_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=admin_server.url, timeout=30) as http:
        yield http


@pytest.fixture
def seeded(admin_server: LiveServer, client: httpx.Client) -> tuple[Account, Account]:
    """The first account (an admin), and Ada (a user) with three emails, one failure, a template and a probe."""
    admin = register(client, "root@example.org", "Root Operator")
    ada = register(client, "ada@example.org", "Ada Lovelace")
    assert (admin.role, ada.role) == ("admin", "user")

    batch = ada.post("/api/queue/batch", {"email_template": TEMPLATE, "items": RECIPIENTS})
    ids = batch["queue_item_ids"]
    assert len(ids) == 3

    def finished() -> bool:
        items = ada.get("/api/queue/")
        return len(items) == 3 and all(i["status"] in ("completed", "needs_review") for i in items)

    wait_until(finished, "the batch to finish")
    record_failure(admin_server, ids[1])  # Priya Raman's

    probe = ada.post(
        "/api/queue/batch",
        {
            "email_template": TEMPLATE,
            "items": [{"recipient_name": "Probe", "recipient_interest": "health"}],
            "dry_run": True,
        },
    )
    probe_id = probe["queue_item_ids"][0]
    wait_until(lambda: ada.get(f"/api/email/status/{probe_id}")["status"] == "SUCCESS", "the dry run to finish")

    ada.post("/api/templates/", {"template_text": TEMPLATE, "name": "Office hours"})
    return admin, ada


def open_as(new_page: Callable[..., Page], server: LiveServer, account: Account | None, **options: Any) -> Page:
    page = new_page(server.url, locale="en-US", **options)
    if account is not None:
        page.context.add_init_script(f"localStorage.setItem({TOKEN_KEY!r}, {account.token!r})")
    return page


def test_admin_sees_the_figures_the_api_reports_and_opens_a_user(
    admin_server: LiveServer, seeded: tuple[Account, Account], new_page: Callable[..., Page]
) -> None:
    admin, ada = seeded
    overview = admin.get("/api/admin/overview")
    # What the seeding did, so a wrong API figure cannot pass just by being shown faithfully.
    assert overview["total_users"] == 2
    assert overview["total_emails"] == 3
    assert overview["error_count"] == 1
    assert overview["success_rate"] == 66.67
    assert overview["emails_this_week"] == 3 and overview["active_users_this_week"] == 1
    assert overview["dry_runs"]["runs"] == 1 and overview["dry_runs"]["failed"] == 0

    page = open_as(new_page, admin_server, admin)
    page.goto("/")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Admin").click()
    expect(page).to_have_url(f"{admin_server.url}/admin")
    expect(page.get_by_role("heading", name="Admin", level=1)).to_be_visible()

    expected = {
        "users": str(overview["total_users"]),
        "emails": str(overview["total_emails"]),
        "success_rate": percent(overview["success_rate"]),
        "avg_time": duration(overview["avg_gen_time_seconds"]),
        "confidence_rate": percent(overview["confidence_rate"]),
        "errors": str(overview["error_count"]),
        "emails_week": str(overview["emails_this_week"]),
        "active_week": str(overview["active_users_this_week"]),
        "queue": str(overview["pending_count"] + overview["processing_count"]),
        "dry_runs": str(overview["dry_runs"]["runs"]),
    }
    for key, value in expected.items():
        expect(page.get_by_test_id(f"stat-{key}").locator(".admin-stat-value")).to_have_text(value)
    expect(page.get_by_test_id("stat-success_rate")).to_contain_text("66.7%")
    expect(page.get_by_test_id("stat-dry_runs")).to_contain_text(f"0 failed · last {overview['dry_runs']['days']} days")
    expect(page.get_by_test_id("stat-users")).to_contain_text("1 saved template")

    # This week's activity row: Monday (UTC) of today, with the three emails by one person.
    now = datetime.now(UTC)
    monday = (now - timedelta(days=now.weekday())).date().isoformat()
    week = page.get_by_test_id("activity").locator(f"tr[data-week='{monday}']")
    expect(week.locator("td")).to_have_text(["3", "1"])
    expect(page.get_by_test_id("activity").locator("tbody tr")).to_have_count(12)

    errors = page.get_by_test_id("errors").get_by_role("listitem")
    expect(errors).to_have_count(1)
    expect(errors.first).to_contain_text("Ada Lovelace")
    expect(errors.first).to_contain_text("Priya Raman")
    expect(errors.first).to_contain_text(FAILURE)
    expect(errors.first).to_contain_text("Step: Researching")

    users = page.get_by_test_id("users")
    ada_row = users.locator(f"tr[data-user-id='{ada.id}']")
    expect(users.locator("tbody tr")).to_have_count(2)
    expect(ada_row.locator("td.num")).to_have_text(["3", "3", "1", "1"])  # emails, submitted, failed, templates

    # Keyboard: the user's name is a link reached and followed without a mouse.
    link = ada_row.get_by_role("link", name="Ada Lovelace")
    link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{admin_server.url}/admin/users/{ada.id}")
    expect(page.get_by_test_id("admin-user-name")).to_have_text("Ada Lovelace")

    emails_api = admin.get(f"/api/admin/users/{ada.id}/emails?page=1&per_page=10")
    emails = page.get_by_test_id("user-emails").locator(":scope > li")
    expect(emails.locator(".admin-recipient")).to_have_text([e["recipient_name"] for e in emails_api["items"]])
    expect(page.get_by_role("heading", name="Emails (3)")).to_be_visible()

    expect(emails.first.locator(".admin-body")).to_be_hidden()
    summary = emails.first.locator("summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(emails.first.locator(".admin-body")).to_have_text(emails_api["items"][0]["email_message"])

    queue = page.get_by_test_id("user-queue").locator("tbody tr")
    expect(queue).to_have_count(3)  # the probe is not the user's work
    expect(queue.filter(has_text="Priya Raman")).to_contain_text(FAILURE)
    expect(page.get_by_test_id("user-templates")).to_contain_text("Office hours")

    # Pages of two, through the address bar and the Next button, against the API's own second page.
    page.goto(f"/admin/users/{ada.id}?per_page=2")
    # A direct link has no row from the list: the heading comes from GET /api/admin/users/{id}.
    expect(page.get_by_test_id("admin-user-name")).to_have_text("Ada Lovelace")
    expect(emails).to_have_count(2)
    pager = page.get_by_role("navigation", name="Email pages")
    expect(pager).to_contain_text("1–2 of 3")
    pager.get_by_role("button", name="Next").click()
    expect(page).to_have_url(f"{admin_server.url}/admin/users/{ada.id}?per_page=2&page=2")
    expect(pager).to_contain_text("3–3 of 3")
    second = admin.get(f"/api/admin/users/{ada.id}/emails?page=2&per_page=2")
    expect(emails).to_have_count(1)
    expect(emails.first.locator(".admin-recipient")).to_have_text(second["items"][0]["recipient_name"])
    expect(pager.get_by_role("button", name="Next")).to_be_disabled()

    missing = open_as(new_page, admin_server, admin)
    missing.goto("/admin/users/nobody")
    expect(missing.get_by_text("There is no user with this id.")).to_be_visible()
    expect(missing.get_by_test_id("admin-user-name")).to_have_text("User nobody")


def test_the_page_fits_a_phone(
    admin_server: LiveServer, seeded: tuple[Account, Account], new_page: Callable[..., Page]
) -> None:
    admin, ada = seeded
    page = open_as(new_page, admin_server, admin, viewport=PHONE)
    for path in ("/admin", f"/admin/users/{ada.id}"):
        page.goto(path)
        expect(page.locator(".admin-stat-value, [data-testid=user-emails]").first).to_be_visible()
        expect(page.locator(".spinner")).to_have_count(0)  # every section has loaded
        # Wide tables scroll inside their own box; the page itself never scrolls sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin")).to_be_visible()


def test_a_user_who_is_not_an_admin_gets_no_link_and_admins_only(
    admin_server: LiveServer, seeded: tuple[Account, Account], new_page: Callable[..., Page]
) -> None:
    _, ada = seeded
    assert ada.client.get("/api/admin/overview", headers=ada.headers).status_code == 403

    page = open_as(new_page, admin_server, ada)
    page.goto("/")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_text("Ada Lovelace")).to_be_visible()  # signed in and the account is known
    expect(nav.get_by_role("link", name="Scribe")).to_be_visible()
    expect(nav.get_by_role("link", name="Admin")).to_have_count(0)

    page.goto("/admin")
    expect(page.get_by_role("heading", name="Admins only")).to_be_visible()
    expect(page.get_by_text("which is not an admin account")).to_be_visible()
    expect(page.get_by_test_id("stat-users")).to_have_count(0)
    expect(nav.get_by_role("link", name="Admin")).to_have_count(0)

    page.goto(f"/admin/users/{ada.id}")
    expect(page.get_by_role("heading", name="Admins only")).to_be_visible()
    expect(page.get_by_test_id("user-emails")).to_have_count(0)


def test_signed_out_visitors_are_asked_to_sign_in(admin_server: LiveServer, new_page: Callable[..., Page]) -> None:
    page = open_as(new_page, admin_server, None)
    page.goto("/admin")
    expect(page.get_by_role("heading", name="Sign in to use the admin page")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin")).to_have_count(0)


def test_without_accounts_the_local_user_is_the_admin(page: Page) -> None:
    page.goto("/")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Admin").click()
    expect(page.get_by_test_id("stat-users").locator(".admin-stat-value")).not_to_be_empty()
    expect(page.get_by_role("heading", name="Admins only")).to_have_count(0)
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
