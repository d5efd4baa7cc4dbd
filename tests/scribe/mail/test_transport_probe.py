"""The connection test and the transport's safety: words for each failure, private hosts, no password leaks."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

import pytest

from scriptorium.core.settings import Settings
from scriptorium.scribe.mail.errors import HostRefused, TlsMismatch
from scriptorium.scribe.mail.imap import open_mailbox
from scriptorium.scribe.mail.probe import test_connection
from scriptorium.scribe.mail.servers import MailboxConfig
from scriptorium.scribe.mail.smtp import open_sender
from tests.scribe.mail.conftest import twin_server
from tests.twins.imap import ImapTwin
from tests.twins.smtp import SmtpTwin
from tests.twins.tls import TestCA


def _with(cfg: MailboxConfig, **changes: Any) -> MailboxConfig:
    """`cfg` with the same change made to both servers."""
    return dataclasses.replace(
        cfg, imap=dataclasses.replace(cfg.imap, **changes), smtp=dataclasses.replace(cfg.smtp, **changes)
    )


async def test_both_protocols_work(mail_twins: MailboxConfig, mail_settings: Settings) -> None:
    report = await test_connection(mail_twins, settings=mail_settings)
    assert report.ok
    assert "Brouillons" in report.imap.words
    assert "nothing was sent" in report.smtp.words


async def test_wrong_app_password(mail_twins: MailboxConfig, mail_settings: Settings) -> None:
    report = await test_connection(_with(mail_twins, password="not-the-app-password"), settings=mail_settings)
    assert not report.ok
    assert (report.imap.kind, report.smtp.kind) == ("auth_refused", "auth_refused")
    assert "app password" in report.imap.words and "app password" in report.smtp.words


async def test_imap_disabled_while_smtp_works(
    mail_twins: MailboxConfig, imap_twin: ImapTwin, mail_settings: Settings
) -> None:
    imap_twin.imap_disabled = True
    report = await test_connection(mail_twins, settings=mail_settings)
    assert report.imap.kind == "imap_disabled" and "Enable IMAP" in report.imap.words
    assert report.smtp.ok


async def test_tls_mismatch(
    mail_twins: MailboxConfig, make_settings: Callable[..., Settings], mail_overrides: dict[str, Any]
) -> None:
    settings = make_settings(**{**mail_overrides, "mail_timeout_seconds": 1.0})
    swapped = dataclasses.replace(
        mail_twins,
        imap=dataclasses.replace(mail_twins.imap, tls="starttls"),  # the twin's IMAP port is implicit TLS
        smtp=dataclasses.replace(mail_twins.smtp, tls="ssl"),  # the twin's SMTP port is STARTTLS
    )
    report = await test_connection(swapped, settings=settings)
    assert (report.imap.kind, report.smtp.kind) == ("tls_mismatch", "tls_mismatch")
    assert "993" in report.imap.words and "465" in report.smtp.words


async def test_host_not_found(mail_twins: MailboxConfig, mail_settings: Settings) -> None:
    report = await test_connection(_with(mail_twins, host="no-such-host.invalid"), settings=mail_settings)
    assert (report.imap.kind, report.smtp.kind) == ("connection_failed", "connection_failed")
    assert "could not be found" in report.imap.words and "no-such-host.invalid" in report.smtp.words


async def test_private_and_loopback_hosts_are_refused_unless_allowed(
    mail_twins: MailboxConfig,
    smtp_twin: SmtpTwin,
    make_settings: Callable[..., Settings],
    mail_overrides: dict[str, Any],
) -> None:
    strict = make_settings(**{**mail_overrides, "fetch_allow_hosts": []})
    with pytest.raises(HostRefused) as caught:
        async with open_sender(mail_twins.smtp, settings=strict):
            pass
    assert "loopback" in caught.value.words
    with pytest.raises(HostRefused):
        async with open_mailbox(mail_twins.imap, settings=strict):
            pass
    metadata = dataclasses.replace(mail_twins.smtp, host="169.254.169.254")
    with pytest.raises(HostRefused):  # never, even with an allow-list that covers it
        async with open_sender(
            metadata, settings=make_settings(**{**mail_overrides, "fetch_allow_hosts": ["0.0.0.0/0"]})
        ):
            pass
    assert smtp_twin.logins == []  # nothing reached the twin


async def test_password_never_in_errors_reports_or_logs(
    mail_twins: MailboxConfig, smtp_twin: SmtpTwin, mail_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "s3cret-app-pass-9"
    caplog.set_level(logging.DEBUG)
    wrong = _with(mail_twins, password=secret)
    assert secret not in repr(wrong)
    report = await test_connection(wrong, settings=mail_settings)
    smtp_twin.auth_refused = True
    report_refused = await test_connection(mail_twins, settings=mail_settings)
    texts = [repr(report), repr(report_refused), caplog.text, *(r.getMessage() for r in caplog.records)]
    assert not report.ok and not report_refused.smtp.ok
    assert all(secret not in text and mail_twins.smtp.password not in text for text in texts)


async def test_no_tls_only_for_allowed_hosts(
    make_settings: Callable[..., Settings], mail_overrides: dict[str, Any], mail_twins: MailboxConfig
) -> None:
    public_plain = dataclasses.replace(mail_twins.smtp, host="8.8.8.8", port=587, tls="none")
    with pytest.raises(TlsMismatch) as caught:  # refused before any connection: the password stays here
        async with open_sender(public_plain, settings=make_settings(**mail_overrides)):
            pass
    assert "encrypted connection" in caught.value.words
    with SmtpTwin(tls="none") as plain_twin, ImapTwin(tls="none") as plain_imap:  # an allowed test host may
        async with open_sender(twin_server(plain_twin), settings=make_settings(**mail_overrides)):
            pass
        async with open_mailbox(twin_server(plain_imap), settings=make_settings(**mail_overrides)) as box:
            assert await box.folder_for("\\Drafts") == "Brouillons"
    assert plain_twin.logins == ["PLAIN"]


async def test_a_mailbox_without_sent_folder_works_with_a_note(
    twin_ca: TestCA, smtp_twin: SmtpTwin, mail_twins: MailboxConfig, mail_settings: Settings
) -> None:
    with ImapTwin(ca=twin_ca, folders=(("INBOX", ()), ("Drafts", ("\\Drafts",)))) as bare:
        cfg = dataclasses.replace(mail_twins, imap=twin_server(bare))
        report = await test_connection(cfg, settings=mail_settings)
    assert report.ok and "“Drafts”" in report.imap.words and "No folder is marked as Sent" in report.imap.words
