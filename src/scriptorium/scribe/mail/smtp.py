"""Send one message at a time over SMTP, with every failure turned into a `MailError` in words.

Library choice: the standard library's `smtplib`, run in a worker thread (`asyncio.to_thread`). It speaks AUTH
PLAIN/LOGIN, STARTTLS and implicit TLS, costs nothing to install on a 1 GB Pi, and sending is a few messages a
minute, so a thread per session is no cost; `aiosmtplib` would add a dependency for no gain here. The socket is
opened to the address `reach` checked (no second DNS lookup) while TLS verifies the host name.

`send` issues MAIL, RCPT and DATA itself so it knows the stage a failure happened in: anything before DATA means
the message was not accepted (safe to retry); a connection lost during or after DATA is `ConnectionFailed` with
`uncertain=True` (the server may have it). A session idle for long is checked with NOOP and reopened before the
next message, so a server's idle timeout never turns into an uncertain send.
"""

from __future__ import annotations

import asyncio
import base64
import re
import smtplib
import socket
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import getaddresses
from io import BytesIO
from typing import Any, TypeVar

from scriptorium.core.settings import Settings
from scriptorium.scribe.mail.errors import (
    AuthRefused,
    ConnectionFailed,
    MailboxFull,
    MailError,
    RecipientRefused,
    ServiceUnavailable,
    TlsMismatch,
    scrub,
    socket_failure,
    unsendable_characters,
)
from scriptorium.scribe.mail.reach import Reach, reach
from scriptorium.scribe.mail.servers import MailServer

T = TypeVar("T")

AUTH_REFUSED_WORDS = (
    "The mail server refused the password. For Gmail/Outlook use an app password (made in your account's "
    "security settings), not your usual password, and check the user name is your full address."
)
AUTH_DISABLED_WORDS = (
    "Your mail provider has turned off password sign-in for sending (SMTP AUTH) on this mailbox. Ask your IT "
    "desk to allow SMTP AUTH for it, or use drafts: they only need IMAP."
)
NON_ASCII_WORDS = (
    "Your password has characters (like ä or ß) that this mail server's login cannot carry. Make an app password "
    "(letters and digits) in your account's security settings and use that."
)
_AUTH_OFF = re.compile(r"SmtpClientAuthentication is disabled|basic authentication is disabled", re.IGNORECASE)
_QUOTA = re.compile(
    r"quota|sending limit|rate limit|limit exceeded|too many (messages|emails|recipients|connections)|try again later",
    re.IGNORECASE,
)
_DAILY = re.compile(r"daily|per day|24 ?h", re.IGNORECASE)
_RETRY = re.compile(
    r"(?:try again|retry|wait|after|in)\D{0,20}?(\d{1,6})\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)\b",
    re.IGNORECASE,
)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}
RETRY_AFTER_MAX = 24 * 3600.0
"""The longest wait a server's words can ask for: a daily quota. A hostile or garbled "try again in 999999 hours"
would otherwise park a run for a century."""


def retry_after_seconds(text: str) -> float | None:
    """Seconds a server asks us to wait ('try again in 5 minutes' → 300), a day for a daily quota, else None.

    At most `RETRY_AFTER_MAX`; "in 0 seconds" is no hint at all (None), so the caller's backoff applies instead
    of hammering a server that refuses for now."""
    match = _RETRY.search(text)
    if match:
        seconds = float(int(match.group(1)) * _UNIT_SECONDS[match.group(2)[0].lower()])
        return min(seconds, RETRY_AFTER_MAX) if seconds >= 1 else None
    if _QUOTA.search(text) and _DAILY.search(text):
        return RETRY_AFTER_MAX
    return None


