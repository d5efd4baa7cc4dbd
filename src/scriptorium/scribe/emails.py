"""Reading and editing a user's emails: history with search and a total, detail with evidence, edits as versions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.core.db import utcnow
from scriptorium.core.errors import NotFound
from scriptorium.scribe.mail.queries import is_approved, mail_states
from scriptorium.scribe.mail.schemas import EmailMailState
from scriptorium.scribe.models import Email, EmailVersion, Source, Usage
from scriptorium.scribe.outage import readable
from scriptorium.scribe.schemas import (
    CheckOut,
    ClaimOut,
    EmailDetail,
    EmailResponse,
    EmailUpdateRequest,
    SourceOut,
    UsageOut,
    VersionOut,
)


async def owned_email(session: AsyncSession, *, user_id: str, email_id: str) -> Email:
    email = await session.get(Email, email_id, populate_existing=True)
    if email is None or email.user_id != user_id:
        raise NotFound("no such email")
    return email


def _search(query: str) -> object:
    pattern = f"%{query.lower().replace('%', '').replace('_', '')}%"
    return or_(
        func.lower(Email.recipient_name).like(pattern),
        func.lower(Email.recipient_interest).like(pattern),
        func.lower(Email.subject).like(pattern),
        func.lower(Email.email_message).like(pattern),
    )


async def list_emails(
    session: AsyncSession,
    *,
    user_id: str,
    limit: int,
    offset: int,
    include_discarded: bool = False,
    q: str | None = None,
    status: str | None = None,
    ids: Sequence[str] | None = None,
    include_review: bool = True,
) -> tuple[list[Email], int]:
    """Newest first, with the total matching count for pagination; `include_review=False` (exports) leaves out
    drafts that need review."""
    conditions = [Email.user_id == user_id]
    if not include_discarded:
        conditions.append(Email.displayed.is_(True))
    if q:
        conditions.append(_search(q))  # type: ignore[arg-type]
    if status:
        conditions.append(Email.status == status)
    if not include_review:
        conditions.append(Email.status != "needs_review")
    if ids is not None:
        conditions.append(Email.id.in_(list(ids)))
    total = await session.scalar(select(func.count()).select_from(Email).where(*conditions))
    rows = await session.scalars(
        select(Email).where(*conditions).order_by(Email.created_at.desc(), Email.id).limit(limit).offset(offset)
    )
    return list(rows.all()), int(total or 0)


def email_response(email: Email, mail: EmailMailState | None = None) -> EmailResponse:
    """The email as the API shows it; `mail` (from `scribe.mail.queries.mail_states`) says what its mailbox did."""
    return EmailResponse(
        id=email.id,
        user_id=email.user_id,
        recipient_name=email.recipient_name,
        recipient_interest=email.recipient_interest,
        email_message=email.email_message,
        template_type=email.template_type,
        metadata=email.email_metadata or {},
        is_confident=email.is_confident,
        displayed=email.displayed,
        created_at=email.created_at,
        subject=email.subject,
        status=email.status,
        recipient_email=email.recipient_email,
        review_reasons=[str(r) for r in email.review_reasons or []],
        checks=[CheckOut.model_validate(c) for c in email.checks or []],
        claims=[ClaimOut.model_validate(c) for c in email.claims or []],
        composer=email.composer,
        version=email.version,
        queue_item_id=email.queue_item_id,
        updated_at=email.updated_at,
        mail=(mail or EmailMailState()).model_copy(update={"approved": is_approved(email)}),
    )


async def sources_of(session: AsyncSession, email: Email) -> list[Source]:
    rows = await session.scalars(
        select(Source)
        .where(Source.email_id == email.id, Source.generation == email.generation)
        .order_by(Source.source_key)
    )
    return list(rows.all())


async def detail(session: AsyncSession, email: Email) -> EmailDetail:
    versions = await session.scalars(
        select(EmailVersion).where(EmailVersion.email_id == email.id).order_by(EmailVersion.version)
    )
    usage = await session.scalars(select(Usage).where(Usage.email_id == email.id).order_by(Usage.created_at))
    mail = (await mail_states(session, user_id=email.user_id, email_ids=[email.id])).get(email.id)
    return EmailDetail(
        **email_response(email, mail).model_dump(),
        sources=[SourceOut.model_validate(s) for s in await sources_of(session, email)],
        versions=[VersionOut.model_validate(v) for v in versions.all()],
        usage=[UsageOut.model_validate(u) for u in usage.all()],
        research_notes=[readable(note) for note in (email.email_metadata or {}).get("evidence_notes") or []],
    )


async def update_email(session: AsyncSession, *, email: Email, change: EmailUpdateRequest) -> Email:
    """Discard/restore, and edit subject or body; an edit becomes a new version and keeps the previous one."""
    if change.displayed is not None:
        email.displayed = change.displayed
    edited = (change.subject is not None and change.subject != email.subject) or (
        change.email_message is not None and change.email_message != email.email_message
    )
    if edited:
        email.subject = change.subject if change.subject is not None else email.subject
        email.email_message = change.email_message if change.email_message is not None else email.email_message
        _new_version(session, email, kind="edited")
    email.updated_at = utcnow()
    await session.flush()
    return email


def _new_version(session: AsyncSession, email: Email, *, kind: str) -> None:
    """Record the email's current text as its next version (every text it has had stays in the versions)."""
    email.version += 1
    session.add(email.snapshot(kind))


async def restore_version(session: AsyncSession, *, email: Email, version: int) -> Email:
    """Bring back an earlier text as the newest version (kind `restored`); nothing in between is lost."""
    old = await session.scalar(
        select(EmailVersion).where(EmailVersion.email_id == email.id, EmailVersion.version == version)
    )
    if old is None:
        raise NotFound("no such version")
    email.subject = old.subject
    email.email_message = old.body
    email.claims = list(old.claims or [])
    _new_version(session, email, kind="restored")
    email.updated_at = utcnow()
    await session.flush()
    return email


async def current_sources(session: AsyncSession, emails: Sequence[Email]) -> dict[str, list[Source]]:
    """Each email's sources from its current generation (earlier runs' sources stay stored but are not shown)."""
    sources: dict[str, list[Source]] = {}
    if not emails:
        return sources
    rows = await session.scalars(select(Source).where(Source.email_id.in_([e.id for e in emails])))
    generation = {e.id: e.generation for e in emails}
    for source in rows:
        if source.generation == generation[source.email_id]:
            sources.setdefault(source.email_id, []).append(source)
    return sources
