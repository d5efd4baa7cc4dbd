"""What can go wrong talking to a mail server, each as an exception carrying a sentence a student understands.

The product layer shows `.words` to the user and branches on the class (or `.kind`, for JSON): an auth refusal
stops the run and asks for an app password, `ServiceUnavailable` pauses it for `retry_after_seconds`, a
`RecipientRefused` fails one email for good, and a `ConnectionFailed` with `uncertain=True` (the connection died
after the message was handed over) must never be retried automatically. No word here ever contains a password:
`scrub` removes it from any server text quoted back.
"""

from __future__ import annotations

import socket
import ssl
from typing import ClassVar, Literal


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


Protocol = Literal["IMAP", "SMTP"]
PORTS: dict[Protocol, tuple[int, int]] = {"IMAP": (993, 143), "SMTP": (465, 587)}
"""The usual (SSL, STARTTLS) ports, named in the words that suggest a TLS mode."""


def socket_failure(
    exc: BaseException, protocol: Protocol, where: str, *, connecting: bool, timed_out: bool = False
) -> MailError | None:
    """Words for what TLS and the socket say alike under IMAP and SMTP: a certificate that fails, a TLS mode that
    does not match the port, and a timeout (a silent greeting suggests SSL is expected from the start; later, the
    server stopped answering). None for anything else, which each protocol reads in its own terms."""
    ssl_port, starttls_port = PORTS[protocol]
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TlsMismatch(
            f"The certificate of {where} could not be verified ({exc.verify_message}). Check the host name."
        )
    if isinstance(exc, ssl.SSLError):
        return TlsMismatch(
            f"The encrypted connection to {where} failed: the port probably does not match the TLS mode. "
            f"Use SSL on port {ssl_port}, or STARTTLS on port {starttls_port}."
        )
    if isinstance(exc, (socket.timeout, TimeoutError)) or timed_out:
        if not connecting:
            return ConnectionFailed(f"The {protocol} server {where} stopped answering. Try again later.")
        return TlsMismatch(
            f"The {protocol} server {where} did not answer in time. If the port expects SSL from the start "
            f"(usually {ssl_port}), choose SSL; otherwise check the host and port."
        )
    return None


def unsendable_characters(protocol: Protocol, where: str) -> ConnectionFailed:
    """A folder name, address or login with characters the protocol cannot carry as they are."""
    return ConnectionFailed(
        f"Scribe could not send a folder name, address or login with non-ASCII characters to the {protocol} server "
        f"{where}. Use an app password and plain addresses."
    )
