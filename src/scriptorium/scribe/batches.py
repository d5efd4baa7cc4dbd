"""A batch under review: its emails in submission order (to step through), and a research outage said once.

An email belongs to the batch its first queue item was submitted in (`Email.queue_item_id` → `QueueItem.batch_id`);
regenerations never change that, so stepping through a batch keeps its order while emails are rewritten. A
research outage (see `outage`) is gathered over the batch's emails that need review, so four emails that failed
for the same reason say it once, and one call retries them all through the ordinary regenerate path.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.core.errors import Conflict, NotFound, ValidationFailed
from scriptorium.core.settings import Settings
from scriptorium.scribe import outage
from scriptorium.scribe.emails import owned_email
from scriptorium.scribe.models import ACTIVE_STATUSES, Email, QueueItem
from scriptorium.scribe.schemas_review import (
    BatchEmail,
    BatchReview,
    Outage,
    OutageRetryResponse,
    RetryQueued,
    RetrySkipped,
)
from scriptorium.scribe.submit import EditWouldBeReplaced, regenerate


def _unreachable(email: Email) -> list[str]:
    return outage.unreachable((email.email_metadata or {}).get("evidence_notes") or [])


async def _batch_emails(session: AsyncSession, *, user_id: str, batch_id: str) -> list[Email]:
    rows = await session.scalars(
        select(Email)
        .join(QueueItem, QueueItem.id == Email.queue_item_id)
        .where(Email.user_id == user_id, QueueItem.user_id == user_id, QueueItem.batch_id == batch_id)
        .order_by(QueueItem.created_at, QueueItem.id)
        .execution_options(populate_existing=True)
    )
    return list(rows.all())


async def _counts(session: AsyncSession, *, user_id: str, batch_id: str) -> dict[str, int]:
    rows = await session.execute(
        select(QueueItem.status, func.count())
        .where(QueueItem.user_id == user_id, QueueItem.batch_id == batch_id, QueueItem.dry_run.is_(False))
        .group_by(QueueItem.status)
    )
    return {str(status): int(count) for status, count in rows.all()}


async def _regenerating(session: AsyncSession, email_ids: Sequence[str]) -> set[str]:
    if not email_ids:
        return set()
    rows = await session.scalars(
        select(QueueItem.target_email_id).where(
            QueueItem.target_email_id.in_(list(email_ids)), QueueItem.status.in_(ACTIVE_STATUSES)
        )
    )
    return {str(email_id) for email_id in rows.all()}


def find_outage(emails: Sequence[Email]) -> Outage | None:
    """The sources unreachable for the batch's emails that need review, or None when research went fine."""
    roles: list[str] = []
    affected: list[str] = []
    for email in emails:
        if email.status != "needs_review" or not email.displayed:
            continue
        missing = _unreachable(email)
        if missing:
            affected.append(email.id)
            roles.extend(role for role in missing if role not in roles)
    if not affected:
        return None
    roles.sort(key=outage.rank)
    count = f"{len(affected)} email{'s' if len(affected) != 1 else ''}"
    return Outage(
        sources=roles,
        labels=[outage.label(role) for role in roles],
        message=f"{outage.sentence(roles)} for {count} in this batch.",
        email_ids=affected,
    )


async def review(
    session: AsyncSession, *, user_id: str, batch_id: str, current_email_id: str | None = None
) -> BatchReview:
    """The batch's emails in submission order (discarded ones left out, unless it is the one asked about)."""
    emails = [
        email
        for email in await _batch_emails(session, user_id=user_id, batch_id=batch_id)
        if email.displayed or email.id == current_email_id
    ]
    counts = await _counts(session, user_id=user_id, batch_id=batch_id)
    if not emails and not counts:
        raise NotFound("no such batch")
    busy = await _regenerating(session, [email.id for email in emails])
    ids = [email.id for email in emails]
    position = ids.index(current_email_id) if current_email_id in ids else None
    return BatchReview(
        batch_id=batch_id,
        emails=[
            BatchEmail(
                id=email.id,
                recipient_name=email.recipient_name,
                status=email.status,
                is_confident=email.is_confident,
                review_reasons=[str(reason) for reason in email.review_reasons or []],
                unreachable=_unreachable(email),
                regenerating=email.id in busy,
            )
            for email in emails
        ],
        position=position,
        previous_id=ids[position - 1] if position else None,
        next_id=ids[position + 1] if position is not None and position + 1 < len(ids) else None,
        pending=sum(counts.get(status, 0) for status in ACTIVE_STATUSES),
        failed=counts.get("failed", 0),
        outage=find_outage(emails),
    )


async def batch_of(session: AsyncSession, *, user_id: str, email_id: str) -> str:
    """The batch an email was first submitted in; 404 for another user's email or one with no batch."""
    email = await owned_email(session, user_id=user_id, email_id=email_id)
    batch_id = await session.scalar(
        select(QueueItem.batch_id).where(QueueItem.id == email.queue_item_id, QueueItem.user_id == user_id)
    )
    if not batch_id:
        raise NotFound("this email was not written as part of a batch")
    return str(batch_id)


async def retry_unreachable(
    session: AsyncSession, *, settings: Settings, user_id: str, batch_id: str
) -> tuple[OutageRetryResponse, int]:
    """Regenerate every email of the outage; returns the answer and how many jobs to ring the queue for.

    An email whose current text is the user's edit, or that is already being regenerated, is skipped and named:
    a bulk retry must never replace someone's words without asking. A quota refusal refuses the whole retry (the
    caller commits all of it or none).
    """
    found = find_outage(await _batch_emails(session, user_id=user_id, batch_id=batch_id))
    if found is None:
        if not await _counts(session, user_id=user_id, batch_id=batch_id):
            raise NotFound("no such batch")
        return OutageRetryResponse(queued=[], skipped=[], message="Nothing to retry: every source was reached."), 0
    queued: list[RetryQueued] = []
    skipped: list[RetrySkipped] = []
    for email_id in found.email_ids:
        try:
            item = await regenerate(session, settings=settings, user_id=user_id, email_id=email_id, batch_id=batch_id)
        except EditWouldBeReplaced:
            skipped.append(RetrySkipped(email_id=email_id, reason="it holds your edit; regenerate it from its page"))
        except Conflict:
            skipped.append(RetrySkipped(email_id=email_id, reason="it is already being regenerated"))
        except ValidationFailed as exc:
            skipped.append(RetrySkipped(email_id=email_id, reason=exc.public_message))
        else:
            queued.append(RetryQueued(email_id=email_id, task_id=item.id))
    message = f"Retrying {len(queued)} email{'s' if len(queued) != 1 else ''}"
    if skipped:
        message += f"; {len(skipped)} skipped"
    return OutageRetryResponse(queued=queued, skipped=skipped, message=message + "."), len(queued)
