"""A loopback IMAP server holding an inspectable in-memory mailbox, with scripted failures.

Enough of IMAP4rev1 for the mail transport and for a real client (imaplib): CAPABILITY, STARTTLS, LOGIN, LIST
with RFC 6154 special-use flags, SELECT/EXAMINE, APPEND (literals), SEARCH and UID SEARCH (ALL, HEADER, SINCE,
UID), FETCH and UID FETCH (UID, FLAGS, INTERNALDATE, RFC822.SIZE, BODY[...] and BODY.PEEK[...] with HEADER,
HEADER.FIELDS, TEXT and partial <start.count>), NOOP, CLOSE, LOGOUT. TLS is implicit ("ssl", 993 style),
STARTTLS (LOGINDISABLED until upgraded) or "none".

The default folders are French on purpose: "Brouillons" flagged \\Drafts, "Envoy&AOk-s" (Envoyés) flagged \\Sent,
and a decoy plain folder literally named "Drafts" without a flag. Scripted failures: `login_fails`,
`imap_disabled` (Gmail's "not enabled for IMAP" alert), `special_use_when_asked` (flags only for
`LIST (SPECIAL-USE)`, as RFC 6154 allows), `over_quota` (APPEND refused with OVERQUOTA),
`drop_next(command)` (the connection closes instead of answering that command once), `hold_next(command)` (the
answer waits until the test releases it).

Use: `with ImapTwin(ca=test_ca()) as twin:`; `twin.port`; `twin.messages("Brouillons")`; `twin.inject_reply(...)`.
The server runs on its own event loop in a thread; `start` returns once the port accepts connections.
"""

from __future__ import annotations

import asyncio
import email
import imaplib
import re
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Literal

from tests.twins.tls import TestCA

TlsMode = Literal["ssl", "starttls", "none"]
USERNAME = "student@uni.test"
PASSWORD = "twin-app-password"
DEFAULT_FOLDERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("INBOX", ()),
    ("Brouillons", ("\\Drafts",)),
    ("Drafts", ()),
    ("Envoy&AOk-s", ("\\Sent",)),
    ("Corbeille", ("\\Trash",)),
)
_ITEM = re.compile(
    r"(?P<name>BODY\.PEEK|BODY|BINARY\.PEEK)\[(?P<section>[^\]]*)\](?:<(?P<start>\d+)\.(?P<count>\d+)>)?"
    r"|(?P<atom>UID|FLAGS|INTERNALDATE|RFC822\.SIZE|RFC822\.HEADER|RFC822|ENVELOPE)",
    re.IGNORECASE,
)


@dataclass
class StoredMessage:
    uid: int
    raw: bytes
    flags: set[str]
    internaldate: datetime

    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def message_id(self) -> str:
        return str(self.message().get("Message-ID", ""))


@dataclass
class Folder:
    name: str
    flags: tuple[str, ...]
    messages: list[StoredMessage] = field(default_factory=list)
    uidnext: int = 1


