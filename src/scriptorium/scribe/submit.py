"""Submitting work: single emails, batches and regenerations become queue items plus core jobs, atomically.

Every function here adds rows to the caller's session and never commits: the API and the CLI commit once, so
each queue item and its job exist together or not at all (the original committed rows, then dispatched tasks one
by one, and a broker hiccup left orphans). After the commit the caller rings the queue with `notify`.

A dry run (`dry_run=True`) is queued the same way but touches none of the user's data: no recipient row is created
or refreshed, no profile is created, and it is checked against the dry-run cap instead of the email quota. Its
submission also deletes the user's expired dry runs (`retention.prune_dry_runs`), in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.core.db import new_id, utcnow
from scriptorium.core.errors import Conflict, NotFound, ValidationFailed
from scriptorium.core.jobs import submit
from scriptorium.core.settings import Settings
from scriptorium.scribe.jobs import JOB_KIND
from scriptorium.scribe.models import Email, EmailVersion, QueueItem, Recipient
from scriptorium.scribe.pipeline import validate_template
from scriptorium.scribe.profiles import get_profile
from scriptorium.scribe.quota import reserve_dry_runs, reserve_emails
from scriptorium.scribe.recipients import find_duplicates, upsert_recipient
from scriptorium.scribe.retention import prune_dry_runs
from scriptorium.scribe.schemas import BatchItem, DuplicateFlag
from scriptorium.scribe.templates import owned_template

# Version kinds written by a person: regenerating over one of these asks first.
MANUAL_KINDS: tuple[str, ...] = ("edited", "restored")


class EditWouldBeReplaced(Conflict):
    """Regenerating would replace the user's own text; the client asks, then sends `confirm_replace_edit=true`."""

    code = "edit_would_be_replaced"


@dataclass
class Submission:
    """What a submission created, plus the warnings the caller should show."""

    batch_id: str
    items: list[QueueItem] = field(default_factory=list)
    duplicates: list[DuplicateFlag] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


async def resolve_template(
    session: AsyncSession, *, user_id: str, template_text: str | None, template_id: str | None
) -> tuple[str, str | None]:
    """The template text to use (validated 20–5,000 characters) and the saved template it came from."""
    if template_text is None:
        template = await owned_template(session, user_id=user_id, template_id=template_id or "")
        template_text = template.template_text
    try:
        return validate_template(template_text), template_id
    except ValidationFailed as exc:
        raise ValidationFailed(
            exc.public_message.replace("template", "email_template", 1), field="email_template"
        ) from None


async def submit_items(
    session: AsyncSession,
    *,
    settings: Settings,
    user_id: str,
    items: Sequence[BatchItem],
    template_text: str | None,
    template_id: str | None = None,
    origin: str = "batch",
    skip_duplicates: bool = False,
    dry_run: bool = False,
) -> Submission:
    """Queue one email per item with one shared template; raises before writing anything when input is bad."""
    if len(items) > settings.scribe_batch_max:
        raise ValidationFailed(
            f"a batch holds at most {settings.scribe_batch_max} recipients (got {len(items)})", field="items"
        )
    text, template_id = await resolve_template(
        session, user_id=user_id, template_text=template_text, template_id=template_id
    )
    submission = Submission(batch_id=new_id())
    submission.duplicates = await find_duplicates(
        session, user_id=user_id, items=items, days=settings.scribe_dedupe_days
    )
    if skip_duplicates:
        submission.skipped = sorted({flag.index for flag in submission.duplicates})
    chosen = [item for index, item in enumerate(items) if index not in set(submission.skipped)]
    if dry_run:
        await prune_dry_runs(session, settings=settings, user_id=user_id)  # retention, in this same transaction
        await reserve_dry_runs(session, user_id=user_id, count=len(chosen))
    else:
        await reserve_emails(session, settings=settings, user_id=user_id, count=len(chosen))
        await get_profile(session, user_id=user_id)
    cache: dict[str, Recipient] = {}
    for item in chosen:
        recipient = None if dry_run else await upsert_recipient(session, user_id=user_id, item=item, cache=cache)
        submission.items.append(
            await enqueue(
                session,
                settings=settings,
                user_id=user_id,
                recipient=recipient,
                recipient_name=item.recipient_name,
                recipient_interest=item.recipient_interest,
                template_text=text,
                template_id=template_id,
                batch_id=submission.batch_id,
                origin=origin,
                dry_run=dry_run,
            )
        )
    await session.flush()
    return submission


