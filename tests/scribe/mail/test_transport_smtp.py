"""SMTP transport against the SMTP twin: AUTH over STARTTLS and SSL, and each failure mapped to words."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage

import pytest

from scriptorium.core.settings import Settings
from scriptorium.scribe.mail.errors import (
    AuthRefused,
    ConnectionFailed,
    MailboxFull,
    RecipientRefused,
    ServiceUnavailable,
    TlsMismatch,
)
from scriptorium.scribe.mail.message import OutgoingMail, build_message, stable_message_id
from scriptorium.scribe.mail.smtp import classify_reply, open_sender, retry_after_seconds
from tests.scribe.mail.conftest import twin_server
from tests.twins.imap import ImapTwin
from tests.twins.smtp import SmtpTwin
from tests.twins.tls import TestCA


def _message(email_id: str = "e-1", to: str = "prof@faraway.test") -> EmailMessage:
    return build_message(
        OutgoingMail(
            email_id=email_id,
            from_address="student@uni.test",
            from_name="Ana Student",
            to_address=to,
            to_name="Prof. Ng",
            subject="A question",
            body="Dear Prof. Ng,\n\nHello.\n",
            message_id=stable_message_id(email_id, "uni.test"),
        )
    )


async def test_send_over_starttls_with_auth_files_in_sent(
    smtp_twin: SmtpTwin, imap_twin: ImapTwin, mail_settings: Settings
) -> None:
    async with open_sender(twin_server(smtp_twin), settings=mail_settings) as sender:
        await sender.send(_message("e-1"))
        await sender.send(_message("e-2"))
    first, second = smtp_twin.wait_for(2)
    assert first.mail_from == "student@uni.test" and first.rcpt_tos == ("prof@faraway.test",)
    assert first.message_id == stable_message_id("e-1", "uni.test")
    assert second.message_id == stable_message_id("e-2", "uni.test")
    assert smtp_twin.logins == ["PLAIN"]  # one session for both messages
    assert smtp_twin.greetings == ["[127.0.0.1]", "[127.0.0.1]"]  # EHLO, then EHLO again after STARTTLS
    assert [m.message_id for m in imap_twin.messages("Envoy&AOk-s")] == [first.message_id, second.message_id]


@pytest.mark.parametrize("mechanism", ["LOGIN", "PLAIN"])
async def test_send_over_implicit_tls(twin_ca: TestCA, mail_settings: Settings, mechanism: str) -> None:
    with SmtpTwin(ca=twin_ca, tls="ssl", auth_mechanisms=(mechanism,)) as twin:
        async with open_sender(twin_server(twin), settings=mail_settings) as sender:
            await sender.send(_message())
        assert len(twin.wait_for(1)) == 1
        assert twin.logins == [mechanism]


async def test_wrong_password_is_auth_refused_without_the_password(
    smtp_twin: SmtpTwin, mail_settings: Settings
) -> None:
    with pytest.raises(AuthRefused) as caught:
        async with open_sender(twin_server(smtp_twin, password="hunter2-secret"), settings=mail_settings):
            pass
    assert caught.value.words.startswith("The mail server refused the password. For Gmail/Outlook use an app password")
    assert "hunter2-secret" not in str(caught.value) and "hunter2-secret" not in repr(caught.value)


async def test_tls_mismatch_both_ways(
    smtp_twin: SmtpTwin,
    twin_ca: TestCA,
    make_settings: Callable[..., Settings],
    mail_overrides: dict[str, object],
) -> None:
    settings = make_settings(**{**mail_overrides, "mail_timeout_seconds": 1.0})
    with pytest.raises(TlsMismatch) as ssl_on_starttls:
        async with open_sender(twin_server(smtp_twin, tls="ssl"), settings=settings):
            pass
    assert "465" in ssl_on_starttls.value.words
    with SmtpTwin(ca=twin_ca, tls="ssl") as ssl_twin, pytest.raises(TlsMismatch) as starttls_on_ssl:
        async with open_sender(twin_server(ssl_twin, tls="starttls"), settings=settings):
            pass
    assert "SSL" in starttls_on_ssl.value.words


async def test_421_after_n_messages_is_service_unavailable_with_retry_after(
    smtp_twin: SmtpTwin, mail_settings: Settings
) -> None:
    smtp_twin.unavailable_after = 2
    async with open_sender(twin_server(smtp_twin), settings=mail_settings) as sender:
        await sender.send(_message("e-1"))
        await sender.send(_message("e-2"))
        with pytest.raises(ServiceUnavailable) as caught:
            await sender.send(_message("e-3"))
        assert caught.value.retry_after_seconds == 30
        assert "wait" in caught.value.words
        smtp_twin.unavailable_after = None
        await sender.send(_message("e-3"))  # the server closed after 421: the sender logs in again
    assert [r.message_id for r in smtp_twin.wait_for(3)][-1] == stable_message_id("e-3", "uni.test")
    assert smtp_twin.logins == ["PLAIN", "PLAIN"]


async def test_a_452_on_mail_from_keeps_the_session(smtp_twin: SmtpTwin, mail_settings: Settings) -> None:
    smtp_twin.unavailable_after = 0
    smtp_twin.unavailable_reply = "452 4.5.3 Too many recipients this hour, try again in 10 minutes"
    async with open_sender(twin_server(smtp_twin), settings=mail_settings) as sender:
        with pytest.raises(ServiceUnavailable) as caught:
            await sender.send(_message("e-1"))
        assert caught.value.retry_after_seconds == 600
        smtp_twin.unavailable_after = None
        await sender.send(_message("e-1"))
    assert len(smtp_twin.wait_for(1)) == 1 and smtp_twin.logins == ["PLAIN"]


async def test_recipient_refusals(smtp_twin: SmtpTwin, mail_settings: Settings) -> None:
    smtp_twin.rcpt_replies.update(
        {
            "gone@faraway.test": "550 5.1.1 The email account that you tried to reach does not exist",
            "bad@faraway.test": "553 5.1.3 Invalid address",
            "full@faraway.test": "552 5.2.2 The recipient's inbox is out of storage space",
            "busy@faraway.test": "452 4.2.2 Mailbox full",
            "grey@faraway.test": "450 4.2.1 Try again in 5 minutes",
        }
    )
    async with open_sender(twin_server(smtp_twin), settings=mail_settings) as sender:
        with pytest.raises(RecipientRefused) as gone:
            await sender.send(_message(to="gone@faraway.test"))
        assert "does not exist" in gone.value.reason and gone.value.reason.startswith("550")
        with pytest.raises(RecipientRefused):
            await sender.send(_message(to="bad@faraway.test"))
        for full in ("full@faraway.test", "busy@faraway.test"):
            with pytest.raises(MailboxFull):
                await sender.send(_message(to=full))
        with pytest.raises(ServiceUnavailable) as grey:
            await sender.send(_message(to="grey@faraway.test"))
        assert grey.value.retry_after_seconds == 300
        await sender.send(_message(to="prof@faraway.test"))  # refusals left no state
    assert [r.rcpt_tos for r in smtp_twin.wait_for(1)] == [("prof@faraway.test",)]


async def test_temporary_refusal_at_end_of_data(smtp_twin: SmtpTwin, mail_settings: Settings) -> None:
    smtp_twin.data_reply = "451 4.3.0 Temporary local problem, try again later"
    async with open_sender(twin_server(smtp_twin), settings=mail_settings) as sender:
        with pytest.raises(ServiceUnavailable):
            await sender.send(_message())
    assert smtp_twin.received == []


async def test_connection_dropped_mid_data_is_uncertain(smtp_twin: SmtpTwin, mail_settings: Settings) -> None:
    smtp_twin.drop_in_data = 1
    async with open_sender(twin_server(smtp_twin), settings=mail_settings) as sender:
        with pytest.raises(ConnectionFailed) as caught:
            await sender.send(_message("e-1"))
        assert caught.value.uncertain is True
        assert "Sent folder" in caught.value.words
        await sender.send(_message("e-2"))  # reconnects for the next message
    dropped, sent = smtp_twin.wait_for(2)
    assert dropped.dropped and not sent.dropped
    assert smtp_twin.logins == ["PLAIN", "PLAIN"]


async def test_session_closed_by_the_server_reconnects_before_sending(
    smtp_twin: SmtpTwin, mail_settings: Settings
) -> None:
    async with open_sender(twin_server(smtp_twin), settings=mail_settings) as sender:
        await sender.send(_message("e-1"))
        smtp_twin.stop()  # the server goes away between two messages (an idle timeout, a restart)
        smtp_twin.start()
        await sender.send(_message("e-2"))
    assert len(smtp_twin.wait_for(2)) == 2


@pytest.mark.parametrize(
    ("code", "text", "stage", "kind", "retry"),
    [
        (535, "5.7.8 Username and Password not accepted", "auth", "auth_refused", None),
        (
            535,
            "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled",
            "auth",
            "auth_refused",
            None,
        ),
        (534, "5.7.9 Application-specific password required", "auth", "auth_refused", None),
        (421, "4.7.0 Try again later, closing connection", "mail", "service_unavailable", None),
        (451, "4.7.1 Please retry after 120s", "rcpt", "service_unavailable", 120.0),
        (550, "5.4.5 Daily user sending quota exceeded", "mail", "service_unavailable", 86400.0),
        (
            554,
            "5.2.0 Message rejected: sending limit exceeded, try again in 1 hour",
            "data",
            "service_unavailable",
            3600.0,
        ),
        (550, "5.1.1 user unknown", "rcpt", "recipient_refused", None),
        (554, "5.7.1 Message rejected as spam", "data", "recipient_refused", None),
        (552, "5.2.2 Mailbox full", "rcpt", "mailbox_full", None),
        (554, "5.3.4 Message size exceeded", "data", "recipient_refused", None),
        (452, "4.2.2 Over quota", "rcpt", "mailbox_full", None),
    ],
)
def test_reply_classification(code: int, text: str, stage: str, kind: str, retry: float | None) -> None:
    error = classify_reply(code, text.encode(), stage=stage)
    assert error.kind == kind
    assert getattr(error, "retry_after_seconds", None) == retry
    assert str(code) in error.words or kind == "auth_refused"


def test_smtp_auth_turned_off_by_the_organisation_says_so() -> None:
    error = classify_reply(
        535, b"5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled", stage="auth"
    )
    assert "SMTP AUTH" in error.words and "drafts" in error.words


def test_retry_after_parsing() -> None:
    assert retry_after_seconds("try again in 45 seconds") == 45
    assert retry_after_seconds("Please wait 2 minutes") == 120
    assert retry_after_seconds("4.7.0 Temporary System Problem") is None