def _tokens(text: str) -> list[str]:
    """Atoms, quoted strings (unquoted) and parenthesised lists (kept whole) of a command's arguments."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == " ":
            i += 1
        elif ch == '"':
            j, buf = i + 1, []
            while j < len(text) and text[j] != '"':
                if text[j] == "\\":
                    j += 1
                buf.append(text[j])
                j += 1
            out.append("".join(buf))
            i = j + 1
        elif ch == "(":
            depth, j = 0, i
            while j < len(text):
                depth += {"(": 1, ")": -1}.get(text[j], 0)
                j += 1
                if depth == 0:
                    break
            out.append(text[i:j])
            i = j
        else:
            j = text.find(" ", i)
            j = len(text) if j < 0 else j
            out.append(text[i:j])
            i = j
    return out


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _in_set(number: int, spec: str, highest: int) -> bool:
    for part in spec.split(","):
        low, _, high = part.partition(":")
        lo = highest if low == "*" else int(low)
        hi = lo if not high else (highest if high == "*" else int(high))
        if min(lo, hi) <= number <= max(lo, hi):
            return True
    return False


def _header_block(raw: bytes) -> bytes:
    end = raw.find(b"\r\n\r\n")
    return raw if end < 0 else raw[: end + 4]


def _header_fields(raw: bytes, names: Sequence[str], *, exclude: bool = False) -> bytes:
    wanted = {name.lower() for name in names}
    out: list[bytes] = []
    keep = False
    for line in _header_block(raw).split(b"\r\n"):
        if not line:
            continue
        if line[:1] in (b" ", b"\t"):
            if keep:
                out.append(line)
            continue
        name = line.split(b":", 1)[0].decode("ascii", "replace").strip().lower()
        keep = (name in wanted) != exclude
        if keep:
            out.append(line)
    return b"\r\n".join(out) + b"\r\n\r\n"


class ImapTwin:
    def __init__(
        self,
        *,
        ca: TestCA | None = None,
        tls: TlsMode = "ssl",
        username: str = USERNAME,
        password: str = PASSWORD,
        folders: Sequence[tuple[str, tuple[str, ...]]] = DEFAULT_FOLDERS,
    ) -> None:
        if tls != "none" and ca is None:
            raise ValueError("a TLS twin needs a TestCA")
        self.ca = ca
        self.tls: TlsMode = tls
        self.username = username
        self.password = password
        self.folders: dict[str, Folder] = {name: Folder(name, flags) for name, flags in folders}
        self.login_fails = False
        self.imap_disabled = False
        self.over_quota = False
        self.special_use_when_asked = False
        self.commands: list[str] = []
        self._drops: list[str] = []
        self._holds: dict[str, tuple[threading.Event, threading.Event]] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self.host = "127.0.0.1"
        self.port = 0

    # --- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> ImapTwin:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                context = self.ca.server_context() if self.tls == "ssl" and self.ca else None
                self._server = loop.run_until_complete(asyncio.start_server(self._serve, self.host, 0, ssl=context))
                self.port = self._server.sockets[0].getsockname()[1]
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            self._server.close()
            for task in asyncio.all_tasks(loop):  # open sessions end with the twin
                task.cancel()
            loop.run_until_complete(asyncio.gather(*asyncio.all_tasks(loop), return_exceptions=True))
            loop.close()

        self._thread = threading.Thread(target=run, name="imap-twin", daemon=True)
        self._thread.start()
        if not ready.wait(30) or failure:
            raise RuntimeError(f"IMAP twin did not start: {failure[:1]}")
        with socket.create_connection((self.host, self.port), timeout=10):
            pass  # the port accepts connections
        return self

    def stop(self) -> None:
        loop, thread, self._loop, self._thread = self._loop, self._thread, None, None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)

    def __enter__(self) -> ImapTwin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the mailbox, for tests --------------------------------------------------------------------------
    def folder_with(self, flag: str) -> Folder:
        with self._lock:
            return next(folder for folder in self.folders.values() if flag.lower() in map(str.lower, folder.flags))

    def messages(self, folder: str) -> list[StoredMessage]:
        with self._lock:
            return list(self.folders[folder].messages)

    def add(
        self, folder: str, message: EmailMessage | bytes, flags: Sequence[str] = (), when: datetime | None = None
    ) -> StoredMessage:
        raw = message if isinstance(message, bytes) else message.as_bytes(policy=policy.SMTP)
        raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        with self._lock:
            box = self.folders[folder]
            stored = StoredMessage(box.uidnext, raw, set(flags), when or datetime.now(UTC))
            box.uidnext += 1
            box.messages.append(stored)
            return stored

    def inject_reply(
        self,
        to_message_id: str,
        *,
        from_address: str = "prof@faraway.test",
        via: Literal["in-reply-to", "references"] = "in-reply-to",
        when: datetime | None = None,
        folder: str = "INBOX",
    ) -> EmailMessage:
        """Put a reply to `to_message_id` in INBOX, linked by In-Reply-To (or only by References)."""
        reply = EmailMessage()
        reply["From"] = f"Prof <{from_address}>"
        reply["To"] = self.username
        reply["Subject"] = "Re: your email"
        reply["Date"] = format_datetime(when or datetime.now(UTC))
        reply["Message-ID"] = make_msgid(domain="faraway.test")
        if via == "in-reply-to":
            reply["In-Reply-To"] = to_message_id
        reply["References"] = f"<older@faraway.test> {to_message_id}"
        reply.set_content("Thanks, happy to talk.\n")
        self.add(folder, reply, when=when)
        return reply

    def inject_bounce(
        self,
        original_message_id: str,
        *,
        recipient: str = "gone@faraway.test",
        style: Literal["dsn", "plain"] = "dsn",
        when: datetime | None = None,
    ) -> EmailMessage:
        """A bounce for `original_message_id`: an RFC 3464 DSN, or a plain-text one from MAILER-DAEMON."""
        stamp = format_datetime(when or datetime.now(UTC))
        head = (
            "From: Mail Delivery Subsystem <mailer-daemon@mx.faraway.test>\r\n"
            f"To: {self.username}\r\nSubject: Delivery Status Notification (Failure)\r\nDate: {stamp}\r\n"
            f"Message-ID: {make_msgid(domain='mx.faraway.test')}\r\nMIME-Version: 1.0\r\n"
        )
        text = f"Your message to {recipient} could not be delivered: 550 5.1.1 no such user.\r\n"
        original = f"Message-ID: {original_message_id}\r\nTo: {recipient}\r\nSubject: Hello\r\n"
        if style == "plain":
            raw = head + "Content-Type: text/plain\r\n\r\n" + text + "\r\n----- Original message -----\r\n" + original
        else:
            raw = (
                head + 'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
                "--b1\r\nContent-Type: text/plain\r\n\r\n" + text + "--b1\r\n"
                "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.faraway.test\r\n\r\n"
                f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--b1\r\n"
                "Content-Type: text/rfc822-headers\r\n\r\n" + original + "\r\n--b1--\r\n"
            )
        bounce = email.message_from_bytes(raw.encode(), policy=policy.default)
        assert isinstance(bounce, EmailMessage)
        self.add("INBOX", raw.encode(), when=when)
        return bounce

    def hold_next(self, command: str) -> tuple[threading.Event, threading.Event]:
        """Hold the answer to the next `command`: returns (arrived, release); the twin answers once released."""
        arrived, release = threading.Event(), threading.Event()
        with self._lock:
            self._holds[command.upper()] = (arrived, release)
        return arrived, release

    def drop_next(self, command: str) -> None:
        """Close the connection instead of answering the next `command` (e.g. "APPEND", "FETCH", "LOGIN")."""
        with self._lock:
            self._drops.append(command.upper())

    # --- the protocol ------------------------------------------------------------------------------------
    def _capabilities(self, secure: bool) -> str:
        caps = ["IMAP4rev1", "SPECIAL-USE", "UIDPLUS", "LITERAL+"]
        if self.tls == "starttls" and not secure:
            caps += ["STARTTLS", "LOGINDISABLED"]
        return " ".join(caps)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        secure = self.tls == "ssl"
        authed = False
        selected: Folder | None = None

        def send(text: str | bytes) -> None:
            writer.write(text if isinstance(text, bytes) else text.encode())

        send(f"* OK [CAPABILITY {self._capabilities(secure)}] IMAP twin ready\r\n")
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                text = line.decode("utf-8", "replace").rstrip("\r\n")
                literal: bytes | None = None
                match = re.search(r"\{(\d+)(\+?)\}$", text)
                if match:
                    if not match.group(2):
                        send("+ Ready for literal data\r\n")
                        await writer.drain()
                    literal = await reader.readexactly(int(match.group(1)))
                    await reader.readline()
                    text = text[: match.start()].rstrip()
                tag, _, rest = text.partition(" ")
                command, _, args = rest.partition(" ")
                command = command.upper()
                uid_mode = command == "UID"
                if uid_mode:
                    command, _, args = args.partition(" ")
                    command = command.upper()
                with self._lock:
                    self.commands.append(command if command != "LOGIN" else "LOGIN ***")
                    drop = command in self._drops
                    if drop:
                        self._drops.remove(command)
                    hold = self._holds.pop(command, None)
                if drop:
                    writer.transport.abort()
                    return
                if hold is not None:
                    hold[0].set()
                    await asyncio.get_running_loop().run_in_executor(None, hold[1].wait, 30)
                if command == "CAPABILITY":
                    send(f"* CAPABILITY {self._capabilities(secure)}\r\n{tag} OK CAPABILITY completed\r\n")
                elif command == "NOOP" or command == "CHECK":
                    send(f"{tag} OK {command} completed\r\n")
                elif command == "LOGOUT":
                    send(f"* BYE logging out\r\n{tag} OK LOGOUT completed\r\n")
                    await writer.drain()
                    writer.close()
                    return
                elif command == "STARTTLS":
                    if self.tls != "starttls" or secure or self.ca is None:
                        send(f"{tag} BAD STARTTLS not available\r\n")
                    else:
                        send(f"{tag} OK Begin TLS negotiation now\r\n")
                        await writer.drain()
                        await writer.start_tls(self.ca.server_context())
                        secure = True
                elif command == "LOGIN":
                    authed = self._login(tag, args, secure, send)
                elif not authed:
                    send(f"{tag} BAD log in first\r\n")
                elif command == "LIST":
                    send(self._list(tag, args))
                elif command in ("SELECT", "EXAMINE"):
                    selected = self._select(tag, command, args, send)
                elif command == "CLOSE":
                    selected = None
                    send(f"{tag} OK CLOSE completed\r\n")
                elif command == "APPEND":
                    send(self._append(tag, args, literal))
                elif command == "SEARCH" and selected is not None:
                    send(self._search(tag, selected, args, uid_mode))
                elif command == "FETCH" and selected is not None:
                    send(self._fetch(tag, selected, args, uid_mode))
                else:
                    send(f"{tag} BAD {command or 'empty command'} not supported here\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            return
        finally:
            if not writer.is_closing():
                writer.close()

    def _login(self, tag: str, args: str, secure: bool, send: object) -> bool:
        assert callable(send)
        tokens = _tokens(args)
        if self.tls == "starttls" and not secure:
            send(f"{tag} NO [PRIVACYREQUIRED] LOGIN is disabled before STARTTLS\r\n")
            return False
        if self.imap_disabled:
            send(f"{tag} NO [ALERT] Your account is not enabled for IMAP use.\r\n")
            return False
        if self.login_fails or tokens[:2] != [self.username, self.password]:
            send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)\r\n")
            return False
        send(f"{tag} OK LOGIN completed\r\n")
        return True

    def _list(self, tag: str, args: str) -> str:
        asked = "SPECIAL-USE" in args.upper()
        lines = []
        with self._lock:
            for folder in self.folders.values():
                if asked and not folder.flags:
                    continue
                shown = folder.flags if asked or not self.special_use_when_asked else ()
                flags = " ".join(("\\HasNoChildren", *shown))
                lines.append(f'* LIST ({flags}) "/" {_quote(folder.name)}\r\n')
        return "".join(lines) + f"{tag} OK LIST completed\r\n"

    def _select(self, tag: str, command: str, args: str, send: object) -> Folder | None:
        assert callable(send)
        name = _tokens(args)[0] if args else ""
        with self._lock:
            folder = self.folders.get(name) or (self.folders.get("INBOX") if name.upper() == "INBOX" else None)
            if folder is None:
                send(f"{tag} NO [NONEXISTENT] no folder {name!r}\r\n")
                return None
            mode = "READ-ONLY" if command == "EXAMINE" else "READ-WRITE"
            send(
                f"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n* {len(folder.messages)} EXISTS\r\n"
                f"* 0 RECENT\r\n* OK [UIDVALIDITY 1] UIDs valid\r\n* OK [UIDNEXT {folder.uidnext}] next\r\n"
                f"{tag} OK [{mode}] {command} completed\r\n"
            )
            return folder

    def _append(self, tag: str, args: str, literal: bytes | None) -> str:
        tokens = _tokens(args)
        if literal is None or not tokens:
            return f"{tag} BAD APPEND needs a folder and a message\r\n"
        name = tokens[0]
        flags = tokens[1][1:-1].split() if len(tokens) > 1 and tokens[1].startswith("(") else []
        when = datetime.now(UTC)
        for token in tokens[1:]:
            parsed = imaplib.Internaldate2tuple(f'INTERNALDATE "{token}"'.encode())
            if parsed is not None:
                when = datetime.fromtimestamp(time.mktime(parsed), UTC)
        if name not in self.folders:
            return f"{tag} NO [TRYCREATE] no folder {name!r}\r\n"
        if self.over_quota:
            return f"{tag} NO [OVERQUOTA] Mailbox is over quota\r\n"
        stored = self.add(name, literal, flags, when)
        return f"{tag} OK [APPENDUID 1 {stored.uid}] APPEND completed\r\n"

    def _matches(self, message: StoredMessage, criteria: list[str], highest: int) -> bool:
        i = 0
        while i < len(criteria):
            key = criteria[i].upper()
            if key in ("ALL", "UNDELETED"):
                i += 1
            elif key == "HEADER":
                field_name, value = criteria[i + 1], criteria[i + 2]
                i += 3
                headers = message.message().get_all(field_name) or []
                if not any(value.lower() in str(h).lower() for h in headers):
                    return False
            elif key == "SINCE":
                since = datetime.strptime(criteria[i + 1], "%d-%b-%Y").date()
                i += 2
                if message.internaldate.date() < since:
                    return False
            elif key == "UID":
                spec = criteria[i + 1]
                i += 2
                if not _in_set(message.uid, spec, highest):
                    return False
            else:
                raise ValueError(key)
        return True

    def _search(self, tag: str, folder: Folder, args: str, uid_mode: bool) -> str:
        criteria = _tokens(args)
        if criteria and criteria[0].upper() == "CHARSET":
            criteria = criteria[2:]
        with self._lock:
            messages = list(folder.messages)
        highest = messages[-1].uid if messages else 0
        try:
            hits = [
                str(m.uid if uid_mode else n) for n, m in enumerate(messages, 1) if self._matches(m, criteria, highest)
            ]
        except (ValueError, IndexError):
            return f"{tag} BAD search criteria not understood\r\n"
        return f"* SEARCH {' '.join(hits)}\r\n".replace("SEARCH \r", "SEARCH\r") + f"{tag} OK SEARCH completed\r\n"

    def _fetch(self, tag: str, folder: Folder, args: str, uid_mode: bool) -> bytes:
        spec, _, items = args.partition(" ")
        with self._lock:
            messages = list(folder.messages)
        highest = (messages[-1].uid if uid_mode else len(messages)) if messages else 0
        out: list[bytes] = []
        for number, message in enumerate(messages, 1):
            if not _in_set(message.uid if uid_mode else number, spec, highest):
                continue
            meta: list[str] = [f"UID {message.uid}"] if uid_mode else []
            literals: list[tuple[str, bytes]] = []
            for match in _ITEM.finditer(items):
                atom = (match.group("atom") or "").upper()
                if atom == "UID" and not uid_mode:
                    meta.append(f"UID {message.uid}")
                elif atom == "FLAGS":
                    meta.append(f"FLAGS ({' '.join(sorted(message.flags))})")
                elif atom == "INTERNALDATE":
                    meta.append(f"INTERNALDATE {imaplib.Time2Internaldate(message.internaldate.timestamp())}")
                elif atom == "RFC822.SIZE":
                    meta.append(f"RFC822.SIZE {len(message.raw)}")
                elif atom == "RFC822.HEADER":
                    literals.append(("RFC822.HEADER", _header_block(message.raw)))
                elif atom == "RFC822":
                    literals.append(("RFC822", message.raw))
                elif match.group("name"):
                    section = match.group("section")
                    upper = section.upper()
                    if upper.startswith("HEADER.FIELDS.NOT"):
                        data = _header_fields(message.raw, upper[17:].strip(" ()").split(), exclude=True)
                    elif upper.startswith("HEADER.FIELDS"):
                        data = _header_fields(message.raw, upper[13:].strip(" ()").split())
                    elif upper == "HEADER":
                        data = _header_block(message.raw)
                    elif upper == "TEXT":
                        data = message.raw[len(_header_block(message.raw)) :]
                    else:
                        data = message.raw
                    label = f"BODY[{section}]"
                    if match.group("start") is not None:
                        start, count = int(match.group("start")), int(match.group("count"))
                        data = data[start : start + count]
                        label += f"<{start}>"
                    literals.append((label, data))
            head = " ".join(meta)
            body = b""
            for label, data in literals:
                body += f"{' ' if head or body else ''}{label} {{{len(data)}}}\r\n".encode() + data
            out.append(f"* {number} FETCH ({head}".encode() + body + b")\r\n")
        return b"".join(out) + f"{tag} OK FETCH completed\r\n".encode()
