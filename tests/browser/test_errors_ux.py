"""Errors and numbers in words a person reads, in Chromium: a refused recipient names the column as the table does
and highlights its cell, the Scribe page fits a phone without sideways scrolling and keeps a readable Name column,
and the admin page shows "—", not "0%", for rates of nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.scribe.conftest import GENERAL_TEMPLATE as TEMPLATE

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1440, "height": 900}  # the sizes issue 13 was walked at
PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_refused_email_names_the_column_and_highlights_its_cell(
    start_live_server: Callable[..., LiveServer], new_page: Callable[..., Page], viewport: dict[str, int]
) -> None:
    server = start_live_server()
    page = new_page(server.url, viewport=viewport)
    page.goto("/scribe")
    editor = page.get_by_role("textbox", name="Template", exact=True)
    expect(editor).not_to_have_value("")
    editor.fill(TEMPLATE)
    # No sideways scrolling on a phone, and the Name column is wide enough to read a name in.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    name = page.get_by_label("Name, row 1")
    box = name.bounding_box()
    assert box is not None and box["width"] >= 120, box

    name.fill("Dr. Tomás Okafor")
    page.get_by_label("Research interest, row 1").fill("engineering education")
    page.get_by_label("Email, row 1").fill("okafor at example dot org")
    page.get_by_role("button", name="Write 1 email").click()
    alert = page.get_by_role("alert").filter(has_text="Row 1, Email")
    expect(alert).to_be_visible()
    text = alert.inner_text()
    for internal in ("items.", "recipient_email", "Value error", "body."):
        assert internal not in text, text
    email = page.get_by_label("Email, row 1")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Name, row 1")).not_to_have_attribute("aria-invalid", "true")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_admin_shows_a_dash_for_rates_when_nothing_has_run(
    start_live_server: Callable[..., LiveServer], new_page: Callable[..., Page], viewport: dict[str, int]
) -> None:
    server = start_live_server()
    page = new_page(server.url, viewport=viewport)
    page.goto("/admin")
    for key in ("success_rate", "confidence_rate"):
        value = page.get_by_test_id(f"stat-{key}").locator(".admin-stat-value")
        expect(value).to_have_text("—")