def _reply_text(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {' '.join(text.split())}"[:300]


def classify_reply(code: int, message: bytes | str, *, stage: str, secret: str = "") -> MailError:
    """The `MailError` for an SMTP refusal at `stage` ("mail", "rcpt", "data", "connect", "auth")."""
    text = scrub(_reply_text(code, message), secret)
    if code in (534, 535) or (stage == "auth" and code >= 500):
        if _AUTH_OFF.search(text):
            return AuthRefused(AUTH_DISABLED_WORDS)
        return AuthRefused(AUTH_REFUSED_WORDS)
    if (code in (452, 552) and stage in ("rcpt", "data")) or "mailbox full" in text.lower():
        return MailboxFull(f"The recipient's mailbox is full or over its quota (the server said: {text}).")
    if code == 421 or 400 <= code < 500 or _QUOTA.search(text):
        return ServiceUnavailable(
            f"The mail server asked us to wait (it said: {text}). Sending pauses and tries again later.",
            retry_after_seconds=retry_after_seconds(text),
        )
    if stage == "rcpt":
        return RecipientRefused(f"The server refused this recipient for good (it said: {text}).", reason=text)
    if stage == "data":
        return RecipientRefused(f"The server refused this message for good (it said: {text}).", reason=text)
    return ConnectionFailed(f"The mail server refused to go on (it said: {text}).")


class _PinnedSMTP(smtplib.SMTP):
    """smtplib.SMTP that connects to the checked address; STARTTLS verifies the host name."""

    def __init__(self, target: Reach) -> None:
        self._target = target
        super().__init__(local_hostname="localhost", timeout=target.timeout)  # see _greet_name
        self._host = target.host  # what STARTTLS verifies the certificate against

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return socket.create_connection((self._target.address, port), timeout)


class _PinnedSMTPSSL(smtplib.SMTP_SSL):
    """smtplib.SMTP_SSL that connects to the checked address and verifies the host name."""

    def __init__(self, target: Reach) -> None:
        self._target = target
        super().__init__(local_hostname="localhost", timeout=target.timeout, context=target.ssl_context)
        self._host = target.host

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        raw = socket.create_connection((self._target.address, port), timeout)
        try:
            return self._target.ssl_context.wrap_socket(raw, server_hostname=self._target.host)
        except BaseException:
            raw.close()
            raise


def _greet_name(smtp: smtplib.SMTP) -> str:
    """The EHLO name: our address as a literal ("[192.0.2.7]"), as mail programs send it. smtplib's default,
    socket.getfqdn(), is a reverse DNS lookup that can stall for seconds on a home network."""
    try:
        address = smtp.sock.getsockname()[0] if smtp.sock is not None else ""
    except OSError:
        address = ""
    if not address:
        return "localhost"
    return f"[IPv6:{address}]" if ":" in address else f"[{address}]"


def _login(smtp: smtplib.SMTP, server: MailServer) -> None:
    """Log in. smtplib encodes every mechanism's data as ASCII, so a password with "ä" or "ß" would crash it:
    such a login goes as AUTH PLAIN in UTF-8 (RFC 4616), or is refused in words when the server has no PLAIN."""
    if (server.username + server.password).isascii():
        smtp.login(server.username, server.password)
        return
    if "plain" not in str(smtp.esmtp_features.get("auth", "")).lower().split():
        raise AuthRefused(NON_ASCII_WORDS)
    token = b"\0" + server.username.encode("utf-8") + b"\0" + server.password.encode("utf-8")
    code, reply = smtp.docmd("AUTH", "PLAIN " + base64.b64encode(token).decode("ascii"))
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


class Sender:
    """One SMTP session. Use through `open_sender`; `send` may be called many times."""

    def __init__(self, server: MailServer, target: Reach) -> None:
        self._server = server
        self._target = target
        self._smtp: smtplib.SMTP | None = None
        self._lock = asyncio.Lock()
        # A cancelled await leaves its thread running: the session's socket is only ever used under this lock.
        self._in_thread = threading.Lock()

    # --- the blocking half (runs in a thread) -------------------------------------------------------------
    def _where(self) -> str:
        return f"{self._target.host}:{self._target.port}"

    def _connect_sync(self) -> None:
        server, target = self._server, self._target
        smtp: smtplib.SMTP = _PinnedSMTPSSL(target) if server.tls == "ssl" else _PinnedSMTP(target)
        try:
            code, message = smtp.connect(target.host, target.port)
            if code != 220:
                raise classify_reply(code, message, stage="connect", secret=server.password)
            smtp.local_hostname = _greet_name(smtp)
            smtp.ehlo()
            if server.tls == "starttls":
                if not smtp.has_extn("starttls"):
                    raise TlsMismatch(
                        f"The SMTP server {self._where()} does not offer STARTTLS. If this is an SSL port "
                        "(usually 465), choose SSL; otherwise check the port (587 is the usual STARTTLS port)."
                    )
                smtp.starttls(context=target.ssl_context)
                smtp.ehlo()
            if server.username:
                if not smtp.has_extn("auth"):
                    raise TlsMismatch(
                        f"The SMTP server {self._where()} offers no login on this connection. Choose STARTTLS "
                        "or SSL: servers only accept passwords over an encrypted connection."
                    )
                _login(smtp, server)
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp

    def _alive_sync(self) -> bool:
        if self._smtp is None:
            return False
        try:
            return self._smtp.noop()[0] == 250
        except (smtplib.SMTPException, OSError):
            return False

    def _send_sync(self, data: bytes, sender: str, recipients: list[str]) -> None:
        if not self._alive_sync():
            self._close_sync()
            self._connect_sync()
        smtp = self._smtp
        assert smtp is not None
        secret = self._server.password
        code, message = smtp.mail(sender)
        if code != 250:
            self._abandon_sync(code)
            raise classify_reply(code, message, stage="mail", secret=secret)
        for recipient in recipients:
            code, message = smtp.rcpt(recipient)
            if code not in (250, 251):
                self._abandon_sync(code)
                raise classify_reply(code, message, stage="rcpt", secret=secret)
        try:
            code, message = smtp.data(data)
        except smtplib.SMTPDataError as exc:
            raise classify_reply(exc.smtp_code, exc.smtp_error, stage="data", secret=secret) from None
        except (smtplib.SMTPServerDisconnected, OSError):
            self._smtp = None
            smtp.close()
            raise ConnectionFailed(
                f"The connection to {self._where()} dropped while the message was being sent; it may or may "
                "not have gone out. Check your Sent folder before sending it again.",
                uncertain=True,
            ) from None
        if code != 250:
            raise classify_reply(code, message, stage="data", secret=secret)

    def _abandon_sync(self, code: int) -> None:
        """Forget a refused transaction: RSET, or drop the session when the server is closing it (421)."""
        smtp = self._smtp
        if smtp is None:
            return
        try:
            if code != 421 and smtp.rset()[0] == 250:
                return
        except (smtplib.SMTPException, OSError):
            pass
        self._smtp = None
        smtp.close()

    def _close_sync(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def _serially(self, call: Callable[..., T], *args: Any) -> T:
        with self._in_thread:
            return call(*args)

    # --- the async half -----------------------------------------------------------------------------------
    async def _run(self, call: Callable[..., T], *args: Any) -> T:
        async with self._lock:
            try:
                return await asyncio.to_thread(self._serially, call, *args)
            except MailError:
                raise
            except BaseException as exc:
                connecting = call == self._connect_sync
                raise _translate(exc, self._where(), self._server.password, connecting=connecting) from None

    async def connect(self) -> None:
        await self._run(self._connect_sync)

    async def send(self, msg: EmailMessage) -> None:
        """Send `msg` from its From address to its To and Cc addresses. Raises a `MailError`."""
        if "Bcc" in msg:
            raise ValueError("Bcc is not supported: Scribe sends one message to one recipient")
        senders = getaddresses([str(msg.get("From") or "")])
        recipients = [a for _, a in getaddresses([str(v) for v in msg.get_all("To", []) + msg.get_all("Cc", [])]) if a]
        if not senders or not senders[0][1] or not recipients:
            raise ValueError("the message needs a From and at least one recipient")
        buffer = BytesIO()
        BytesGenerator(buffer, policy=msg.policy.clone(linesep="\r\n")).flatten(msg)
        await self._run(self._send_sync, buffer.getvalue(), senders[0][1], recipients)

    async def close(self) -> None:
        async with self._lock:
            await asyncio.to_thread(self._serially, self._close_sync)


def _translate(exc: BaseException, where: str, secret: str, *, connecting: bool = False) -> MailError:
    """A MailError for an exception raised by smtplib or the socket, in words."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return classify_reply(exc.smtp_code, exc.smtp_error, stage="auth", secret=secret)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return TlsMismatch(
            f"The SMTP server {where} does not support what this TLS mode needs. Check the port and TLS mode."
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return classify_reply(exc.smtp_code, exc.smtp_error, stage="connect", secret=secret)
    timed_out = isinstance(exc, smtplib.SMTPServerDisconnected) and "timed out" in str(exc)  # smtplib's wrapping
    if (failure := socket_failure(exc, "SMTP", where, connecting=connecting, timed_out=timed_out)) is not None:
        return failure
    if isinstance(exc, ConnectionRefusedError):
        return ConnectionFailed(f"Nothing answers on {where}. Check the SMTP host and port.")
    if isinstance(exc, (smtplib.SMTPServerDisconnected, ConnectionError, EOFError)):
        return ConnectionFailed(f"The connection to {where} was closed by the server. Try again.")
    if isinstance(exc, OSError):
        return ConnectionFailed(f"Could not reach the SMTP server {where}. Check the host and port.")
    if isinstance(exc, smtplib.SMTPException):
        return ConnectionFailed(f"The SMTP server {where} did not follow the protocol. Check the host and port.")
    if isinstance(exc, UnicodeError):
        return unsendable_characters("SMTP", where)
    raise exc


@asynccontextmanager
async def open_sender(server: MailServer, *, settings: Settings) -> AsyncIterator[Sender]:
    """Connect, STARTTLS if asked, and log in; yield a `Sender`; QUIT on exit. Raises a `MailError`."""
    target = await reach(server, settings, "SMTP")
    sender = Sender(server, target)
    await sender.connect()
    try:
        yield sender
    finally:
        await sender.close()
