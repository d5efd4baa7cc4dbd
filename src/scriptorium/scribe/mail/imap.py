"""Read and write the student's mailbox over IMAP: find Drafts/Sent by flag, append drafts, find replies.

Library choice: the standard library's `imaplib`, run in a worker thread (`asyncio.to_thread`, one command at a
time per session under a lock). It speaks implicit TLS, STARTTLS, LOGIN, LIST, SELECT, APPEND, SEARCH and FETCH,
is maintained with CPython and costs nothing to install; the async alternative (aioimaplib) is a smaller
project and gains nothing for a handful of commands a minute. The socket goes to the address `reach` checked.

Folders are chosen by their RFC 6154 special-use flag (`\\Drafts`, `\\Sent`), never by name: "Brouillons" or
"[Gmail]/Entwürfe" are found, a plain folder called "Drafts" without the flag is not. Replies are messages in
INBOX whose In-Reply-To or References name one of our Message-IDs, written by a person (an out-of-office
autoresponder's answer is not a reply); bounces are delivery reports (a multipart/report, or a message from
MAILER-DAEMON/postmaster) whose text contains one of our Message-IDs.
"""

from __future__ import annotations

import asyncio
import base64
import imaplib
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.utils import parseaddr, parsedate_to_datetime
from typing import Any, TypeVar

from scriptorium.core.settings import Settings
from scriptorium.scribe.mail.errors import (
    AuthRefused,
    ConnectionFailed,
    ImapDisabled,
    MailboxFull,
    MailError,
    NoSpecialFolder,
    TlsMismatch,
    scrub,
    socket_failure,
    unsendable_characters,
)
from scriptorium.scribe.mail.message import normalize_message_id
from scriptorium.scribe.mail.reach import Reach, reach
from scriptorium.scribe.mail.servers import MailServer

T = TypeVar("T")

IMAP_AUTH_WORDS = (
    "The mail server refused the password for IMAP. For Gmail/Outlook use an app password (made in your "
    "account's security settings), not your usual password, and check the user name is your full address."
)
NON_ASCII_WORDS = (
    "Your password has characters (like ä or ß) that this mail server's IMAP login cannot carry. Make an app "
    "password (letters and digits) in your account's security settings and use that."
)
_DISABLED = re.compile(
    r"not enabled for imap|imap access is disabled|imap is disabled|logindisabled|"
    r"login (is )?disabled|web login required",
    re.IGNORECASE,
)
_LIST_LINE = re.compile(rb'^\((?P<flags>[^)]*)\) (?P<delim>"(?:[^"\\]|\\.)*"|NIL) (?P<name>.*)$', re.IGNORECASE)
_UID = re.compile(rb"\bUID (\d+)", re.IGNORECASE)
_INTERNALDATE = re.compile(rb'\bINTERNALDATE "([^"]+)"', re.IGNORECASE)
_MESSAGE_ID = re.compile(r"<[^<>\s]+@[^<>\s]+>")
_HEADER_FIELDS = (
    "FROM DATE MESSAGE-ID IN-REPLY-TO REFERENCES CONTENT-TYPE AUTO-SUBMITTED X-AUTOREPLY X-AUTORESPOND PRECEDENCE"
)
_AUTO_PRECEDENCE = ("auto_reply", "auto-reply")
_BOUNCE_SENDERS = ("mailer-daemon", "postmaster", "mail delivery subsystem")
SPECIAL_USE = frozenset({"\\all", "\\archive", "\\drafts", "\\flagged", "\\junk", "\\sent", "\\trash"})
_FETCH_CHUNK = 200
_BOUNCE_BYTES = 200_000


@dataclass(frozen=True)
class ReplyFound:
    """A message in the mailbox that answers (or bounces) one of ours."""

    message_id_replied_to: str
    """One of the Message-IDs the caller asked about, exactly as the caller gave it."""
    from_address: str
    received_at: datetime
    is_bounce: bool


