"""Scribe's tables: who is writing, to whom, what was queued, what was written and what backs each claim.

Every row is owned by a core `users.id`; API queries always filter on it, so another user's row looks missing.
Emails snapshot the recipient's name and interest (the original's field names) so history survives edits to the
recipient; the `scribe_recipients` row carries the normalized key used to warn before emailing someone twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from scriptorium.core.db import Base, UTCDateTime, new_id, utcnow
from scriptorium.core.jobs.models import Job
from scriptorium.core.models import User

QueueStatus = Literal["pending", "processing", "completed", "needs_review", "failed", "cancelled"]
QUEUE_STATUSES: tuple[str, ...] = ("pending", "processing", "completed", "needs_review", "failed", "cancelled")
ACTIVE_STATUSES: tuple[str, ...] = ("pending", "processing")
DONE_STATUSES: tuple[str, ...] = ("completed", "needs_review")
TemplateType = Literal["research", "book", "general"]
TEMPLATE_TYPES: tuple[str, ...] = ("research", "book", "general")

# Column objects, not strings: a worker process that never imports the auth code still knows these tables.
USER_FK = User.__table__.c.id
JOB_FK = Job.__table__.c.id


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


class ScribeProfile(Base):
    """Scribe's per-user state: onboarding, the saved working template and counters (keyed by users.id)."""

    __tablename__ = "scribe_profiles"

    user_id: Mapped[str] = mapped_column(String(32), ForeignKey(USER_FK, ondelete="CASCADE"), primary_key=True)
    onboarded: Mapped[bool] = mapped_column(Boolean, default=False)
    email_template: Mapped[str | None] = mapped_column(Text)
    generation_count: Mapped[int] = mapped_column(Integer, default=0)
    template_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Template(Base):
    """A reusable email template, written by hand or generated from a résumé."""

    __tablename__ = "scribe_templates"
    __table_args__ = (Index("ix_scribe_templates_user_id_created_at", "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(32), ForeignKey(USER_FK, ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200), default="")
    template_text: Mapped[str] = mapped_column(Text)
    template_type: Mapped[str | None] = mapped_column(String(20))
    origin: Mapped[str] = mapped_column(String(20), default="manual")
    pdf_url: Mapped[str | None] = mapped_column(String(500))
    resume_filename: Mapped[str | None] = mapped_column(String(255))
    user_instructions: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Recipient(Base):
    """A person a user writes to; `dedupe_key` (email, else normalized name) is unique per user.

    `name_key` is the normalized name even when an email address is known, so "Dr. Ada Lovelace" typed once
    with and once without an address is still recognised as the same person when warning about duplicates.
    """

    __tablename__ = "scribe_recipients"
    __table_args__ = (
        UniqueConstraint("user_id", "dedupe_key", name="uq_scribe_recipients_user_id_dedupe_key"),
        Index("ix_scribe_recipients_user_id_name_key", "user_id", "name_key"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(32), ForeignKey(USER_FK, ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    interest: Mapped[str] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(320))
    institution: Mapped[str | None] = mapped_column(String(255))
    profile_urls: Mapped[list[Any]] = mapped_column(JSON, default=list)
    dedupe_key: Mapped[str] = mapped_column(String(400))
    name_key: Mapped[str] = mapped_column(String(300))
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When a reply to a drafted or sent email was found in the mailbox (`scribe/mail/replies.py`)."""
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When a bounce for a sent email was found: the address did not take mail."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class QueueItem(Base):
    """One requested email: its inputs (snapshotted), its progress, and the core job that runs it.

    A `dry_run` item (a deployment probe such as `scriptorium doctor`'s) runs through the same queue and worker but
    has no recipient row, never becomes an email, and is left out of quota, history, the queue view and admin
    statistics; the CHECK keeps every other item tied to a recipient.
    """

    __tablename__ = "scribe_queue_items"
    __table_args__ = (
        Index("ix_scribe_queue_items_user_id_created_at", "user_id", "created_at"),
        Index("ix_scribe_queue_items_status_created_at", "status", "created_at"),
        Index("ix_scribe_queue_items_recipient_id", "recipient_id"),
        Index("ix_scribe_queue_items_batch_id", "batch_id"),
        Index("ix_scribe_queue_items_job_id", "job_id", unique=True),
        CheckConstraint(f"status IN ({_quoted(QUEUE_STATUSES)})", name="status"),
        CheckConstraint("dry_run OR recipient_id IS NOT NULL", name="recipient"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(32), ForeignKey(USER_FK, ondelete="CASCADE"))
    job_id: Mapped[str] = mapped_column(String(32), ForeignKey(JOB_FK, ondelete="CASCADE"))
    recipient_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("scribe_recipients.id", ondelete="CASCADE"))
    template_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("scribe_templates.id", ondelete="SET NULL"))
    target_email_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("scribe_emails.id", ondelete="SET NULL"))
    batch_id: Mapped[str | None] = mapped_column(String(32))
    origin: Mapped[str] = mapped_column(String(20), default="single")
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    recipient_name: Mapped[str] = mapped_column(String(255))
    recipient_interest: Mapped[str] = mapped_column(String(500))
    email_template: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    current_step: Mapped[str | None] = mapped_column(String(50))
    step_timings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    step_results: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """Finished steps of the running attempts (`pipeline/resume.py`), so a retry resumes; cleared when it ends."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error_message: Mapped[str | None] = mapped_column(Text)
    email_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("scribe_emails.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Email(Base):
    """A generated email and its verdict; `claims` name the source ids that back each personal fact."""

    __tablename__ = "scribe_emails"
    __table_args__ = (
        Index("ix_scribe_emails_user_id_created_at", "user_id", "created_at"),
        Index("ix_scribe_emails_user_id_displayed", "user_id", "displayed"),
        Index("ix_scribe_emails_recipient_id", "recipient_id"),
        Index("ix_scribe_emails_queue_item_id", "queue_item_id", unique=True),
        CheckConstraint(f"status IN ({_quoted(DONE_STATUSES)})", name="status"),
        CheckConstraint(f"template_type IN ({_quoted(TEMPLATE_TYPES)})", name="template_type"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(32), ForeignKey(USER_FK, ondelete="CASCADE"))
    recipient_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("scribe_recipients.id", ondelete="SET NULL")
    )
    queue_item_id: Mapped[str | None] = mapped_column(String(32))
    recipient_name: Mapped[str] = mapped_column(String(255))
    recipient_interest: Mapped[str] = mapped_column(String(500))
    recipient_email: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300), default="")
    email_message: Mapped[str] = mapped_column(Text)
    template_type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="completed")
    is_confident: Mapped[bool] = mapped_column(Boolean, default=False)
    review_reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    checks: Mapped[list[Any]] = mapped_column(JSON, default=list)
    claims: Mapped[list[Any]] = mapped_column(JSON, default=list)
    email_metadata: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    composer: Mapped[str] = mapped_column(String(20), default="offline")
    displayed: Mapped[bool] = mapped_column(Boolean, default=True)
    generation: Mapped[int] = mapped_column(Integer, default=1)
    version: Mapped[int] = mapped_column(Integer, default=1)
    approved_version: Mapped[int | None] = mapped_column(Integer)
    """The `version` the user approved after review; an edit since then needs a new approval to be sent."""
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def snapshot(self, kind: str) -> EmailVersion:
        """The email's current text as version `self.version` (every text an email has had stays in its versions)."""
        return EmailVersion(
            email_id=self.id,
            version=self.version,
            kind=kind,
            subject=self.subject,
            body=self.email_message,
            claims=self.claims,
        )


class EmailVersion(Base):
    """Every text an email has had (generated, edited, regenerated), so an edit never loses the previous one."""

    __tablename__ = "scribe_email_versions"
    __table_args__ = (UniqueConstraint("email_id", "version", name="uq_scribe_email_versions_email_id_version"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email_id: Mapped[str] = mapped_column(String(32), ForeignKey("scribe_emails.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    claims: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Source(Base):
    """Where a fact came from: a URL or an API record, when it was retrieved and the excerpt actually used."""

    __tablename__ = "scribe_sources"
    __table_args__ = (Index("ix_scribe_sources_email_id_generation", "email_id", "generation"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email_id: Mapped[str] = mapped_column(String(32), ForeignKey("scribe_emails.id", ondelete="CASCADE"))
    generation: Mapped[int] = mapped_column(Integer, default=1)
    source_key: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    url: Mapped[str | None] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(String(1000), default="")
    excerpt: Mapped[str] = mapped_column(Text, default="")
    retrieved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Usage(Base):
    """LLM tokens and estimated cost for one pipeline run: of one email, or of one dry run.

    A dry run's rows have no email (`email_id` NULL, `dry_run` true; a CHECK keeps every other row tied to an
    email) and are left out of the user's usage totals; they are deleted with their queue item by retention
    (`scribe.retention`). `queue_item_id` names the run that spent the tokens (NULL on rows from before s003).
    """

    __tablename__ = "scribe_usage"
    __table_args__ = (
        Index("ix_scribe_usage_email_id", "email_id"),
        Index("ix_scribe_usage_user_id_created_at", "user_id", "created_at"),
        Index("ix_scribe_usage_queue_item_id", "queue_item_id"),
        Index("ix_scribe_usage_dry_run_created_at", "dry_run", "created_at"),
        CheckConstraint("dry_run OR email_id IS NOT NULL", name="email"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("scribe_emails.id", ondelete="CASCADE"))
    queue_item_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("scribe_queue_items.id", ondelete="CASCADE")
    )
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    user_id: Mapped[str] = mapped_column(String(32), ForeignKey(USER_FK, ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(20), default="")
    model: Mapped[str] = mapped_column(String(200), default="")
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- mail (issue 14): accounts, runs and one delivery row per email, account and kind --------------------------
MAIL_TLS_MODES: tuple[str, ...] = ("ssl", "starttls", "none")
MAIL_KINDS: tuple[str, ...] = ("draft", "send")
DELIVERY_STATES: tuple[str, ...] = ("queued", "sending", "sent", "drafted", "failed", "bounced", "uncertain", "skipped")
RUN_STATUSES: tuple[str, ...] = ("queued", "running", "paused", "done", "failed", "cancelled")


class MailAccount(Base):
    """A user's mailbox: IMAP for drafts and replies, SMTP for sending, and the limits sending obeys.

    The one password (an app password, used for both protocols) is stored encrypted (`scribe/mail/secrets.py`).
    Sending stays off until the user turns it on; the limits are per account and counted from `MailDelivery`.
    """

    __tablename__ = "scribe_mail_accounts"
    __table_args__ = (
        Index("ix_scribe_mail_accounts_user_id", "user_id"),
        CheckConstraint(f"imap_tls IN ({_quoted(MAIL_TLS_MODES)})", name="imap_tls"),
        CheckConstraint(f"smtp_tls IN ({_quoted(MAIL_TLS_MODES)})", name="smtp_tls"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(32), ForeignKey(USER_FK, ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    imap_host: Mapped[str] = mapped_column(String(255))
    imap_port: Mapped[int] = mapped_column(Integer)
    imap_tls: Mapped[str] = mapped_column(String(10))
    imap_username: Mapped[str] = mapped_column(String(320))
    smtp_host: Mapped[str] = mapped_column(String(255))
    smtp_port: Mapped[int] = mapped_column(Integer)
    smtp_tls: Mapped[str] = mapped_column(String(10))
    smtp_username: Mapped[str] = mapped_column(String(320))
    password_ciphertext: Mapped[str] = mapped_column(Text)
    sending_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    rate_per_minute: Mapped[int] = mapped_column(Integer, default=5)
    daily_cap: Mapped[int] = mapped_column(Integer, default=50)
    first_send_limit: Mapped[int] = mapped_column(Integer, default=1)
    dkim_selector: Mapped[str | None] = mapped_column(String(100))
    deliverability: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The last deliverability report for the address's domain (what the API returned)."""
    deliverability_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deliverability_override_reason: Mapped[str | None] = mapped_column(Text)
    replies_scanned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MailRun(Base):
    """One request to draft or send a selection of emails: its limit, status and the job that works it.

    A dry run is stored too (status `done` at once, nothing in the mailbox): a real send needs one for the same
    emails first, and `email_ids` is the selection both are compared by.
    """

    __tablename__ = "scribe_mail_runs"
    __table_args__ = (
        Index("ix_scribe_mail_runs_user_id_created_at", "user_id", "created_at"),
        Index("ix_scribe_mail_runs_account_id", "account_id"),
        CheckConstraint(f"kind IN ({_quoted(MAIL_KINDS)})", name="kind"),
        CheckConstraint(f"status IN ({_quoted(RUN_STATUSES)})", name="status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(32), ForeignKey(USER_FK, ondelete="CASCADE"))
    account_id: Mapped[str] = mapped_column(String(32), ForeignKey("scribe_mail_accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    batch_id: Mapped[str | None] = mapped_column(String(32))
    email_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    skipped: Mapped[list[Any]] = mapped_column(JSON, default=list)
    """The selected emails this run leaves out and why: `[{"email_id", "reason"}]`."""
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    limit: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    words: Mapped[str | None] = mapped_column(Text)
    """Why the run is paused or failed, in a sentence for the user."""
    job_id: Mapped[str | None] = mapped_column(String(32))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MailDelivery(Base):
    """One email's way into one mailbox as a draft or a sent message; the row that makes it happen at most once.

    A send row is committed as `sending` (with its Message-ID) before SMTP is spoken to, so a worker killed at any
    moment leaves a row a resume can check against the Sent folder instead of sending again.
    """

    __tablename__ = "scribe_mail_deliveries"
    __table_args__ = (
        UniqueConstraint("account_id", "email_id", "kind", name="uq_scribe_mail_deliveries_account_email_kind"),
        Index("ix_scribe_mail_deliveries_run_id_position", "run_id", "position"),
        Index("ix_scribe_mail_deliveries_email_id", "email_id"),
        Index("ix_scribe_mail_deliveries_account_id_attempted_at", "account_id", "attempted_at"),
        CheckConstraint(f"kind IN ({_quoted(MAIL_KINDS)})", name="kind"),
        CheckConstraint(f"state IN ({_quoted(DELIVERY_STATES)})", name="state"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(32), ForeignKey(USER_FK, ondelete="CASCADE"))
    account_id: Mapped[str] = mapped_column(String(32), ForeignKey("scribe_mail_accounts.id", ondelete="CASCADE"))
    email_id: Mapped[str] = mapped_column(String(32), ForeignKey("scribe_emails.id", ondelete="CASCADE"))
    run_id: Mapped[str | None] = mapped_column(String(32), ForeignKey("scribe_mail_runs.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(20), default="queued")
    message_id: Mapped[str] = mapped_column(String(300))
    to_address: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str | None] = mapped_column(Text)
    permanent: Mapped[bool] = mapped_column(Boolean, default=False)
    """A failure no retry can fix (the server refused the recipient): a later run leaves it alone."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When SMTP was last started for it: the sliding-window rate and the daily cap count these."""
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
