"""Adversary tests for reply detection: what lands in a student's INBOX in answer to a sent email but is no
reply from a person.

An out-of-office answer carries In-Reply-To like a reply. `find_replies` fetched its Auto-Submitted header and
never looked at it, so a professor on holiday was marked "replied" and Scribe would never suggest writing to
them again. Auto-replies (RFC 3834 Auto-Submitted, and the X-Autoreply / X-Autorespond / Precedence headers
older autoresponders use) are now left out; a delivery report is still a bounce.
"""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage

import pytest

from scriptorium.core.settings import Settings
from scriptorium.scribe.mail.imap import open_mailbox
from scriptorium.scribe.mail.message import OutgoingMail, build_message, stable_message_id
from tests.scribe.mail.conftest import twin_server
from tests.twins.imap import ImapTwin
from tests.twins.tls import TestCA


def answer(to_id: str, sender: str, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["Subject"] = "Re: A question about glaciers"
    message["Message-ID"] = f"<{abs(hash((to_id, sender, tuple(headers.items()))))}@faraway.test>"
    message["In-Reply-To"] = to_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("I am away until June.\n")
    return message


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"Auto_Submitted": "auto-generated"},
        {"Auto_Submitted": "auto-replied (vacation)"},
        {"X_Autoreply": "yes"},
        {"X_Autorespond": "Out of office"},
        {"Precedence": "auto_reply"},
    ],
)
async def test_an_out_of_office_answer_is_not_a_reply(
    imap_twin: ImapTwin, mail_settings: Settings, headers: dict[str, str]
) -> None:
    away, human = stable_message_id("e-away", "uni.test"), stable_message_id("e-human", "uni.test")
    imap_twin.add("INBOX", answer(away, "rivera@faraway.test", **headers))
    imap_twin.add("INBOX", answer(human, "ng@faraway.test", Auto_Submitted="no"))

    async with open_mailbox(twin_server(imap_twin), settings=mail_settings) as box:
        found = await box.find_replies([away, human], date.today())

    assert [(r.message_id_replied_to, r.from_address, r.is_bounce) for r in found] == [
        (human, "ng@faraway.test", False)
    ]


async def test_a_delivery_report_is_still_a_bounce_though_it_is_auto_submitted(
    imap_twin: ImapTwin, mail_settings: Settings
) -> None:
    ours = stable_message_id("e-bounced", "uni.test")
    report = answer(ours, "Mail Delivery Subsystem <mailer-daemon@mx.faraway.test>", Auto_Submitted="auto-replied")
    imap_twin.add("INBOX", report)

    async with open_mailbox(twin_server(imap_twin), settings=mail_settings) as box:
        [found] = await box.find_replies([ours], date.today())

    assert found.is_bounce and found.message_id_replied_to == ours


async def test_a_folder_listed_in_raw_utf8_is_opened_and_written_not_a_crash(
    twin_ca: TestCA, mail_settings: Settings
) -> None:
    """A server that lists "Entwürfe" as raw UTF-8 (not modified UTF-7): imaplib encodes arguments as ASCII, so
    selecting or appending to it raised a raw UnicodeEncodeError out of the transport (a crashed draft job)."""
    folders = (("INBOX", ()), ("Entwürfe", ("\\Drafts",)), ("Gesendete Elemente", ("\\Sent",)))
    message = build_message(OutgoingMail(
        "e1", "student@uni.test", "Ana", "prof@faraway.test", "Prof", "Hello", "Body\n", "<scribe-u8@uni.test>"
    ))  # fmt: skip
    with ImapTwin(ca=twin_ca, tls="ssl", folders=folders) as twin:
        async with open_mailbox(twin_server(twin), settings=mail_settings) as box:
            drafts = await box.folder_for("\\Drafts")
            assert drafts == "Entwürfe"
            await box.append(drafts, message)
            assert await box.has_message_id(drafts, "<scribe-u8@uni.test>")
        assert len(twin.messages("Entwürfe")) == 1
