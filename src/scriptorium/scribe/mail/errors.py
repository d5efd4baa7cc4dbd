"""What can go wrong talking to a mail server, each as an exception carrying a sentence a student understands.

The product layer shows `.words` to the user and branches on the class (or `.kind`, for JSON): an auth refusal
stops the run and asks for an app password, `ServiceUnavailable` pauses it for `retry_after_seconds`, a
`RecipientRefused` fails one email for good, and a `ConnectionFailed` with `uncertain=True` (the connection died
after the message was handed over) must never be retried automatically. No word here ever contains a password:
`scrub` removes it from any server text quoted back.
"""

from __future__ import annotations

from typing import ClassVar


class MailError(Exception):
    """Base of every transport failure; `words` is safe to show and to log."""

    kind: ClassVar[str] = "mail_error"

    def __init__(self, words: str) -> None:
        super().__init__(words)
        self.words = words


class AuthRefused(MailError):
    """The server refused the user name or password (SMTP 535/534, IMAP NO on LOGIN)."""

    kind = "auth_refused"


class TlsMismatch(MailError):
    """The TLS mode does not match the port (SSL on a STARTTLS port or the reverse) or the certificate is wrong."""

    kind = "tls_mismatch"


class ConnectionFailed(MailError):
    """Host not found, unreachable, timed out or the connection dropped.

    `uncertain` is true when the connection died after the message data was sent: the server may have accepted
    it, so the caller must look for it (Sent folder) rather than send again.
    """

    kind = "connection_failed"

    def __init__(self, words: str, *, uncertain: bool = False) -> None:
        super().__init__(words)
        self.uncertain = uncertain


class HostRefused(ConnectionFailed):
    """The host resolves to a private, loopback or otherwise non-public address that settings do not allow."""

    kind = "host_refused"


class ServiceUnavailable(MailError):
    """A temporary refusal (SMTP 421/4xx, provider sending quota): pause and try again later."""

    kind = "service_unavailable"

    def __init__(self, words: str, *, retry_after_seconds: float | None = None) -> None:
        super().__init__(words)
        self.retry_after_seconds = retry_after_seconds


class RecipientRefused(MailError):
    """The server refused this recipient or this message for good (5xx on RCPT or DATA); `reason` is its text."""

    kind = "recipient_refused"

    def __init__(self, words: str, *, reason: str = "") -> None:
        super().__init__(words)
        self.reason = reason


class MailboxFull(MailError):
    """A mailbox is full or over quota (SMTP 452/552, IMAP OVERQUOTA on APPEND)."""

    kind = "mailbox_full"


class ImapDisabled(MailError):
    """IMAP is turned off for the account (LOGIN disabled text) or nothing answers on the IMAP port."""

    kind = "imap_disabled"


class NoSpecialFolder(MailError):
    """The mailbox has no folder flagged with the special use asked for (RFC 6154 \\Drafts, \\Sent)."""

    kind = "no_special_folder"


def scrub(text: str, *secrets: str) -> str:
    """`text` with every non-empty secret replaced by '***' (server replies can echo what they were sent)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
