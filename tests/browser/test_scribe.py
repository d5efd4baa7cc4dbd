"""Scribe end to end in Chromium on a live lite server researching against the loopback scholarly twin.

- Write a batch of three, watch the live queue finish, open an email, read its evidence, edit it, save, and export
  it (as an .eml draft and as CSV: drafts that need review only when ticked, and only after a warning).
- Review: the sentence behind a failed check is marked in the draft and linked to the reason in words; previous /
  next step through the batch; regenerating over an edit asks first, and the edit can be restored from the versions.
- A research outage is said once at the top of the queue, and "Retry all" rewrites those drafts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import EventSource
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from scriptorium.core.db import sync_url
from scriptorium.scribe.models import Email
from tests.browser.conftest import LiveServer
from tests.scribe.api.test_review_exports import TALK_TEMPLATE
from tests.scribe.conftest import GENERAL_TEMPLATE as TEMPLATE
from tests.scribe.conftest import RESEARCH_TEMPLATE, _scholarly_twin_server, scholarly_twin
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
    with page.expect_download() as download:  # by default the draft that needs review stays out, and we are told
        page.get_by_role("button", name="CSV").click()
    expect(page.get_by_text("1 draft that need review was left out", exact=False)).to_be_visible()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert {row["recipient_name"] for row in rows} == {"Dr. Tomás Okafor", "Priya Raman"}

    page.get_by_label("Include drafts that need review").check()
    page.get_by_role("button", name="CSV").click()
    question = page.get_by_role("alertdialog")
    expect(question).to_contain_text("1 draft in this export is not ready to send")
    with page.expect_download() as download:
        question.get_by_role("button", name="Download anyway").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert {row["recipient_name"] for row in rows} == {"Dr. Tomás Okafor", "Priya Raman", "Quentin Aldridge-Vey"}
    assert next(r for r in rows if r["recipient_name"] == "Quentin Aldridge-Vey")["warning"].startswith("needs review")
    assert next(r for r in rows if r["recipient_name"] == "Dr. Tomás Okafor")["subject"] == (
        "Advice on first-year engineering success"
    )


def _submit_and_wait(server: LiveServer, template: str, rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Queue a batch over HTTP and wait on the queue's event stream (`until_done`) until every item is finished."""
    with httpx.Client(base_url=server.url, timeout=120) as client:
        submitted = client.post("/api/queue/batch", json={"email_template": template, "items": rows})
        assert submitted.status_code == 201, submitted.text
        ids = submitted.json()["queue_item_ids"]
        with client.stream("GET", "/api/queue/stream", params={"until_done": "true"}) as stream:
            for event in EventSource(stream).iter_sse():
                if event.event == "done":
                    break
        by_id = {item["id"]: item for item in client.get("/api/queue/").json()}
    return [by_id[item_id] for item_id in ids]


def _flag_sentence(server: LiveServer, email_id: str, sentence: str, reason: str) -> None:
    """What the attribution check stores for an unsupported sentence, written into the row as the worker would."""
    engine = create_engine(sync_url(server.settings))
    try:
        with Session(engine) as session:
            email = session.get(Email, email_id)
            assert email is not None and sentence in email.email_message
            check = {"name": "attribution", "passed": False, "detail": reason, "sentences": [sentence]}
            email.checks = [*email.checks, check]
            email.review_reasons = [reason]
            email.status, email.is_confident = "needs_review", False
            session.commit()
    finally:
        engine.dispose()


@pytest.fixture
def review_server(start_live_server: Callable[..., LiveServer], scholarly_twin: ScholarlyTwin) -> LiveServer:
    return start_live_server(**scholarly_twin.settings_overrides())


