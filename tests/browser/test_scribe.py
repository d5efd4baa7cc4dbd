"""Scribe end to end in Chromium: write a batch of three, watch the live queue finish, open an email, read its
evidence, edit it, save, and export it (as an .eml draft and as CSV) on a live lite server researching against
the loopback scholarly twin."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.scribe.conftest import GENERAL_TEMPLATE as TEMPLATE
from tests.scribe.conftest import _scholarly_twin_server, scholarly_twin
from tests.twins.scholarly import ScholarlyTwin

__all__ = ["_scholarly_twin_server", "scholarly_twin"]  # the twin fixtures, shared with the Scribe tests

pytestmark = pytest.mark.browser

PASTED = "Priya Raman\turban stormwater\nQuentin Aldridge-Vey\tglacier acoustics"


@pytest.fixture
def scribe_server(start_live_server: Callable[..., LiveServer], scholarly_twin: ScholarlyTwin) -> LiveServer:
    scholarly_twin.latency.update({"openalex.authors": 1.0, "s2.authors": 1.0})  # slow enough to watch
    return start_live_server(**scholarly_twin.settings_overrides())


def test_batch_progress_review_edit_and_export(
    scribe_server: LiveServer, new_page: Callable[..., Page], tmp_path: Path
) -> None:
    page = new_page(scribe_server.url, accept_downloads=True)
    page.goto("/scribe")

    editor = page.get_by_role("textbox", name="Template", exact=True)
    # The page puts the saved (or sample) template in once the profile loads; type only after that, as a person
    # would, or a slow load can replace what was typed (seen once in CI under load: the badge said "research").
    expect(editor).not_to_have_value("")
    editor.fill(TEMPLATE)
    expect(editor).to_have_value(TEMPLATE)
    expect(page.get_by_test_id("template-type")).to_have_text("general")
    expect(page.locator(".placeholder-chip")).to_have_text(["{{name}}", "{{university}}", "{{research_area}}"])

    page.get_by_label("Name, row 1").fill("Dr. Tomás Okafor")
    page.get_by_label("Research interest, row 1").fill("engineering education")
    page.get_by_role("button", name="Paste rows").click()
    page.get_by_label("Paste from a spreadsheet", exact=False).fill(PASTED)
    page.get_by_role("button", name="Add rows").click()
    expect(page.get_by_label("Name, row 3")).to_have_value("Quentin Aldridge-Vey")

    page.get_by_role("button", name="Write 3 emails").click()
    expect(page).to_have_url(f"{scribe_server.url}/scribe/queue")
    items = page.get_by_test_id("queue-item")
    expect(items).to_have_count(3)
    expect(page.locator("[data-testid=queue-item][data-status=processing]").first).to_be_visible()
    expect(page.get_by_test_id("queue-summary")).to_have_text("3 of 3 written", timeout=60_000)
    expect(page.locator("[data-testid=queue-item][data-status=needs_review]")).to_have_count(1)  # thin evidence
    for bar in page.get_by_role("progressbar").all():
        expect(bar).to_have_attribute("aria-valuenow", "100")

    okafor = items.filter(has_text="Dr. Tomás Okafor")
    okafor.get_by_role("link", name="Open email").click()
    expect(page.get_by_test_id("email-body")).to_contain_text("Hello Tomás Okafor,")
    expect(page.get_by_text("Ready to send")).to_be_visible()
    claim = page.get_by_test_id("claim-card").first
    expect(claim).to_be_visible()
    expect(claim.get_by_test_id("source-card").first).to_contain_text("retrieved")
    expect(claim.locator(".source-excerpt").first).not_to_be_empty()

    page.get_by_role("button", name="Edit").click()
    page.get_by_label("Subject").fill("Advice on first-year engineering success")
    body = page.get_by_label("Body")
    body.fill(body.input_value().replace("Thanks,", "Thank you so much,"))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("email-subject")).to_contain_text("Advice on first-year engineering success")
    expect(page.get_by_text("version 2", exact=False)).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("button", name="Export .eml").click()
    message = BytesParser(policy=policy.default).parsebytes(Path(download.value.path()).read_bytes())
    assert message["Subject"] == "Advice on first-year engineering success"
    assert "Thank you so much," in message.get_content()

    page.get_by_role("link", name="All emails").click()
    expect(page.get_by_test_id("history-range")).to_have_text("1–3 of 3")
    with page.expect_download() as download:
        page.get_by_role("button", name="CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert {row["recipient_name"] for row in rows} == {"Dr. Tomás Okafor", "Priya Raman", "Quentin Aldridge-Vey"}
    assert next(r for r in rows if r["recipient_name"] == "Dr. Tomás Okafor")["subject"] == (
        "Advice on first-year engineering success"
    )
