"""The message Scribe builds: a Message-ID stable across runs and machines, and headers that cannot be injected."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

import pytest

from scriptorium.scribe.mail.message import OutgoingMail, build_message, normalize_message_id, stable_message_id
from scriptorium.scribe.mail.servers import PRESETS, MailServer, preset_for_smtp_host

MAIL = OutgoingMail(
    email_id="0190c1a2-7b3e-7c4d-8e5f-000000000001",
    from_address="ana@uni.test",
    from_name="Ana Pérez",
    to_address="ng@faraway.test",
    to_name="Prof. Ng, PhD",
    subject="Your 2024 paper on tidal flats",
    body="Dear Prof. Ng,\n\nÉté results.\n",
    message_id=stable_message_id("0190c1a2-7b3e-7c4d-8e5f-000000000001", "uni.test"),
)


def test_stable_message_id_is_the_same_every_time_and_differs_per_email() -> None:
    first = stable_message_id("email-1", "Uni.Test")
    assert first == stable_message_id("email-1", "uni.test")
    assert re.fullmatch(r"<scribe-[0-9a-f-]{36}@uni\.test>", first)
    assert stable_message_id("email-2", "uni.test") != first
    assert normalize_message_id(" <Scribe-ABC@Uni.Test> ") == "scribe-abc@uni.test"
    assert stable_message_id("email-1", "").endswith("@scriptorium.invalid>")


def test_stable_message_id_is_pinned() -> None:
    # Changing the namespace would re-draft every email already in someone's Drafts: this value must not move.
    assert stable_message_id("email-1", "uni.test") == "<scribe-db59fc86-9b4c-5278-94fe-e158e48a3ccd@uni.test>"


def test_build_message_headers_and_body() -> None:
    message = build_message(MAIL, date=datetime(2026, 12, 7, 9, 30, tzinfo=UTC))
    assert message["From"] == "Ana Pérez <ana@uni.test>"
    assert message["To"] == '"Prof. Ng, PhD" <ng@faraway.test>'
    assert message["Subject"] == MAIL.subject
    assert message["Message-ID"] == MAIL.message_id
    assert message["Date"] == "Mon, 07 Dec 2026 09:30:00 +0000"
    assert message.get_content_type() == "text/plain"
    assert message.get_content() == MAIL.body
    assert b"\r\n" not in message.as_bytes().replace(b"\r\n", b"")  # no stray carriage returns


def test_international_domain_travels_in_ascii() -> None:
    message = build_message(dataclasses.replace(MAIL, to_address="prof@bücher.de"))
    assert message["To"] == '"Prof. Ng, PhD" <prof@xn--bcher-kva.de>'
    assert b"xn--bcher-kva.de" in message.as_bytes()


@pytest.mark.parametrize(
    "change",
    [
        {"subject": "Hi\r\nBcc: victim@elsewhere.test"},
        {"to_name": "Ng\nBcc: victim@elsewhere.test"},
        {"to_address": "ng@faraway.test\r\nBcc: victim@elsewhere.test"},
        {"to_address": "not-an-address"},
        {"to_address": "jürgen@faraway.test"},
        {"to_address": "a@" + "x" * 70 + ".test"},
        {"message_id": "<a@b>\nX-Injected: 1"},
    ],
)
def test_header_injection_and_bad_addresses_are_refused(change: dict[str, str]) -> None:
    with pytest.raises(ValueError, match=r"one line|not an email address|linefeed"):
        build_message(dataclasses.replace(MAIL, **change))


def test_server_repr_hides_the_password_and_presets_are_complete() -> None:
    server = MailServer("smtp.gmail.com", 465, "ssl", "ana@gmail.com", "abcd efgh ijkl mnop")
    assert "abcd" not in repr(server)
    assert set(PRESETS) == {"gmail", "outlook", "fastmail"}
    for preset in PRESETS.values():
        assert preset.help_url.startswith("https://")
        assert preset.imap.tls == "ssl" and preset.imap.port == 993
        assert (preset.smtp.port, preset.smtp.tls) in {(465, "ssl"), (587, "starttls")}
        assert preset_for_smtp_host(preset.smtp.host.upper() + ".") is preset
    assert preset_for_smtp_host("mail.uni.test") is None
