"""The few reads the mail code needs from Scribe's tables, written here against `scribe/models.py` only.

Which emails a run covers (a batch through `Email.queue_item_id` -> `QueueItem.batch_id`, or listed ids), whether
each may be sent (confident, or approved at its current version), and what the mailbox did with each email.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.scribe.mail.schemas import EmailMailState
from scriptorium.scribe.models import Email, MailDelivery, QueueItem, Recipient

SEND_COUNTED = ("sending", "sent", "bounced", "uncertain")
"""Delivery states that reached SMTP (or may have): the rate window and the daily cap count them."""


async def batch_emails(session: AsyncSession, *, user_id: str, batch_id: str) -> list[Email]:
    """The user's displayed emails of one batch, in the order they were queued."""
    rows = await session.scalars(
        select(Email)
        .join(QueueItem, QueueItem.id == Email.queue_item_id)
        .where(Email.user_id == user_id, QueueItem.user_id == user_id, QueueItem.batch_id == batch_id)
        .where(Email.displayed.is_(True))
        .order_by(QueueItem.created_at, QueueItem.id)
    )
    return list(rows)


async def listed_emails(
    session: AsyncSession, *, user_id: str, email_ids: Sequence[str]
) -> tuple[list[Email], list[str]]:
    """The user's emails among `email_ids` (in the order given) and the ids that are missing or someone else's."""
    found = {
        email.id: email
        for email in await session.scalars(select(Email).where(Email.user_id == user_id, Email.id.in_(email_ids)))
    }
    ordered = list(dict.fromkeys(email_ids))
    return [found[i] for i in ordered if i in found], [i for i in ordered if i not in found]


def is_approved(email: Email) -> bool:
    return email.approved_version is not None and email.approved_version == email.version


def is_sendable(email: Email) -> bool:
    """Confident emails, or emails the user approved after review (and has not edited since)."""
    return bool(email.is_confident) or is_approved(email)


async def counted_sends_since(session: AsyncSession, *, account_id: str, since: datetime) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(MailDelivery)
            .where(
                MailDelivery.account_id == account_id,
                MailDelivery.kind == "send",
                MailDelivery.state.in_(SEND_COUNTED),
                MailDelivery.attempted_at >= since,
            )
        )
        or 0
    )


async def attempts_since(session: AsyncSession, *, account_id: str, since: datetime) -> list[datetime]:
    """When each counted send since `since` started, oldest first (the sliding windows are computed from these)."""
    rows = await session.scalars(
        select(MailDelivery.attempted_at)
        .where(
            MailDelivery.account_id == account_id,
            MailDelivery.kind == "send",
            MailDelivery.state.in_(SEND_COUNTED),
            MailDelivery.attempted_at >= since,
        )
        .order_by(MailDelivery.attempted_at)
    )
    return [at for at in rows if at is not None]


async def has_sent(session: AsyncSession, *, account_id: str) -> bool:
    return (
        await session.scalar(
            select(MailDelivery.id)
            .where(MailDelivery.account_id == account_id, MailDelivery.kind == "send")
            .where(MailDelivery.state.in_(SEND_COUNTED))
            .limit(1)
        )
    ) is not None


async def sent_last_day(session: AsyncSession, *, account_id: str, now: datetime) -> int:
    return await counted_sends_since(session, account_id=account_id, since=now - timedelta(days=1))


async def mail_states(session: AsyncSession, *, user_id: str, email_ids: Collection[str]) -> dict[str, EmailMailState]:
    """Each email's mailbox story: latest draft, latest send, and its recipient's reply or bounce."""
    if not email_ids:
        return {}
    states: dict[str, EmailMailState] = {}
    rows = await session.execute(
        select(MailDelivery, Recipient.replied_at, Recipient.bounced_at)
        .join(Email, Email.id == MailDelivery.email_id)
        .outerjoin(Recipient, Recipient.id == Email.recipient_id)
        .where(MailDelivery.user_id == user_id, MailDelivery.email_id.in_(list(email_ids)))
        .order_by(MailDelivery.updated_at)
    )
    for delivery, recipient_replied, recipient_bounced in rows:
        state = states.setdefault(delivery.email_id, EmailMailState())
        if delivery.kind == "draft" and delivery.state == "drafted":
            state.drafted_at = delivery.done_at
        if delivery.kind == "send" and delivery.state in ("sent", "bounced"):
            state.sent_at = delivery.done_at
        if delivery.kind == "send" or state.state is None:
            state.state, state.reason = delivery.state, delivery.reason
        state.replied_at = delivery.replied_at or recipient_replied or state.replied_at
        state.bounced_at = delivery.bounced_at or recipient_bounced or state.bounced_at
    return states