def quote(name: str) -> str:
    """An IMAP quoted string for a folder name or search value."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wire_name(name: str) -> str | bytes:
    """A folder name as a command argument: quoted, and as the UTF-8 bytes the server listed it in when it is not
    ASCII (a server that lists "Entwürfe" raw rather than in modified UTF-7). imaplib encodes str arguments as
    ASCII and would crash on it; bytes go as they are."""
    quoted = quote(name)
    return quoted if quoted.isascii() else quoted.encode("utf-8")


def _unquote(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace").strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def parse_list(lines: Iterable[bytes | tuple[bytes, bytes] | None]) -> list[tuple[frozenset[str], str]]:
    """(flags, folder name as the server spells it) for each LIST response line."""
    folders: list[tuple[frozenset[str], str]] = []
    for line in lines:
        if line is None:
            continue
        head, literal = (line[0], line[1]) if isinstance(line, tuple) else (line, None)
        match = _LIST_LINE.match(head.strip())
        if not match:
            continue
        flags = frozenset(flag.lower() for flag in match.group("flags").decode("ascii", "replace").split())
        name = literal.decode("utf-8", "replace") if literal is not None else _unquote(match.group("name"))
        folders.append((flags, name))
    return folders


class _PinnedIMAP(imaplib.IMAP4):
    """imaplib.IMAP4 that connects to the checked address (STARTTLS verifies the host name)."""

    def __init__(self, target: Reach) -> None:
        self._target = target
        super().__init__(target.host, target.port, timeout=target.timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        return socket.create_connection((self._target.address, self.port), timeout)


class _PinnedIMAPSSL(imaplib.IMAP4_SSL):
    """imaplib.IMAP4_SSL that connects to the checked address and verifies the host name."""

    def __init__(self, target: Reach) -> None:
        self._target = target
        super().__init__(target.host, target.port, ssl_context=target.ssl_context, timeout=target.timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        raw = socket.create_connection((self._target.address, self.port), timeout)
        try:
            return self._target.ssl_context.wrap_socket(raw, server_hostname=self._target.host)
        except BaseException:
            raw.close()
            raise


def decode_folder_name(name: str) -> str:
    """A folder name as a person reads it: IMAP's modified UTF-7 decoded ("Envoy&AOk-s" → "Envoyés")."""

    def piece(match: re.Match[str]) -> str:
        encoded = match.group(1)
        if not encoded:
            return "&"
        data = encoded.replace(",", "/")
        try:
            return base64.b64decode(data + "=" * (-len(data) % 4)).decode("utf-16-be")
        except (ValueError, UnicodeDecodeError):
            return match.group(0)

    return re.sub(r"&([A-Za-z0-9+,]*)-", piece, name)


def _text(data: Any) -> str:
    parts = data if isinstance(data, list) else [data]
    out = []
    for part in parts:
        if isinstance(part, tuple):
            part = part[0]
        if isinstance(part, bytes):
            out.append(part.decode("utf-8", "replace"))
        elif part is not None:
            out.append(str(part))
    return " ".join(" ".join(out).split())[:300]


def _login(imap: imaplib.IMAP4, server: MailServer) -> None:
    """LOGIN; imaplib sends it as ASCII, so a password with "ä" or "ß" goes as AUTHENTICATE PLAIN in UTF-8
    (RFC 4616) when the server offers it, else is refused in words (never a UnicodeEncodeError)."""
    if (server.username + server.password).isascii():
        imap.login(server.username, server.password)
        return
    if "AUTH=PLAIN" not in imap.capabilities:
        raise AuthRefused(NON_ASCII_WORDS)
    token = b"\0" + server.username.encode("utf-8") + b"\0" + server.password.encode("utf-8")
    imap.authenticate("PLAIN", lambda _challenge: token)


