"""What the draft, send and replies workers share: their dependencies, their outcome, and the run bookkeeping.

The workers take their clock and their transport openers as dependencies, so tests drive them on a fake clock
against the twins, and the job handlers (`jobs.py`) pass the real ones.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scriptorium.core.settings import Settings
from scriptorium.scribe.mail.accounts import mailbox_config
from scriptorium.scribe.mail.imap import Mailbox, open_mailbox
from scriptorium.scribe.mail.limits import Clock, SystemClock
from scriptorium.scribe.mail.message import OutgoingMail, build_message
from scriptorium.scribe.mail.secrets import PasswordUnreadable
from scriptorium.scribe.mail.servers import MailboxConfig, MailServer
from scriptorium.scribe.mail.smtp import Sender, open_sender
from scriptorium.scribe.models import Email, MailAccount, MailDelivery, MailRun

OpenMailbox = Callable[..., AbstractAsyncContextManager[Mailbox]]
OpenSender = Callable[..., AbstractAsyncContextManager[Sender]]
StillOurs = Callable[[], Awaitable[None]]


async def _always_ours() -> None:
    return None


@dataclass
class MailDeps:
    sessionmaker: async_sessionmaker[AsyncSession]
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    open_mailbox: OpenMailbox = open_mailbox
    open_sender: OpenSender = open_sender
    still_ours: StillOurs = _always_ours
    """Raises when this worker lost its job (cancelled, lease taken over): checked before every message."""

    def mailbox(self, server: MailServer) -> AbstractAsyncContextManager[Mailbox]:
        return self.open_mailbox(server, settings=self.settings)

    def sender(self, server: MailServer) -> AbstractAsyncContextManager[Sender]:
        return self.open_sender(server, settings=self.settings)


@dataclass(frozen=True)
class Outcome:
    """How a worker call ended: the run is finished, or paused until `resume_at` (then a new job picks it up)."""

    status: Literal["done", "paused", "failed", "cancelled"]
    resume_at: datetime | None = None


def outgoing(account: MailAccount, email: Email, row: MailDelivery) -> EmailMessage:
    """The RFC 5322 message for one delivery row (same Message-ID on every attempt)."""
    return message_for(account, email, to_address=row.to_address, message_id=row.message_id)


def message_for(account: MailAccount, email: Email, *, to_address: str, message_id: str) -> EmailMessage:
    """The message `email` becomes when sent from `account`; ValueError when the message format refuses it."""
    return build_message(
        OutgoingMail(
            email_id=email.id,
            from_address=account.address,
            from_name=account.display_name,
            to_address=to_address,
            to_name=email.recipient_name,
            subject=email.subject,
            body=email.email_message,
            message_id=message_id,
        )
    )


def unbuildable_words(exc: ValueError) -> str:
    """Why an email cannot become a message (the message builder's refusal), in words for the run's list."""
    return f"This email cannot be put in a message as it is ({exc}). Fix the address or subject and try again."


async def load_run(session: AsyncSession, run_id: str) -> tuple[MailRun, MailAccount] | None:
    run = await session.get(MailRun, run_id, populate_existing=True)
    if run is None:
        return None
    account = await session.get(MailAccount, run.account_id, populate_existing=True)
    if account is None:
        return None
    return run, account


async def start_run(deps: MailDeps, run_id: str) -> Outcome | MailboxConfig:
    """Mark the run running and read its mailbox settings; an `Outcome` instead when it must not or cannot go on
    (gone, already ended, or a password the current SECRET_KEY cannot read: the run fails with words)."""
    async with deps.sessionmaker() as session, session.begin():
        loaded = await load_run(session, run_id)
        if loaded is None:
            return Outcome("cancelled")
        run, account = loaded
        if run.status in ("done", "failed", "cancelled"):
            return Outcome(run.status)  # type: ignore[arg-type]
        run.status, run.words, run.next_attempt_at = "running", None, None
        try:
            return mailbox_config(deps.settings, account)
        except PasswordUnreadable as exc:
            failure = exc.public_message
    return await finish_run(deps, run_id, "failed", failure)


async def next_queued(session: AsyncSession, run_id: str) -> tuple[MailDelivery, Email] | None:
    row = (
        await session.execute(
            select(MailDelivery, Email)
            .join(Email, Email.id == MailDelivery.email_id)
            .where(MailDelivery.run_id == run_id, MailDelivery.state == "queued")
            .order_by(MailDelivery.position, MailDelivery.id)
            .limit(1)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def finish_run(
    deps: MailDeps,
    run_id: str,
    status: Literal["done", "failed", "paused"],
    words: str | None = None,
    resume_at: datetime | None = None,
) -> Outcome:
    async with deps.sessionmaker() as session, session.begin():
        run = await session.get(MailRun, run_id, populate_existing=True)
        if run is None or run.status == "cancelled":
            return Outcome("cancelled")
        run.status, run.words, run.next_attempt_at = status, words, resume_at
        if status != "paused":
            run.finished_at = deps.clock.now()
    return Outcome(status, resume_at)
