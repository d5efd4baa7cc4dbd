"""IMAP transport against the IMAP twin: special-use folders, drafts, Message-ID checks, replies, bounces, TLS."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from scriptorium.core.settings import Settings
from scriptorium.scribe.mail.errors import (
    AuthRefused,
    ConnectionFailed,
    ImapDisabled,
    MailboxFull,
    NoSpecialFolder,
    TlsMismatch,
)
from scriptorium.scribe.mail.imap import _fetched, decode_folder_name, open_mailbox, parse_list
from scriptorium.scribe.mail.message import OutgoingMail, build_message, stable_message_id
from tests.scribe.mail.conftest import twin_server
from tests.twins.imap import ImapTwin
from tests.twins.tls import TestCA


def _mail(email_id: str = "e-1") -> OutgoingMail:
    return OutgoingMail(
        email_id=email_id,
        from_address="student@uni.test",
        from_name="Ana Student",
        to_address="prof@faraway.test",
        to_name="Prof. Ng",
        subject="A question about your 2024 paper",
        body="Dear Prof. Ng,\n\nI read your paper.\n",
        message_id=stable_message_id(email_id, "uni.test"),
    )


async def test_drafts_found_by_special_use_flag_not_by_name(imap_twin: ImapTwin, mail_settings: Settings) -> None:
    async with open_mailbox(twin_server(imap_twin), settings=mail_settings) as box:
        assert await box.folder_for("\\Drafts") == "Brouillons"  # not the decoy folder named "Drafts"
        assert await box.folder_for("\\Sent") == "Envoy&AOk-s"


async def test_no_flagged_folder_is_a_clear_error(twin_ca: TestCA, mail_settings: Settings) -> None:
    with ImapTwin(ca=twin_ca, folders=(("INBOX", ()), ("Drafts", ()))) as twin:
        async with open_mailbox(twin_server(twin), settings=mail_settings) as box:
            with pytest.raises(NoSpecialFolder) as caught:
                await box.folder_for("\\Drafts")
    assert "Drafts folder" in caught.value.words and "marking" in caught.value.words


async def test_append_draft_then_message_id_is_found(imap_twin: ImapTwin, mail_settings: Settings) -> None:
    mail = _mail()
    async with open_mailbox(twin_server(imap_twin), settings=mail_settings) as box:
        drafts = await box.folder_for("\\Drafts")
        assert await box.has_message_id(drafts, mail.message_id) is False
        await box.append(drafts, build_message(mail))
        assert await box.has_message_id(drafts, mail.message_id) is True
        assert await box.has_message_id(drafts, _mail("e-2").message_id) is False
        assert await box.has_message_id("Drafts", mail.message_id) is False  # the decoy stays empty
    [stored] = imap_twin.messages("Brouillons")
    assert stored.flags == {"\\Draft"}
    message = stored.message()
    assert message["Message-ID"] == mail.message_id
    assert message["To"] == '"Prof. Ng" <prof@faraway.test>'
    assert message.get_content().replace("\r\n", "\n") == mail.body
    assert imap_twin.messages("Drafts") == []


async def test_over_quota_append_is_mailbox_full(imap_twin: ImapTwin, mail_settings: Settings) -> None:
    imap_twin.over_quota = True
    async with open_mailbox(twin_server(imap_twin), settings=mail_settings) as box:
        with pytest.raises(MailboxFull) as caught:
            await box.append("Brouillons", build_message(_mail()))
    assert "full" in caught.value.words


async def test_replies_found_by_in_reply_to_and_references(imap_twin: ImapTwin, mail_settings: Settings) -> None:
    ours = [_mail(f"e-{n}").message_id for n in range(4)]
    imap_twin.inject_reply(ours[0], from_address="ng@faraway.test")
    imap_twin.inject_reply(ours[1], from_address="li@faraway.test", via="references")
    imap_twin.inject_reply("<someone-else@elsewhere.test>", from_address="spam@elsewhere.test")
    imap_twin.inject_reply(ours[2], from_address="student@uni.test")  # the student's own follow-up
    old = datetime.now(UTC) - timedelta(days=40)
    imap_twin.inject_reply(ours[3], from_address="old@faraway.test", when=old)
    async with open_mailbox(twin_server(imap_twin), settings=mail_settings) as box:
        found = await box.find_replies(ours, date.today() - timedelta(days=7), ignore_from=["Student@uni.test"])
    assert {(r.message_id_replied_to, r.from_address, r.is_bounce) for r in found} == {
        (ours[0], "ng@faraway.test", False),
        (ours[1], "li@faraway.test", False),
    }
    assert all(abs((r.received_at - datetime.now(UTC)).total_seconds()) < 300 for r in found)


@pytest.mark.parametrize("style", ["dsn", "plain"])
async def test_bounce_found_by_original_message_id(imap_twin: ImapTwin, mail_settings: Settings, style: str) -> None:
    ours = _mail().message_id
    imap_twin.inject_bounce(ours, style=style)  # type: ignore[arg-type]
    imap_twin.inject_bounce("<not-ours@uni.test>", style=style)  # type: ignore[arg-type]
    async with open_mailbox(twin_server(imap_twin), settings=mail_settings) as box:
        found = await box.find_replies([ours], date.today())
    [bounce] = found
    assert bounce.is_bounce and bounce.message_id_replied_to == ours
    assert bounce.from_address == "mailer-daemon@mx.faraway.test"


async def test_starttls_mailbox(twin_ca: TestCA, mail_settings: Settings) -> None:
    with ImapTwin(ca=twin_ca, tls="starttls") as twin:
        async with open_mailbox(twin_server(twin), settings=mail_settings) as box:
            assert await box.folder_for("\\Drafts") == "Brouillons"
        assert twin.commands.index("STARTTLS") < twin.commands.index("LOGIN ***")


async def test_ssl_on_a_starttls_port_is_a_tls_mismatch(twin_ca: TestCA, mail_settings: Settings) -> None:
    with ImapTwin(ca=twin_ca, tls="starttls") as twin, pytest.raises(TlsMismatch) as caught:
        async with open_mailbox(twin_server(twin, tls="ssl"), settings=mail_settings):
            pass
    assert "993" in caught.value.words


async def test_starttls_on_an_ssl_port_is_a_tls_mismatch(
    imap_twin: ImapTwin, make_settings: Callable[..., Settings], mail_overrides: dict[str, Any]
) -> None:
    settings = make_settings(**{**mail_overrides, "mail_timeout_seconds": 1.0})
    with pytest.raises(TlsMismatch) as caught:
        async with open_mailbox(twin_server(imap_twin, tls="starttls"), settings=settings):
            pass
    assert "SSL" in caught.value.words


async def test_wrong_password_is_auth_refused(imap_twin: ImapTwin, mail_settings: Settings) -> None:
    with pytest.raises(AuthRefused) as caught:
        async with open_mailbox(twin_server(imap_twin, password="wrong-pass"), settings=mail_settings):
            pass
    assert "app password" in caught.value.words
    assert "wrong-pass" not in str(caught.value)


async def test_imap_disabled_text_and_refused_port(imap_twin: ImapTwin, mail_settings: Settings) -> None:
    imap_twin.imap_disabled = True
    with pytest.raises(ImapDisabled) as caught:
        async with open_mailbox(twin_server(imap_twin), settings=mail_settings):
            pass
    assert "Enable IMAP" in caught.value.words
    port = imap_twin.port
    imap_twin.stop()
    with pytest.raises(ImapDisabled) as refused:
        async with open_mailbox(twin_server(imap_twin, port=port), settings=mail_settings):
            pass
    assert "Nothing answers" in refused.value.words


async def test_dropped_connection_is_connection_failed(imap_twin: ImapTwin, mail_settings: Settings) -> None:
    async with open_mailbox(twin_server(imap_twin), settings=mail_settings) as box:
        drafts = await box.folder_for("\\Drafts")
        imap_twin.drop_next("APPEND")
        with pytest.raises(ConnectionFailed) as caught:
            await box.append(drafts, build_message(_mail()))
        assert "dropped" in caught.value.words
        with pytest.raises(ConnectionFailed):  # the session is gone, and says so
            await box.has_message_id(drafts, _mail().message_id)


def test_list_parsing_handles_quoted_atoms_and_literals() -> None:
    lines: list[bytes | tuple[bytes, bytes] | None] = [
        b'(\\HasNoChildren \\Drafts) "/" "[Gmail]/Entw&APw-rfe"',
        b'(\\HasNoChildren \\Sent) "." Sent',
        (b'(\\Junk) "/" {4}', b"Spam"),
        b'(\\Noselect \\HasChildren) NIL "with \\"quote\\""',
        None,
    ]
    assert parse_list(lines) == [
        (frozenset({"\\hasnochildren", "\\drafts"}), "[Gmail]/Entw&APw-rfe"),
        (frozenset({"\\hasnochildren", "\\sent"}), "Sent"),
        (frozenset({"\\junk"}), "Spam"),
        (frozenset({"\\noselect", "\\haschildren"}), 'with "quote"'),
    ]


async def test_a_cancelled_command_leaves_the_session_usable(imap_twin: ImapTwin, mail_settings: Settings) -> None:
    mail = _mail()
    imap_twin.add("Brouillons", build_message(mail))
    async with open_mailbox(twin_server(imap_twin), settings=mail_settings) as box:
        arrived, release = imap_twin.hold_next("SEARCH")
        first = asyncio.create_task(box.has_message_id("Brouillons", mail.message_id))
        assert await asyncio.to_thread(arrived.wait, 30)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        second = asyncio.create_task(box.has_message_id("Brouillons", _mail("e-9").message_id))
        release.set()  # the held answer arrives to the thread that asked; only then does the next command go
        assert await second is False
        assert await box.has_message_id("Brouillons", mail.message_id) is True


async def test_special_use_asked_for_when_plain_list_marks_none(imap_twin: ImapTwin, mail_settings: Settings) -> None:
    imap_twin.special_use_when_asked = True
    async with open_mailbox(twin_server(imap_twin), settings=mail_settings) as box:
        assert await box.folder_for("\\Drafts") == "Brouillons"
        assert await box.folder_for("\\Sent") == "Envoy&AOk-s"
    assert imap_twin.commands.count("LIST") == 2  # the plain LIST, then LIST (SPECIAL-USE), once per session


def test_folder_names_decoded_for_people() -> None:
    assert decode_folder_name("Envoy&AOk-s") == "Envoyés"
    assert decode_folder_name("[Gmail]/Entw&APw-rfe") == "[Gmail]/Entwürfe"
    assert decode_folder_name("Tom &- Jerry") == "Tom & Jerry"
    assert decode_folder_name("&U,BTFw-") == "台北"


async def test_reply_in_a_thread_answers_the_newest_of_ours(imap_twin: ImapTwin, mail_settings: Settings) -> None:
    first, follow_up = _mail("e-1").message_id, _mail("e-2").message_id
    reply = EmailMessage()
    reply["From"] = "ng@faraway.test"
    reply["Subject"] = "Re: Re: your email"
    reply["Message-ID"] = "<r2@faraway.test>"
    reply["References"] = f"{first} <r1@faraway.test> {follow_up}"
    reply.set_content("Yes.\n")
    imap_twin.add("INBOX", reply)
    async with open_mailbox(twin_server(imap_twin), settings=mail_settings) as box:
        [found] = await box.find_replies([first, follow_up], date.today())
    assert found.message_id_replied_to == follow_up


async def test_a_server_that_stops_answering_mid_session_is_connection_failed(
    imap_twin: ImapTwin, make_settings: Callable[..., Settings], mail_overrides: dict[str, Any]
) -> None:
    settings = make_settings(**{**mail_overrides, "mail_timeout_seconds": 1.0})
    async with open_mailbox(twin_server(imap_twin), settings=settings) as box:
        _, release = imap_twin.hold_next("SEARCH")
        try:
            with pytest.raises(ConnectionFailed) as caught:
                await box.has_message_id("Brouillons", _mail().message_id)
        finally:
            release.set()
    assert "stopped answering" in caught.value.words and not isinstance(caught.value, TlsMismatch)


def test_fetch_answers_read_with_metadata_before_or_after_the_literal() -> None:
    headers = b"From: a@b.test\r\nIn-Reply-To: <x@y.test>\r\n\r\n"
    data: list[Any] = [
        (b'1 (UID 7 INTERNALDATE "07-Dec-2026 09:30:00 +0000" BODY[HEADER.FIELDS (FROM)] {44}', headers),
        b")",
        (b"2 (BODY[HEADER.FIELDS (FROM)] {44}", headers),
        b' UID 9 INTERNALDATE "08-Dec-2026 10:00:00 +0100")',
    ]
    [(uid1, when1, h1), (uid2, when2, h2)] = list(_fetched(data))
    assert (uid1, uid2) == (b"7", b"9")
    assert when1 == datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    assert when2 == datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
    assert h1["In-Reply-To"] == h2["In-Reply-To"] == "<x@y.test>"
