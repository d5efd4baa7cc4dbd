"""A loopback SMTP server (aiosmtpd) with AUTH, STARTTLS or implicit TLS, and scripted failures.

It records every accepted message (`received`, `wait_for(n)`) and can file each one in an `ImapTwin`'s \\Sent
folder, as Gmail does, so "was this sent?" can be answered over IMAP after a crash. Scripted failures:
- `auth_refused`: every login gets 535 5.7.8 (Gmail's wording);
- `unavailable_after = N`: once N messages were accepted, MAIL FROM gets `unavailable_reply` (421 by default,
  and then the connection closes, as RFC 5321 says);
- `rcpt_replies[address]`: the RCPT TO reply for that address ("552 5.2.2 Mailbox full", "550 5.1.1 …");
- `data_reply`: the reply to the end of DATA (e.g. "451 4.3.0 try again later"), once;
- `drop_in_data = N`: the next N messages are read in full, then the connection is cut with no reply
  (`accept_dropped`: the message still counts as received: the "was it sent?" case).

Use: `with SmtpTwin(ca=test_ca(), tls="starttls") as twin:`; `twin.port`; `twin.received` (and `wait_for(n)`);
`twin.logins` (the AUTH mechanism of each login) and `twin.greetings` (EHLO names) show how a client behaved.
`stop()` then `start()` restarts it on the same port.
"""

from __future__ import annotations

import asyncio
import email
import logging
import threading
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.twins.imap import ImapTwin
from tests.twins.server import free_port
from tests.twins.tls import TestCA

TlsMode = Literal["ssl", "starttls", "none"]
USERNAME = "student@uni.test"
PASSWORD = "twin-app-password"
# aiosmtpd logs a deprecation line at WARNING for every login; the twin's logins are not news.
logging.getLogger("mail.log").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    dropped: bool = False

    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def message_id(self) -> str:
        return str(self.message().get("Message-ID", ""))


@dataclass
class _Script:
    auth_refused: bool = False
    unavailable_after: int | None = None
    unavailable_reply: str = "421 4.7.0 Temporary System Problem. Try again in 30 seconds."
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    data_reply: str | None = None
    drop_in_data: int = 0
    accept_dropped: bool = True


class SmtpTwin:
    def __init__(
        self,
        *,
        ca: TestCA | None = None,
        tls: TlsMode = "starttls",
        username: str = USERNAME,
        password: str = PASSWORD,
        deliver_to: ImapTwin | None = None,
        auth_mechanisms: tuple[str, ...] = ("LOGIN", "PLAIN"),
    ) -> None:
        if tls != "none" and ca is None:
            raise ValueError("a TLS twin needs a TestCA")
        self.ca = ca
        self.tls: TlsMode = tls
        self.username = username
        self.password = password
        self.deliver_to = deliver_to
        self.auth_mechanisms = auth_mechanisms
        self.script = _Script()
        self.received: list[Received] = []
        self.logins: list[str] = []
        self.greetings: list[str] = []
        self._changed = threading.Condition()
        self.host = "127.0.0.1"
        self.port = 0
        self._controller: Controller | None = None

    # scripted failures, as attributes for brevity in tests
    def __getattr__(self, name: str) -> Any:
        script = self.__dict__.get("script")
        if script is not None and name in _Script.__dataclass_fields__:
            return getattr(script, name)
        raise AttributeError(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _Script.__dataclass_fields__ and "script" in self.__dict__:
            setattr(self.script, name, value)
        else:
            super().__setattr__(name, value)

    # --- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> SmtpTwin:
        self.port = self.port or free_port()  # a restarted twin keeps its port
        excluded = [m for m in ("LOGIN", "PLAIN") if m not in self.auth_mechanisms]
        options: dict[str, Any] = {
            "authenticator": self._authenticate,
            "auth_required": True,
            "auth_require_tls": True,
            "auth_exclude_mechanism": excluded,
        }
        ssl_context = None
        if self.tls == "starttls":
            assert self.ca is not None
            options.update(tls_context=self.ca.server_context(), require_starttls=True, auth_require_tls=True)
        elif self.tls == "ssl":
            assert self.ca is not None
            ssl_context = self.ca.server_context()
        self._controller = _Controller(
            self.tls != "starttls",
            _Handler(self),
            hostname=self.host,
            port=self.port,
            ssl_context=ssl_context,
            ready_timeout=30,
            **options,
        )
        self._controller.start()  # returns once a test connection got the greeting
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpTwin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- inspection ------------------------------------------------------------------------------------
    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        """Block until `count` messages were received (or raise after `timeout` seconds)."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.received) >= count, timeout):
                raise TimeoutError(f"SMTP twin received {len(self.received)} of {count} messages")
            return list(self.received)

    def _record(self, received: Received) -> None:
        with self._changed:
            self.received.append(received)
            self._changed.notify_all()
        if self.deliver_to is not None:
            self.deliver_to.add(self.deliver_to.folder_with("\\Sent").name, received.data, ("\\Seen",))

    def _accepted(self) -> int:
        with self._changed:
            return len(self.received)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        self.logins.append(mechanism)
        ok = (
            not self.script.auth_refused
            and isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.username
            and auth_data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False)


class _Controller(Controller):
    """aiosmtpd's AUTH-over-TLS check only knows STARTTLS; on an implicit-TLS (or the plain test) port, AUTH is
    offered from the start, as real SSL servers do (aiosmtpd would warn about the constructor flag instead)."""

    def __init__(self, auth_from_start: bool, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._auth_from_start = auth_from_start

    def factory(self) -> SMTP:
        server: SMTP = super().factory()  # type: ignore[no-untyped-call]
        if self._auth_from_start:
            server._auth_require_tls = False
        return server


class _Handler:
    def __init__(self, twin: SmtpTwin) -> None:
        self.twin = twin

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        self.twin.greetings.append(hostname)
        session.host_name = hostname
        return responses

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        script = self.twin.script
        if script.unavailable_after is not None and self.twin._accepted() >= script.unavailable_after:
            if script.unavailable_reply.startswith("421") and server.transport is not None:
                # 421 means "closing the channel" (RFC 5321 3.8): the reply is written, then the socket closes
                asyncio.get_running_loop().call_soon(server.transport.close)
            return script.unavailable_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self.twin.script.rcpt_replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        script = self.twin.script
        data = envelope.original_content or b""
        received = Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), data)
        if script.drop_in_data > 0:
            script.drop_in_data -= 1
            if script.accept_dropped:
                self.twin._record(Received(received.mail_from, received.rcpt_tos, data, dropped=True))
            assert isinstance(server.transport, asyncio.Transport)
            server.transport.abort()
            return "250 never seen by the client"
        if script.data_reply is not None:
            reply, script.data_reply = script.data_reply, None
            return reply
        self.twin._record(received)
        return "250 2.0.0 OK queued"