def test_review_marks_the_sentence_steps_through_the_batch_and_asks_before_replacing_an_edit(
    review_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    okafor, priya, quentin = _submit_and_wait(
        review_server,
        TEMPLATE,
        [
            {"recipient_name": "Dr. Tomás Okafor", "recipient_interest": "engineering education"},
            {"recipient_name": "Priya Raman", "recipient_interest": "urban stormwater"},
            {"recipient_name": "Quentin Aldridge-Vey", "recipient_interest": "glacier acoustics"},
        ],
    )
    assert [okafor["status"], priya["status"], quentin["status"]] == ["completed", "completed", "needs_review"]
    with httpx.Client(base_url=review_server.url) as client:
        body = client.get(f"/api/email/{okafor['email_id']}").json()["email_message"]
    flagged = next(line for line in body.splitlines() if line.startswith("I'm a first-year")).split(". ")[0] + "."
    reason = "'first-year engineering student' is in no source and not in the template as written."
    _flag_sentence(review_server, okafor["email_id"], flagged, reason)

    page = new_page(review_server.url)
    page.goto(f"/scribe/emails/{okafor['email_id']}")
    mark = page.get_by_test_id("email-body").get_by_test_id("flagged-sentence")
    expect(mark).to_have_count(1)
    expect(mark).to_have_text(flagged)
    described_by = mark.get_attribute("aria-describedby")
    assert described_by
    expect(page.locator(f"[id='{described_by}']")).to_contain_text(reason)  # the reason in words, beside it
    expect(page.get_by_test_id("review-reasons")).to_contain_text("marked in the draft")

    steps = page.get_by_test_id("batch-steps")
    expect(steps.get_by_test_id("batch-position")).to_have_text("Email 1 of 3 in this batch · 2 need review")
    steps.get_by_role("link", name="Next").click()
    expect(page).to_have_url(f"{review_server.url}/scribe/emails/{priya['email_id']}")
    expect(page.get_by_test_id("email-body")).to_contain_text("Hello Priya Raman,")
    expect(steps.get_by_test_id("batch-position")).to_have_text("Email 2 of 3 in this batch · 2 need review")
    steps.get_by_role("link", name="Next").click()
    expect(page.get_by_role("heading", name="To Quentin Aldridge-Vey")).to_be_visible()
    expect(page.get_by_test_id("review-reasons")).to_contain_text("Not enough verified information")
    expect(steps.get_by_text("Next →")).to_have_attribute("aria-disabled", "true")  # the end of the batch
    steps.get_by_role("link", name="Previous").click()
    expect(page.get_by_role("heading", name="To Priya Raman")).to_be_visible()

    # Edit Priya's email, then regenerate: the page asks, and "Keep my edit" keeps it.
    page.get_by_role("button", name="Edit").click()
    edited = page.get_by_label("Body").input_value().replace("Thanks,", "With many thanks for your time,")
    page.get_by_label("Body").fill(edited)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("email-body")).to_contain_text("With many thanks for your time,")
    page.get_by_role("button", name="Regenerate").click()
    question = page.get_by_role("alertdialog")
    expect(question).to_contain_text("Replace your edit?")
    expect(question.get_by_role("button", name="Keep my edit")).to_be_focused()
    question.get_by_role("button", name="Keep my edit").click()
    expect(question).to_have_count(0)
    expect(page.get_by_text("version 2", exact=False)).to_be_visible()

    page.get_by_role("button", name="Regenerate").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Regenerate anyway").click()
    expect(page.get_by_text("version 3", exact=False)).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("email-body")).not_to_contain_text("With many thanks for your time,")

    page.get_by_text("History: 3 versions").click()
    versions = page.get_by_test_id("version")
    expect(versions.filter(has_text="your edit")).to_have_count(1)
    page.get_by_role("button", name="Restore v2").click()
    expect(page.get_by_test_id("email-body")).to_contain_text("With many thanks for your time,")
    expect(page.get_by_text("version 4", exact=False)).to_be_visible()


def test_a_real_runs_flagged_sentence_is_marked_with_its_placeholder_inside(
    review_server: LiveServer, new_page: Callable[..., Page]
) -> None:
    """No source can fill {{talk_title}}: the run needs review and its check names the sentence, unseeded."""
    [item] = _submit_and_wait(
        review_server, TALK_TEMPLATE, [{"recipient_name": "Priya Raman", "recipient_interest": "urban stormwater"}]
    )
    assert item["status"] == "needs_review"
    page = new_page(review_server.url)
    page.goto(f"/scribe/emails/{item['email_id']}")
    mark = page.get_by_test_id("email-body").get_by_test_id("flagged-sentence")
    expect(mark).to_have_count(1)
    expect(mark).to_contain_text("I watched your talk {{talk_title}} and would love to learn")
    expect(mark.locator("mark.leftover")).to_have_text("{{talk_title}}")  # the placeholder, marked inside it
    reason = page.locator(f"[id='{mark.get_attribute('aria-describedby')}']")
    expect(reason).to_contain_text("Placeholders left to fill: {{talk_title}}.")
    expect(page.get_by_test_id("batch-steps")).to_have_count(0)  # one email is not a batch to step through


def test_an_outage_is_said_once_and_retried_from_the_queue(
    review_server: LiveServer, scholarly_twin: ScholarlyTwin, new_page: Callable[..., Page]
) -> None:
    for route in ("openalex.authors", "s2.authors", "arxiv"):
        scholarly_twin.fail(route, 503)
    rows = [
        {"recipient_name": "Dr. Maria Chen", "recipient_interest": "protein folding"},
        {"recipient_name": "Priya Raman", "recipient_interest": "urban stormwater"},
    ]
    items = _submit_and_wait(review_server, RESEARCH_TEMPLATE, rows)
    assert {item["status"] for item in items} == {"needs_review"}

    page = new_page(review_server.url)
    page.goto("/scribe/queue")
    banner = page.get_by_test_id("outage-banner")
    expect(banner).to_have_count(1)  # once for the batch, not once per email
    expect(banner).to_contain_text("Couldn't reach OpenAlex, Semantic Scholar and arXiv for 2 emails in this batch.")

    page.goto(f"/scribe/emails/{items[0]['email_id']}")  # the email says what its research could not do
    notes = page.get_by_test_id("research-notes")
    notes.locator("summary").click()
    expect(notes.locator("li").first).to_be_visible()
    expect(notes).to_contain_text("arXiv: HTTP 503 after 3 attempts")
    page.goto("/scribe/queue")

    scholarly_twin.reset()
    banner.get_by_role("button", name="Retry all").click()
    expect(page.get_by_text("Retrying 2 emails.")).to_be_visible()
    expect(page.get_by_test_id("queue-summary")).to_have_text("4 of 4 written", timeout=60_000)
    expect(banner).to_have_count(0)
    with httpx.Client(base_url=review_server.url) as client:
        versions = [len(client.get(f"/api/email/{item['email_id']}").json()["versions"]) for item in items]
        review = client.get(f"/api/queue/batches/{items[0]['batch_id']}").json()
    assert review["outage"] is None  # every source answered this time; whatever still needs review, it is not that
    assert versions == [2, 2]  # each rewritten once; the outage drafts stay as version 1
    assert [e["id"] for e in review["emails"]] == [item["email_id"] for item in items]
