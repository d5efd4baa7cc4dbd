"""The mail API's request and response bodies (`/api/mail/*`), validated at the boundary.

Passwords only ever come in (`MailAccountIn.password`, `MailAccountPatch.password`); no response model has a field
that could carry one: accounts answer `has_password: true` instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from scriptorium.core.addresses import EmailAddress
from scriptorium.core.text_fields import MULTI_LINE, SINGLE_LINE

TlsMode = Literal["ssl", "starttls", "none"]
MailKind = Literal["draft", "send"]

_HOST_PATTERN = r"^[A-Za-z0-9._:\-\[\]]+$"
ID_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
"""Ids Scribe hands out (hex); anything else (a NUL, a slash) is refused at the boundary, never queried."""
RowId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
OneLine = Annotated[str, SINGLE_LINE]
Login = Annotated[str, StringConstraints(min_length=1, max_length=320), SINGLE_LINE]
Secret = Annotated[str, StringConstraints(min_length=1, max_length=1000), SINGLE_LINE]
Reason = Annotated[str, StringConstraints(max_length=1000), MULTI_LINE]


class ServerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field(min_length=1, max_length=255, pattern=_HOST_PATTERN)
    port: int = Field(ge=1, le=65535)
    tls: TlsMode
    username: Login


class ServerPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str | None = Field(None, min_length=1, max_length=255, pattern=_HOST_PATTERN)
    port: int | None = Field(None, ge=1, le=65535)
    tls: TlsMode | None = None
    username: Login | None = None


class ServerOut(BaseModel):
    host: str
    port: int
    tls: TlsMode
    username: str | None = None


class MailAccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: OneLine = Field("", max_length=100)
    address: EmailAddress
    display_name: OneLine = Field("", max_length=200)
    imap: ServerIn
    smtp: ServerIn
    password: Secret = Field(repr=False)
    dkim_selector: str | None = Field(None, max_length=100, pattern=r"^[A-Za-z0-9._\-]+$")

    @field_validator("display_name", "label")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\r" in value or "\n" in value:
            raise ValueError("must be a single line")
        return value.strip()


class MailAccountPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: OneLine | None = Field(None, max_length=100)
    address: EmailAddress | None = None
    display_name: OneLine | None = Field(None, max_length=200)
    imap: ServerPatch | None = None
    smtp: ServerPatch | None = None
    password: Secret | None = Field(None, repr=False)
    dkim_selector: str | None = Field(None, max_length=100, pattern=r"^[A-Za-z0-9._\-]*$")
    sending_enabled: bool | None = None
    rate_per_minute: int | None = Field(None, ge=1, le=1000)
    daily_cap: int | None = Field(None, ge=1, le=10_000)
    first_send_limit: int | None = Field(None, ge=1, le=1000)
    deliverability_override_reason: Reason | None = None

    @field_validator("display_name", "label")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and ("\r" in value or "\n" in value):
            raise ValueError("must be a single line")
        return value.strip() if value is not None else None


class MailAccountOut(BaseModel):
    id: str
    label: str
    address: str
    display_name: str
    imap: ServerOut
    smtp: ServerOut
    has_password: bool
    dkim_selector: str | None
    sending_enabled: bool
    rate_per_minute: int
    daily_cap: int
    first_send_limit: int
    has_sent: bool
    """Whether a real send from this account ever went out (the first one is limited to `first_send_limit`)."""
    sent_last_24h: int
    deliverability: dict[str, object] | None
    deliverability_checked_at: datetime | None
    deliverability_override_reason: str | None
    replies_scanned_at: datetime | None
    created_at: datetime
    updated_at: datetime


class PresetOut(BaseModel):
    key: str
    label: str
    imap: ServerOut
    smtp: ServerOut
    help_url: str


class ProtocolCheck(BaseModel):
    ok: bool
    words: str


class ConnectionTestOut(BaseModel):
    imap: ProtocolCheck
    smtp: ProtocolCheck


class RecordOut(BaseModel):
    found: bool
    ok: bool
    record: str | None
    words: str


class DeliverabilityOut(BaseModel):
    domain: str
    spf: RecordOut
    dkim: RecordOut
    dmarc: RecordOut
    would_fail: bool
    words: str
    override_reason: str | None
    checked_at: datetime


class MailRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: RowId
    kind: MailKind
    batch_id: RowId | None = None
    email_ids: list[RowId] | None = Field(None, min_length=1, max_length=1000)
    dry_run: bool = True
    limit: int | None = Field(None, ge=1, le=10_000)


class RunItemOut(BaseModel):
    email_id: str
    recipient_name: str
    to_address: str | None
    subject: str
    state: str
    reason: str | None = None


class PreviewOut(BaseModel):
    to: str
    subject: str
    body: str


class MailRunOut(BaseModel):
    id: str
    account_id: str
    kind: MailKind
    batch_id: str | None
    dry_run: bool
    status: str
    words: str | None
    limit: int | None
    total: int
    counts: dict[str, int]
    items: list[RunItemOut]
    preview: list[PreviewOut] | None = None
    next_attempt_at: datetime | None
    created_at: datetime
    finished_at: datetime | None


class EmailMailState(BaseModel):
    """What happened to one email in the mailbox (the `mail` field of email and history responses)."""

    drafted_at: datetime | None = None
    sent_at: datetime | None = None
    state: str | None = None
    reason: str | None = None
    replied_at: datetime | None = None
    bounced_at: datetime | None = None
    approved: bool = False


class ScanOut(BaseModel):
    asked: int
    """Drafted or sent emails of the last 90 days the mailbox was asked about."""
    replied: int
    bounced: int


class ApprovalOut(BaseModel):
    email_id: str
    approved: bool
    approved_version: int
    approved_at: datetime
