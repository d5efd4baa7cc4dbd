"""Adversary tests for the mail transport and secrets: a password the protocols cannot carry, and where a
password could leak (words, exception reprs, log lines at DEBUG).

A password with "ä" crashed both sessions with a UnicodeEncodeError (imaplib and smtplib encode logins as ASCII),
which `_translate` re-raised raw: a 500 from "test connection" and a crashed job. It now goes as PLAIN in UTF-8
(RFC 4616) when the server offers PLAIN, else is refused in words.
"""

from __future__ import annotations

import dataclasses
import logging

import pytest

from scriptorium.core.settings import Settings
from scriptorium.scribe.mail.errors import AuthRefused, MailError
from scriptorium.scribe.mail.imap import open_mailbox
from scriptorium.scribe.mail.message import OutgoingMail, build_message
from scriptorium.scribe.mail.probe import test_connection
from scriptorium.scribe.mail.servers import MailboxConfig
from scriptorium.scribe.mail.smtp import open_sender
from tests.scribe.mail.conftest import twin_server
from tests.twins.smtp import SmtpTwin
from tests.twins.tls import TestCA

SECRET = "pässwörd-Geheim-7f3a"
"""Non-ASCII, as a self-hosted or a university mailbox may allow; neither LOGIN nor AUTH PLAIN can carry it as is."""


def with_password(cfg: MailboxConfig, password: str) -> MailboxConfig:
    return dataclasses.replace(
        cfg,
        imap=dataclasses.replace(cfg.imap, password=password),
        smtp=dataclasses.replace(cfg.smtp, password=password),
    )


async def test_a_non_ascii_password_is_a_mail_error_in_words_never_a_crash_or_a_leak(
    mail_twins: MailboxConfig, mail_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = with_password(mail_twins, SECRET)
    caplog.set_level(logging.DEBUG)

    report = await test_connection(cfg, settings=mail_settings)

    assert not report.imap.ok and not report.smtp.ok
    for words in (report.imap.words, report.smtp.words):
        assert "password" in words.lower() and SECRET not in words
    with pytest.raises(MailError) as imap_error:
        async with open_mailbox(cfg.imap, settings=mail_settings):
            pass
    with pytest.raises(MailError) as smtp_error:
        async with open_sender(cfg.smtp, settings=mail_settings):
            pass
    for error in (imap_error.value, smtp_error.value):
        assert SECRET not in repr(error) and SECRET not in str(error)
        assert error.__cause__ is None or SECRET not in repr(error.__cause__)
    assert SECRET not in caplog.text


async def test_a_wrong_password_leaks_nowhere_at_debug(
    mail_twins: MailboxConfig, mail_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = with_password(mail_twins, "wrong-" + "x" * 20)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthRefused) as refused:
        async with open_sender(cfg.smtp, settings=mail_settings):
            pass
    assert "wrong-" not in repr(refused.value) and "wrong-" not in repr(cfg)
    with pytest.raises(AuthRefused):
        async with open_mailbox(cfg.imap, settings=mail_settings):
            pass
    assert "wrong-" not in caplog.text


async def test_a_non_ascii_password_logs_in_over_smtp_as_utf8_plain(twin_ca: TestCA, mail_settings: Settings) -> None:
    with SmtpTwin(ca=twin_ca, tls="starttls", password=SECRET) as twin:
        server = twin_server(twin)
        async with open_sender(server, settings=mail_settings) as sender:
            await sender.send(build_message(OutgoingMail(
                "e1", "student@uni.test", "Ana", "prof@faraway.test", "Prof", "Hello", "Body\n", "<scribe-1@uni.test>"
            )))  # fmt: skip
        assert len(twin.wait_for(1)) == 1


async def test_a_non_ascii_password_without_plain_is_refused_in_words(twin_ca: TestCA, mail_settings: Settings) -> None:
    with SmtpTwin(ca=twin_ca, tls="starttls", password=SECRET, auth_mechanisms=("LOGIN",)) as twin:
        with pytest.raises(AuthRefused, match="app password") as refused:
            async with open_sender(twin_server(twin), settings=mail_settings):
                pass
        assert SECRET not in refused.value.words
        assert twin.received == []


def test_any_encoding_error_inside_a_session_becomes_words_not_a_raw_exception() -> None:
    from scriptorium.scribe.mail import imap, smtp
    from scriptorium.scribe.mail.errors import ConnectionFailed

    raw = UnicodeEncodeError("ascii", SECRET, 1, 2, "ordinal not in range(128)")
    for translate in (imap._translate, smtp._translate):
        error = translate(raw, "mail.uni.test:993", SECRET)
        assert isinstance(error, ConnectionFailed) and "non-ASCII" in error.words
        assert SECRET not in error.words