class Mailbox:
    """One logged-in IMAP session. Use through `open_mailbox`."""

    def __init__(self, server: MailServer, target: Reach) -> None:
        self._server = server
        self._target = target
        self._imap: imaplib.IMAP4 | None = None
        self._lock = asyncio.Lock()
        # A cancelled await leaves its thread running: the session's socket is only ever used under this lock.
        self._in_thread = threading.Lock()
        self._folders: list[tuple[frozenset[str], str]] | None = None

    def _where(self) -> str:
        return f"{self._target.host}:{self._target.port}"

    # --- the blocking half (runs in a thread) -------------------------------------------------------------
    def _check(self, typ: str, data: Any, doing: str) -> Any:
        if typ != "OK":
            said = scrub(_text(data), self._server.password)
            if "overquota" in said.lower() or "quota" in said.lower():
                raise MailboxFull(f"Your mailbox is full (the server said: {said}). Make room and try again.")
            raise ConnectionFailed(f"The IMAP server refused to {doing} (it said: {said}).")
        return data

    def _connect_sync(self) -> None:
        server, target = self._server, self._target
        imap: imaplib.IMAP4 = _PinnedIMAPSSL(target) if server.tls == "ssl" else _PinnedIMAP(target)
        try:
            if server.tls == "starttls":
                if "STARTTLS" not in imap.capabilities:
                    raise TlsMismatch(
                        f"The IMAP server {self._where()} does not offer STARTTLS. If this is an SSL port "
                        "(usually 993), choose SSL."
                    )
                imap.starttls(ssl_context=target.ssl_context)
            if "LOGINDISABLED" in imap.capabilities:
                raise TlsMismatch(
                    f"The IMAP server {self._where()} accepts no password on an unencrypted connection. "
                    "Choose SSL (port 993) or STARTTLS."
                )
            try:
                _login(imap, server)
            except imaplib.IMAP4.error as exc:
                said = scrub(str(exc), server.password)
                if _DISABLED.search(said):
                    raise ImapDisabled(
                        "IMAP is turned off for this account. Turn it on in your mail settings (Gmail: "
                        "Settings → Forwarding and POP/IMAP → Enable IMAP), then try again."
                    ) from None
                raise AuthRefused(IMAP_AUTH_WORDS) from None
        except BaseException:
            with suppress(OSError):
                imap.shutdown()
            raise
        self._imap = imap

    def _session(self) -> imaplib.IMAP4:
        if self._imap is None:
            raise ConnectionFailed(f"The IMAP session with {self._where()} is closed.")
        return self._imap

    def _folders_sync(self) -> list[tuple[frozenset[str], str]]:
        """Every folder with its flags. Servers that only mark special use when asked (RFC 6154 §5, or
        the older XLIST) are asked again with `LIST (SPECIAL-USE)` or XLIST when the plain LIST marks none."""
        if self._folders is None:
            imap = self._session()
            typ, data = imap.list()
            folders = parse_list(self._check(typ, data, "list your folders"))
            if not any(flags & SPECIAL_USE for flags, _ in folders):
                for command, args in (("LIST", ("(SPECIAL-USE)", '""', '"*"')), ("XLIST", ('""', '"*"'))):
                    capability = "SPECIAL-USE" if command == "LIST" else "XLIST"
                    if capability not in imap.capabilities:
                        continue
                    imaplib.Commands.setdefault(command, ("AUTH", "SELECTED"))
                    typ, data = imap._simple_command(command, *args)
                    typ, data = imap._untagged_response(typ, data, command)
                    marked = parse_list(self._check(typ, data, "list your folders"))
                    if any(flags & SPECIAL_USE for flags, _ in marked):
                        folders = marked + [(f, n) for f, n in folders if n not in {m for _, m in marked}]
                        break
            self._folders = folders
        return self._folders

    def _folder_for_sync(self, use: str) -> str:
        wanted = use.lower()
        for flags, name in self._folders_sync():
            if wanted in flags:
                return name
        label = use.lstrip("\\")
        raise NoSpecialFolder(
            f"Your mailbox has no folder marked as {label}. Open your mail program once so it creates one, or "
            f"ask your provider: Scribe finds the {label} folder by its marking, not its name."
        )

    def _select_sync(self, folder: str, *, readonly: bool) -> None:
        imap = self._session()
        typ, data = imap.select(wire_name(folder), readonly=readonly)  # type: ignore[arg-type]  # bytes work
        self._check(typ, data, f"open the folder {folder!r}")

    def _has_message_id_sync(self, folder: str, message_id: str) -> bool:
        self._select_sync(folder, readonly=True)
        imap = self._session()
        value = "<" + normalize_message_id(message_id) + ">"
        typ, data = imap.uid("SEARCH", "HEADER", "Message-ID", quote(value))
        found = self._check(typ, data, "search the folder")
        return any(chunk and chunk.split() for chunk in found if isinstance(chunk, bytes))

    def _append_sync(self, folder: str, raw: bytes, flags: Sequence[str]) -> None:
        imap = self._session()
        flag_list = "(" + " ".join(flags) + ")" if flags else None
        mailbox = wire_name(folder)
        typ, data = imap.append(mailbox, flag_list, imaplib.Time2Internaldate(time.time()), raw)  # type: ignore[arg-type]
        self._check(typ, data, f"save the message in {folder!r}")

    def _find_replies_sync(
        self, wanted: dict[str, str], since: date, folders: Sequence[str], ignore_from: set[str]
    ) -> list[ReplyFound]:
        found: list[ReplyFound] = []
        imap = self._session()
        for folder in folders:
            self._select_sync(folder, readonly=True)
            typ, data = imap.uid("SEARCH", "SINCE", since.strftime("%d-%b-%Y"))
            uids = b" ".join(chunk for chunk in self._check(typ, data, "search for replies") if chunk).split()
            for start in range(0, len(uids), _FETCH_CHUNK):
                chunk = b",".join(uids[start : start + _FETCH_CHUNK]).decode()
                typ, data = imap.uid("FETCH", chunk, f"(UID INTERNALDATE BODY.PEEK[HEADER.FIELDS ({_HEADER_FIELDS})])")
                for uid, received, headers in _fetched(self._check(typ, data, "read message headers")):
                    reply = self._match(uid, received, headers, wanted, ignore_from)
                    if reply is not None:
                        found.append(reply)
        return found

    def _match(
        self, uid: bytes, received: datetime | None, headers: Message, wanted: dict[str, str], ignore: set[str]
    ) -> ReplyFound | None:
        sender = parseaddr(str(headers.get("From", "")))
        from_address = sender[1].lower()
        received_at = received or _header_date(headers) or datetime.now(UTC)
        content_type = str(headers.get("Content-Type", "")).lower()
        looks_bounce = "multipart/report" in content_type or any(
            marker in f"{sender[0]} {from_address}".lower() for marker in _BOUNCE_SENDERS
        )
        if not looks_bounce and _is_auto_reply(headers):
            return None  # an out-of-office answer: the person has not replied
        # the message answered: In-Reply-To, else the newest of References (which lists the thread oldest first)
        linked = _MESSAGE_ID.findall(str(headers.get("In-Reply-To", "")))
        linked += reversed(_MESSAGE_ID.findall(str(headers.get("References", ""))))
        for mid in linked:
            key = normalize_message_id(mid)
            if key in wanted and (looks_bounce or from_address not in ignore):
                return ReplyFound(wanted[key], from_address, received_at, looks_bounce)
        if not looks_bounce:
            return None
        imap = self._session()
        typ, data = imap.uid("FETCH", uid.decode(), f"(BODY.PEEK[]<0.{_BOUNCE_BYTES}>)")
        body = b"".join(part[1] for part in self._check(typ, data, "read a bounce") if isinstance(part, tuple))
        for mid in _MESSAGE_ID.findall(body.decode("utf-8", "replace")):
            key = normalize_message_id(mid)
            if key in wanted:
                return ReplyFound(wanted[key], from_address, received_at, True)
        return None

    def _close_sync(self) -> None:
        imap, self._imap = self._imap, None
        if imap is None:
            return
        try:
            imap.logout()
        except (imaplib.IMAP4.error, OSError):
            with suppress(OSError):
                imap.shutdown()

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
                if isinstance(exc, (imaplib.IMAP4.abort, OSError, EOFError)):
                    broken, self._imap = self._imap, None  # the session is unusable: close its socket
                    if broken is not None:
                        with suppress(OSError):
                            broken.shutdown()
                connecting = call == self._connect_sync
                raise _translate(exc, self._where(), self._server.password, connecting=connecting) from None

    async def connect(self) -> None:
        await self._run(self._connect_sync)

    async def folder_for(self, use: str) -> str:
        """The folder flagged `use` ("\\Drafts", "\\Sent", …); raises `NoSpecialFolder` when there is none."""
        return await self._run(self._folder_for_sync, use)

    async def has_message_id(self, folder: str, message_id: str) -> bool:
        """Whether `folder` holds a message with this Message-ID (angle brackets optional)."""
        return await self._run(self._has_message_id_sync, folder, message_id)

    async def append(self, folder: str, msg: EmailMessage, flags: Sequence[str] = ("\\Draft",)) -> None:
        """Store `msg` in `folder` with `flags` (a draft by default). Raises `MailboxFull` when over quota."""
        raw = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
        await self._run(self._append_sync, folder, raw, tuple(flags))

    async def find_replies(
        self,
        message_ids: Collection[str],
        since: date,
        *,
        folders: Sequence[str] = ("INBOX",),
        ignore_from: Collection[str] = (),
    ) -> list[ReplyFound]:
        """Replies and bounces received since `since` (in `folders`) to any of `message_ids`.

        `ignore_from`: the student's own addresses, so their follow-ups in a thread do not count as replies.
        """
        wanted = {normalize_message_id(mid): mid for mid in message_ids}
        if not wanted:
            return []
        ignore = {address.lower() for address in ignore_from}
        return await self._run(self._find_replies_sync, wanted, since, tuple(folders), ignore)

    async def close(self) -> None:
        async with self._lock:
            await asyncio.to_thread(self._serially, self._close_sync)


