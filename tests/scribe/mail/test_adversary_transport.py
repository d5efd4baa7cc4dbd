"""Adversary tests for the mail transport: hostile recipient addresses and header values, a server's wait
hints that are absurd, and server hosts that point back inside the network.

Each case here was a way past the transport's checks (or is a check an attacker would try first): a recipient
address with a display name hidden in it was quoted into a different mailbox, a Unicode line separator in a
subject met the email package's own refusal instead of ours, and "try again in 999999 hours" parked a run for a
century while "in 0 seconds" made it hammer the server.
"""

from __future__ import annotations

import pytest

from scriptorium.core.settings import Settings
from scriptorium.scribe.mail.errors import HostRefused, ServiceUnavailable
from scriptorium.scribe.mail.message import OutgoingMail, build_message
from scriptorium.scribe.mail.reach import reach
from scriptorium.scribe.mail.servers import MailServer
from scriptorium.scribe.mail.smtp import RETRY_AFTER_MAX, classify_reply, retry_after_seconds


def mail(**changes: str) -> OutgoingMail:
    values = {
        "email_id": "e1",
        "from_address": "ana@uni.test",
        "from_name": "Ana Student",
        "to_address": "prof@faraway.test",
        "to_name": "Prof Rivera",
        "subject": "A question about glaciers",
        "body": "Dear Prof Rivera,\n\nA question.\n",
        "message_id": "<scribe-1@uni.test>",
    }
    return OutgoingMail(**(values | changes))


@pytest.mark.parametrize(
    "address",
    [
        '"prof@faraway.test" <evil@x.test>',
        "prof@faraway.test, evil@x.test",
        "prof@faraway.test,evil@x.test",
        "evil@x.test>,<prof@faraway.test",
        "prof@faraway.test (note) evil@x.test",
        "pro f@faraway.test",
        "prof@faraway.test\tevil@x.test",
        "prof@faraway..test",
        "prof@-faraway.test",
        "prof.@faraway.test",
    ],
)
def test_a_recipient_address_with_a_name_or_a_second_address_hidden_in_it_is_refused(address: str) -> None:
    with pytest.raises(ValueError, match=r"not a plain email address|not an email address"):
        build_message(mail(to_address=address))


@pytest.mark.parametrize("address", ["prof+glaciers@faraway.test", "o'brien@faraway.test", "prof@bücher.test"])
def test_ordinary_addresses_still_build(address: str) -> None:
    message = build_message(mail(to_address=address))
    assert str(message["To"]).endswith(">") and "@" in str(message["To"])
    assert message["To"].addresses[0].username == address.split("@")[0]


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x0b", "\x0c", "\x85", "\x1c"])
@pytest.mark.parametrize("field", ["subject", "to_name", "from_name"])
def test_a_unicode_line_break_in_a_header_is_refused_in_our_words(field: str, separator: str) -> None:
    with pytest.raises(ValueError, match="must be one line"):
        build_message(mail(**{field: f"Hello{separator}Bcc: evil@x.test"}))


@pytest.mark.parametrize("value", ["Hello\x00", "Hello\x1b[31m", "Hello\x7f"])
def test_a_control_character_in_a_subject_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="control characters"):
        build_message(mail(subject=value))


def test_a_tab_in_a_name_becomes_a_space_and_a_bcc_in_a_subject_stays_text() -> None:
    message = build_message(mail(to_name="Prof\tRivera", subject="Bcc: evil@x.test"))
    raw = message.as_bytes()
    assert message["To"].addresses[0].display_name == "Prof Rivera"
    assert not any(line.lower().startswith(b"bcc:") for line in raw.splitlines())


def test_a_huge_wait_asked_by_a_server_is_capped_at_a_day() -> None:
    assert retry_after_seconds("421 4.7.0 Try again in 999999 hours") == RETRY_AFTER_MAX
    refusal = classify_reply(421, b"4.7.0 Try again in 999999 hours", stage="mail")
    assert isinstance(refusal, ServiceUnavailable)
    assert refusal.retry_after_seconds == RETRY_AFTER_MAX


def test_a_wait_of_zero_is_no_hint_so_the_backoff_applies() -> None:
    assert retry_after_seconds("451 4.3.0 try again in 0 seconds") is None
    assert retry_after_seconds("451 4.3.0 try again in 30 seconds") == 30.0


@pytest.mark.parametrize(
    "host",
    [
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "127.1",
        "[::1]",
        "::ffff:127.0.0.1",
        "LOCALHOST.",
        "0.0.0.0",
        "10.0.0.1",
        "fd00::1",
        "169.254.169.254",
        "::ffff:169.254.169.254",
    ],
)
async def test_a_mail_host_inside_the_network_is_refused_however_it_is_spelled(host: str) -> None:
    settings = Settings(fetch_allow_hosts=[])
    with pytest.raises(HostRefused) as refused:
        await reach(MailServer(host, 993, "ssl", "ana", "app-password-1"), settings, "IMAP")
    assert "app-password-1" not in refused.value.words


async def test_cloud_metadata_is_refused_even_when_its_network_is_allowed() -> None:
    settings = Settings(fetch_allow_hosts=["169.254.0.0/16"])
    with pytest.raises(HostRefused, match="cloud metadata"):
        await reach(MailServer("169.254.169.254", 465, "ssl", "ana", "pw"), settings, "SMTP")
