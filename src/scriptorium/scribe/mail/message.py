"""The message Scribe puts in Drafts or sends: plain text, one recipient, and a Message-ID that never changes.

The Message-ID is the idempotency key of the whole mail feature: `stable_message_id` derives it from the Scribe
email id (a UUIDv5, so the same email gets the same id on every run, on every machine), the draft run looks for
it in the Drafts folder before appending, a send interrupted mid-way looks for it in the Sent folder, and replies
are matched by it in In-Reply-To/References. Header values are checked for line breaks and control characters
(header injection), and an address must be a plain `local@domain` (no display name, comma, quote or angle bracket
hidden in it: `"a@b.com" <evil@x.com>` is refused, not quoted into a different mailbox).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

# Fixed forever: changing it would change every Message-ID and make drafts duplicate.
_NAMESPACE = uuid.UUID("6f0c3c52-6c1e-5b7e-9a55-3b1f5f4e1d14")
# RFC 5322 dot-atom (what every provider accepts unquoted) and hostname labels (checked after IDNA).
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


@dataclass(frozen=True)
class OutgoingMail:
    email_id: str
    from_address: str
    from_name: str
    to_address: str
    to_name: str
    subject: str
    body: str
    message_id: str
    """With angle brackets, as in the header: `<scribe-…@domain>` (see `stable_message_id`)."""


def stable_message_id(email_id: str, domain: str) -> str:
    """`<scribe-<uuid5(email_id)>@domain>`: the same for the same Scribe email every time."""
    domain = domain.strip().strip(".").lower() or "scriptorium.invalid"
    return f"<scribe-{uuid.uuid5(_NAMESPACE, str(email_id))}@{domain}>"


def normalize_message_id(value: str) -> str:
    """A Message-ID reduced for comparison: no angle brackets or spaces, lower-case."""
    return value.strip().strip("<>").strip().lower()


def _one_line(name: str, value: str) -> str:
    """`value` stripped; refused when it holds any line break (CR, LF, and the Unicode ones `str.splitlines`
    knows, which the email package also refuses) or another control character (a NUL, an escape)."""
    if len(value.splitlines()) > 1 or value.endswith(("\r", "\n")):
        raise ValueError(f"{name} must be one line")
    if any((ord(char) < 32 and char != "\t") or ord(char) == 127 for char in value):
        raise ValueError(f"{name} must not contain control characters")
    return value.replace("\t", " ").strip()


def _address(name: str, display: str, address: str) -> Address:
    """An address whose domain is in its ASCII (IDNA) form: bücher.de travels as xn--bcher-kva.de, which
    every server accepts; a non-ASCII local part would need SMTPUTF8 and is refused here."""
    local, at, domain = _one_line(name, address).rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"{name} {address!r} is not an email address")
    if not local.isascii():
        raise ValueError(f"{name} {address!r} is not an email address Scribe can send to (non-ASCII before the @)")
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"{name} {address!r} is not an email address") from None
    labels = ascii_domain.split(".")
    if not _LOCAL_PART.fullmatch(local) or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
        raise ValueError(f"{name} {address!r} is not a plain email address (name@domain)")
    return Address(display_name=_one_line(name, display), username=local, domain=ascii_domain)


def build_message(mail: OutgoingMail, *, date: datetime | None = None) -> EmailMessage:
    """The RFC 5322 message for `mail` (UTF-8 plain text); raises ValueError for a broken address or header."""
    message = EmailMessage()
    message["From"] = _address("From", mail.from_name, mail.from_address)
    message["To"] = _address("To", mail.to_name, mail.to_address)
    message["Subject"] = _one_line("Subject", mail.subject)
    message["Date"] = format_datetime(date or datetime.now(UTC))
    message["Message-ID"] = _one_line("Message-ID", mail.message_id)
    message.set_content(mail.body.replace("\r\n", "\n"), cte="quoted-printable")
    return message