def _is_auto_reply(headers: Message) -> bool:
    """An autoresponder's answer (vacation, out of office): RFC 3834 Auto-Submitted other than "no", or the
    X-Autoreply / X-Autorespond / Precedence: auto_reply headers older ones send."""
    submitted = str(headers.get("Auto-Submitted", "")).strip().lower()
    if submitted and not submitted.startswith("no"):
        return True
    if headers.get("X-Autoreply") is not None or headers.get("X-Autorespond") is not None:
        return True
    return str(headers.get("Precedence", "")).strip().lower() in _AUTO_PRECEDENCE


def _header_date(headers: Message) -> datetime | None:
    try:
        value = parsedate_to_datetime(str(headers.get("Date", "")))
    except (TypeError, ValueError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _fetched(data: list[Any]) -> Iterable[tuple[bytes, datetime | None, Message]]:
    """(uid, internal date, headers) for each message in a FETCH answer; metadata may sit before or after."""
    parser = BytesHeaderParser()
    pending: tuple[bytes, bytes] | None = None
    for part in [*data, None]:
        if isinstance(part, tuple):
            if pending is not None:
                yield _one_fetched(pending[0], pending[1], parser)
            pending = (part[0], part[1])
        elif pending is not None:
            meta = pending[0] + b" " + (part or b"")
            yield _one_fetched(meta, pending[1], parser)
            pending = None


def _one_fetched(meta: bytes, literal: bytes, parser: BytesHeaderParser) -> tuple[bytes, datetime | None, Message]:
    uid = _UID.search(meta)
    when = _INTERNALDATE.search(meta)
    received: datetime | None = None
    if when:
        parsed = imaplib.Internaldate2tuple(b'INTERNALDATE "' + when.group(1) + b'"')
        if parsed is not None:
            received = datetime.fromtimestamp(time.mktime(parsed), UTC)
    return (uid.group(1) if uid else b""), received, parser.parsebytes(literal)


def _translate(exc: BaseException, where: str, secret: str, *, connecting: bool = False) -> MailError:
    """A MailError for an exception raised by imaplib or the socket, in words."""
    if (failure := socket_failure(exc, "IMAP", where, connecting=connecting)) is not None:
        return failure
    if isinstance(exc, ConnectionRefusedError):
        return ImapDisabled(
            f"Nothing answers on {where}: IMAP may be turned off for this account or the port is wrong "
            "(993 for SSL). Turn IMAP on in your mail settings and check the port."
        )
    if isinstance(exc, (imaplib.IMAP4.abort, ConnectionError, EOFError)):
        return ConnectionFailed(f"The connection to the IMAP server {where} dropped. Try again.")
    if isinstance(exc, OSError):
        return ConnectionFailed(f"Could not reach the IMAP server {where}. Check the host and port.")
    if isinstance(exc, imaplib.IMAP4.error):
        said = scrub(str(exc), secret)[:300]
        return ConnectionFailed(f"The IMAP server {where} answered something unexpected ({said}).")
    if isinstance(exc, UnicodeError):
        return unsendable_characters("IMAP", where)
    raise exc


@asynccontextmanager
async def open_mailbox(server: MailServer, *, settings: Settings) -> AsyncIterator[Mailbox]:
    """Connect (SSL or STARTTLS) and log in; yield a `Mailbox`; LOGOUT on exit. Raises a `MailError`."""
    target = await reach(server, settings, "IMAP")
    box = Mailbox(server, target)
    await box.connect()
    try:
        yield box
    finally:
        await box.close()