async def enqueue(
    session: AsyncSession,
    *,
    settings: Settings,
    user_id: str,
    recipient: Recipient | None,
    recipient_name: str,
    recipient_interest: str,
    template_text: str,
    template_id: str | None,
    batch_id: str | None,
    origin: str,
    target_email_id: str | None = None,
    dry_run: bool = False,
) -> QueueItem:
    """Add one queue item and its job to the session; the job's payload names only the item.

    The name and interest are snapshotted as submitted; `recipient` is None only for a dry run. The job and
    recipient rows are flushed first: the tables have no ORM relationships, so the session would not otherwise
    know to insert them before the queue item that references them.
    """
    if recipient is None and not dry_run:
        raise ValueError("only a dry run may be queued without a recipient")
    item_id = new_id()
    job = submit(
        session,
        kind=JOB_KIND,
        payload={"queue_item_id": item_id},
        fair_key=user_id,
        max_attempts=settings.job_max_attempts,
        job_id=new_id(),
    )
    await session.flush()
    item = QueueItem(
        id=item_id,
        user_id=user_id,
        job_id=job.id,
        recipient_id=recipient.id if recipient is not None else None,
        template_id=template_id,
        target_email_id=target_email_id,
        batch_id=batch_id,
        origin=origin,
        dry_run=dry_run,
        recipient_name=recipient_name,
        recipient_interest=recipient_interest,
        email_template=template_text,
        status="pending",
        step_timings={},
        created_at=utcnow(),
    )
    session.add(item)
    return item


async def current_kind(session: AsyncSession, email: Email) -> str | None:
    """How the email's current text came to be: generated, regenerated, edited, restored, ..."""
    return await session.scalar(
        select(EmailVersion.kind).where(EmailVersion.email_id == email.id, EmailVersion.version == email.version)
    )


async def regenerate(
    session: AsyncSession,
    *,
    settings: Settings,
    user_id: str,
    email_id: str,
    confirm_replace_edit: bool = False,
    batch_id: str | None = None,
) -> QueueItem:
    """Queue a fresh run for an existing email; on success it becomes the email's next version.

    When the current text is the user's own edit, nothing is queued unless `confirm_replace_edit` says they agreed:
    the edit would stay in the versions list, but silently moving a person's words out of the way is the bug this
    guards against.
    """
    email = await session.get(Email, email_id)
    if email is None or email.user_id != user_id:
        raise NotFound("no such email")
    if not confirm_replace_edit and await current_kind(session, email) in MANUAL_KINDS:
        raise EditWouldBeReplaced(
            "this email's current text is your edit; regenerating replaces it (the edit stays in the versions). "
            "Send confirm_replace_edit=true to go ahead"
        )
    active = await session.scalar(
        select(QueueItem.id).where(
            QueueItem.target_email_id == email.id, QueueItem.status.in_(("pending", "processing"))
        )
    )
    if active is not None:
        raise Conflict("this email is already being regenerated; wait for that run or cancel it")
    source_item = await session.get(QueueItem, email.queue_item_id) if email.queue_item_id else None
    recipient = await session.get(Recipient, email.recipient_id) if email.recipient_id else None
    if source_item is None or recipient is None:
        raise ValidationFailed("this email has no stored template or recipient to regenerate from", field="email_id")
    await reserve_emails(session, settings=settings, user_id=user_id, count=1)
    item = await enqueue(
        session,
        settings=settings,
        user_id=user_id,
        recipient=recipient,
        recipient_name=recipient.name,
        recipient_interest=recipient.interest,
        template_text=source_item.email_template,
        template_id=source_item.template_id,
        batch_id=batch_id,
        origin="regenerate",
        target_email_id=email.id,
    )
    await session.flush()
    return item
