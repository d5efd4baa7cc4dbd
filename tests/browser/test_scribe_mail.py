"""Scribe mail end to end in Chromium (issue 14) on loopback SMTP, IMAP and DNS twins: desktop (light), phone (dark).

As a user: connect a mailbox (the password never comes back; "Test connection" says both protocols work), put a
whole batch in Drafts (the IMAP twin holds one draft per email, and a second time adds none), turn sending on, and
send one email: the dialog shows the dry run first (recipient and subject, nothing sent yet), then the real send
with its progress, after which the SMTP twin holds exactly that one message and the email says "Sent". The mail
page and the send dialog pass the same axe audit as the main pages, and no screen scrolls sideways. A batch with a
draft that needs review is refused in words and can be previewed without it; approving that draft makes it sendable.

Failures in words: a wrong app password for IMAP and SMTP, a domain whose DMARC policy would refuse the mail (and
the override reason), and a recipient refused at RCPT (Failed, with the server's reason).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.browser.test_accessibility import audit, report
from tests.browser.test_scribe import _submit_and_wait
from tests.scribe.conftest import GENERAL_TEMPLATE, _scholarly_twin_server, scholarly_twin
from tests.twins.dns import DnsTwin
from tests.twins.imap import PASSWORD, USERNAME, ImapTwin
from tests.twins.scholarly import ScholarlyTwin
from tests.twins.smtp import SmtpTwin
from tests.twins.tls import test_ca

__all__ = ["_scholarly_twin_server", "scholarly_twin"]  # the research twin, shared with the Scribe tests

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
DOMAIN = USERNAME.rpartition("@")[2]
# Two drafts research finds enough about (ready to send) and one it does not (needs review): all three go to Drafts.
ROWS = [
    {
        "recipient_name": "Dr. Tomás Okafor",
        "recipient_interest": "engineering education",
        "recipient_email": "t.okafor@college.test",
    },
    {"recipient_name": "Priya Raman", "recipient_interest": "urban stormwater", "recipient_email": "p.raman@city.test"},
    {
        "recipient_name": "Quentin Aldridge-Vey",
        "recipient_interest": "glacier acoustics",
        "recipient_email": "q.aldridge@ice.test",
    },
]


@dataclass
class FailingWorld:
    imap: ImapTwin
    smtp: SmtpTwin


@dataclass
class MailWorld:
    server: LiveServer
    imap: ImapTwin
    smtp: SmtpTwin
    dns: DnsTwin
    emails: dict[str, dict[str, Any]]  # queue items by recipient name, each with its email_id


@pytest.fixture
def mail_world(start_live_server: Callable[..., LiveServer], scholarly_twin: ScholarlyTwin) -> Iterator[MailWorld]:
    ca = test_ca()
    with ExitStack() as stack:
        imap = stack.enter_context(ImapTwin(ca=ca, tls="ssl"))
        smtp = stack.enter_context(SmtpTwin(ca=ca, tls="starttls", deliver_to=imap))
        dns = stack.enter_context(
            DnsTwin({DOMAIN: ["v=spf1 ip4:127.0.0.1 -all"], f"_dmarc.{DOMAIN}": ["v=DMARC1; p=none"]})
        )
        server = start_live_server(
            **scholarly_twin.settings_overrides(),  # fetch_allow_hosts=127.0.0.1: the server may reach the twins
            mail_ca_file=str(ca.ca_file),
            mail_dns_nameserver=dns.host,
            mail_dns_port=dns.port,
        )
        items = _submit_and_wait(server, GENERAL_TEMPLATE, ROWS)
        assert all(item["email_id"] for item in items), items
        yield MailWorld(server, imap, smtp, dns, {item["recipient_name"]: item for item in items})


def no_sideways_scroll(page: Page, where: str) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{where} scrolls sideways: {width[0]} px of content in {width[1]} px"


def connect_account(page: Page, world: MailWorld | FailingWorld, password: str = PASSWORD) -> None:
    page.goto("/scribe/mail")
    expect(page.get_by_role("heading", name="Connect a mailbox")).to_be_visible()
    expect(page.get_by_label("Gmail")).to_be_visible()  # the presets came from the server
    page.get_by_label("Outlook").check()
    expect(page.get_by_label("SMTP server", exact=True)).to_have_value(re.compile(r"outlook|office365"))
    page.get_by_label("Other").check()  # the twins are not a provider: type the servers in
    page.get_by_label("Email address").fill(USERNAME)
    page.get_by_label("Your name", exact=False).fill("Sam Student")
    page.get_by_label("App password", exact=True).fill(password)
    page.get_by_label("IMAP server", exact=True).fill(world.imap.host)
    page.get_by_label("IMAP port", exact=True).fill(str(world.imap.port))
    page.get_by_label("IMAP encryption", exact=True).select_option("ssl")
    page.get_by_label("SMTP server", exact=True).fill(world.smtp.host)
    page.get_by_label("SMTP port", exact=True).fill(str(world.smtp.port))
    page.get_by_label("SMTP encryption", exact=True).select_option("starttls")
    page.get_by_role("button", name="Save account").click()

    account = page.get_by_test_id("mail-account")
    expect(account).to_contain_text("Password saved")
    expect(account.get_by_role("heading", level=2)).to_have_text(USERNAME)  # not the provider first clicked
    expect(account.get_by_test_id("sending-badge")).to_have_text("Drafts only")  # sending is off until turned on
    expect(page.get_by_label("App password", exact=True)).to_have_count(0)  # the form closed
    assert password not in page.content()


def connection_works(page: Page) -> None:
    account = page.get_by_test_id("mail-account")
    account.get_by_role("button", name="Test connection").click()
    expect(account.get_by_test_id("test-imap")).to_have_class("check-ok", timeout=30_000)
    expect(account.get_by_test_id("test-smtp")).to_have_class("check-ok")
    expect(account.get_by_test_id("test-imap")).to_contain_text("works")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_connect_draft_a_batch_and_send_one_after_a_dry_run(
    mail_world: MailWorld, new_page: Callable[..., Page], viewport: dict[str, int]
) -> None:
    world = mail_world
    size = "phone" if viewport is PHONE else "desktop"
    # The phone run is in dark mode, so the audit covers both schemes.
    page = new_page(world.server.url, viewport=viewport, color_scheme="dark" if viewport is PHONE else "light")

    connect_account(page, world)
    connection_works(page)
    domain = page.get_by_test_id("deliverability")
    domain.get_by_role("button", name="Check the domain").click()
    expect(domain.get_by_test_id("deliverability-words")).to_contain_text(f"Mail from {DOMAIN} should be accepted")
    expect(domain.get_by_test_id("record-dmarc")).to_contain_text("v=DMARC1; p=none")
    no_sideways_scroll(page, "the Mail page")
    violations = audit(page, f"mail page ({size})")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"scribe_mail_accounts_{size}.png"), full_page=True)

    # Drafts for the whole batch, from the batch stepper of one of its emails; a second time adds none.
    okafor = world.emails["Dr. Tomás Okafor"]
    page.goto(f"/scribe/emails/{okafor['email_id']}")
    steps = page.get_by_test_id("batch-steps")
    steps.get_by_role("button", name="Put all 3 in my Drafts").click()
    expect(steps.get_by_test_id("mail-run-summary")).to_have_text("3 of 3 emails put in Drafts", timeout=60_000)
    expect(page.get_by_test_id("mail-state")).to_have_text("In Drafts")  # the email's own badge follows the run
    page.screenshot(path=str(ARTIFACTS / f"scribe_mail_drafts_{size}.png"), full_page=True)
    drafts = world.imap.folder_with("\\Drafts").name
    stored = world.imap.messages(drafts)
    assert sorted(m.message()["To"].addresses[0].addr_spec for m in stored) == sorted(
        row["recipient_email"] for row in ROWS
    )
    assert all("\\Draft" in m.flags for m in stored)
    steps.get_by_role("button", name="Put all 3 in my Drafts").click()
    expect(steps.get_by_test_id("mail-run-summary")).to_contain_text("3 skipped", timeout=60_000)
    expect(steps.get_by_test_id("mail-item").first).to_contain_text("Already in your Drafts")
    assert len(world.imap.messages(drafts)) == 3
    assert world.smtp.received == []  # drafts never go through SMTP

    # Sending is off until the user turns it on.
    page.goto("/scribe/mail")
    account = page.get_by_test_id("mail-account")
    account.get_by_label("Allow sending from this account").check()
    expect(account.get_by_test_id("sending-badge")).to_have_text("Sending on")

    # One email: the dry run first (who gets what, nothing sent), then the real send with its progress.
    page.goto(f"/scribe/emails/{okafor['email_id']}")
    subject = page.get_by_test_id("email-subject").inner_text().removeprefix("Subject").strip()
    expect(page.get_by_test_id("mail-state")).to_have_text("In Drafts")  # the badge beside the verdict
    mine = page.get_by_role("region", name="Mail this email")
    mine.get_by_role("button", name="Send…").click()
    dialog = page.get_by_role("dialog")
    preview = dialog.get_by_test_id("dry-run")
    expect(preview).to_contain_text("To Dr. Tomás Okafor <t.okafor@college.test>")
    expect(preview).to_contain_text(subject)
    expect(dialog.get_by_test_id("dry-run-note")).to_contain_text("nothing has been sent")
    expect(dialog.get_by_label("Send at most")).to_have_value("1")  # the account's first send
    no_sideways_scroll(page, "the send dialog")
    page.screenshot(path=str(ARTIFACTS / f"scribe_mail_dry_run_{size}.png"))
    violations += audit(page, f"send dialog ({size})")
    assert world.smtp.received == []

    dialog.get_by_role("button", name="Send 1 email now").click()
    expect(dialog.get_by_role("progressbar")).to_be_visible()
    expect(dialog.get_by_test_id("mail-run-summary")).to_have_text("1 of 1 email sent", timeout=60_000)
    expect(dialog.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    sent = world.smtp.wait_for(1)
    assert len(sent) == 1 and sent[0].rcpt_tos == ("t.okafor@college.test",)
    assert sent[0].message()["Subject"] == subject
    assert len(world.smtp.received) == 1

    dialog.get_by_role("button", name="Close").click()
    page.reload()
    expect(page.get_by_test_id("mail-state")).to_have_text("Sent")
    no_sideways_scroll(page, "the email page")
    page.goto("/scribe/emails")
    row = page.get_by_role("row").filter(has_text="Dr. Tomás Okafor")
    expect(row.get_by_test_id("mail-state")).to_have_text("Sent")
    expect(page.get_by_role("row").filter(has_text="Priya Raman").get_by_test_id("mail-state")).to_have_text(
        "In Drafts"
    )
    assert len(world.smtp.received) == 1

    # A batch holding a draft that needs review is refused in words, and can be previewed without it.
    page.goto(f"/scribe/emails/{okafor['email_id']}")
    page.get_by_test_id("batch-steps").get_by_role("button", name="Send these 3…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("alert")).to_contain_text("Quentin Aldridge-Vey")
    dialog.get_by_role("button", name="Leave them out: preview the 2 ready emails").click()
    expect(dialog.get_by_test_id("dry-run")).to_contain_text("To Priya Raman <p.raman@city.test>")
    expect(dialog.get_by_test_id("dry-run")).not_to_contain_text("Quentin")
    dialog.get_by_text("1 email not in this run").click()
    expect(dialog).to_contain_text("Dr. Tomás Okafor: Already sent.")
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    # The draft that needs review can be sent once the user approves it after reading it.
    quentin = world.emails["Quentin Aldridge-Vey"]
    page.goto(f"/scribe/emails/{quentin['email_id']}")
    mine = page.get_by_role("region", name="Mail this email")
    expect(mine.get_by_role("button", name="Send…")).to_have_count(0)
    mine.get_by_role("button", name="Approve for sending").click()
    expect(mine.get_by_role("status")).to_contain_text("Approved")
    mine.get_by_role("button", name="Send…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_test_id("dry-run")).to_contain_text("To Quentin Aldridge-Vey <q.aldridge@ice.test>")
    dialog.get_by_role("button", name="Cancel").click()
    assert len(world.smtp.received) == 1
    assert not violations, report(violations)


def test_a_wrong_app_password_and_a_refusing_domain_are_said_in_words(
    start_live_server: Callable[..., LiveServer], new_page: Callable[..., Page]
) -> None:
    ca = test_ca()
    # No SPF record and a DMARC policy of reject: mail From this domain would be refused.
    refusing = {f"_dmarc.{DOMAIN}": ["v=DMARC1; p=reject"]}
    with (
        ImapTwin(ca=ca, tls="ssl") as imap,
        SmtpTwin(ca=ca, tls="starttls") as smtp,
        DnsTwin(refusing) as dns,
    ):
        server = start_live_server(
            fetch_allow_hosts=["127.0.0.1"],
            mail_ca_file=str(ca.ca_file),
            mail_dns_nameserver=dns.host,
            mail_dns_port=dns.port,
        )
        page = new_page(server.url, viewport=PHONE)
        connect_account(page, FailingWorld(imap, smtp), password="my-usual-password")
        account = page.get_by_test_id("mail-account")
        account.get_by_role("button", name="Test connection").click()
        for protocol in ("imap", "smtp"):
            result = account.get_by_test_id(f"test-{protocol}")
            expect(result).to_have_class("check-fail", timeout=30_000)
            expect(result).to_contain_text("app password")

        domain = account.get_by_test_id("deliverability")
        domain.get_by_role("button", name="Check the domain").click()
        expect(domain.get_by_test_id("deliverability-words")).to_contain_text("would likely be refused")
        expect(domain.get_by_test_id("record-spf")).to_contain_text("Not found")
        reason = domain.get_by_label("Send anyway because…")
        reason.fill("My university relays this mail; IT confirmed it is signed.")
        domain.get_by_role("button", name="Save the reason").click()
        expect(domain.get_by_role("status")).to_have_text("Reason saved: sending is allowed")
        expect(domain.get_by_role("button", name="Remove the override")).to_be_visible()
        no_sideways_scroll(page, "the Mail page with failed checks")


def test_a_refused_recipient_is_failed_with_the_reason_and_sent_nothing(
    mail_world: MailWorld, new_page: Callable[..., Page]
) -> None:
    world = mail_world
    world.smtp.rcpt_replies["t.okafor@college.test"] = (
        "550 5.1.1 The email account that you tried to reach does not exist"
    )
    page = new_page(world.server.url, viewport=DESKTOP)
    connect_account(page, world)
    page.get_by_test_id("mail-account").get_by_label("Allow sending from this account").check()
    expect(page.get_by_test_id("sending-badge")).to_have_text("Sending on")

    page.goto(f"/scribe/emails/{world.emails['Dr. Tomás Okafor']['email_id']}")
    page.get_by_role("region", name="Mail this email").get_by_role("button", name="Send…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_test_id("dry-run")).to_contain_text("t.okafor@college.test")
    dialog.get_by_role("button", name="Send 1 email now").click()
    expect(dialog.get_by_test_id("mail-run-summary")).to_have_text("0 of 1 email sent · 1 failed", timeout=60_000)
    item = dialog.get_by_test_id("mail-item")
    expect(item.get_by_test_id("mail-item-state")).to_have_text("Failed")
    expect(item).to_contain_text("does not exist")
    dialog.get_by_role("button", name="Close").click()

    page.reload()
    expect(page.get_by_test_id("mail-state")).to_have_text("Failed")
    expect(page.locator(".mail-badge").first).to_contain_text("does not exist")
    assert world.smtp.received == []  # refused at RCPT: nothing was accepted
