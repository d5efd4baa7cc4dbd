"""Operator views for users with the admin role: overview, users, per-user drill-down, weekly activity, errors.

The original's shapes and field names are kept; every list is paginated (the original scanned whole tables).
Weekly buckets are computed in Python over one narrow column pair, so the same code runs on SQLite and PostgreSQL.
Dry runs (deployment probes) are left out of every figure: they store no email, and their queue rows are filtered
with `REAL` so a monitor running `scriptorium doctor` does not inflate the counts or the error list. The overview
shows them apart instead, as `dry_runs`: how many ran and what their model calls cost over the retention window
(older rows are being deleted): one more count over the queue rows, like the status counts, and one sum over
usage through its `(dry_run, created_at)` index.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.core.db import utcnow
from scriptorium.core.errors import NotFound
from scriptorium.core.models import User
from scriptorium.core.settings import Settings
from scriptorium.scribe.emails import email_response
from scriptorium.scribe.models import Email, QueueItem, ScribeProfile, Template, Usage
from scriptorium.scribe.queue import queue_item_response
from scriptorium.scribe.schemas import EmailResponse, QueueItemResponse, TemplateResponse
from scriptorium.scribe.templates import template_response
from scriptorium.scribe.usage import token_totals

WEEKS = 12
REAL = QueueItem.dry_run.is_(False)


class DryRunFigures(BaseModel):
    """Probes over the last `days` days, never mixed into the user figures above them."""

    days: int
    runs: int
    failed: int
    input_tokens: int
    output_tokens: int
    cost_usd: float


class AdminOverview(BaseModel):
    total_users: int
    total_emails: int
    success_rate: float
    avg_gen_time_seconds: float
    total_templates: int
    confidence_rate: float
    error_count: int
    emails_this_week: int
    active_users_this_week: int
    needs_review_count: int
    pending_count: int
    processing_count: int
    dry_runs: DryRunFigures


class AdminUserRow(BaseModel):
    id: str
    email: str | None
    display_name: str
    generation_count: int
    template_count: int
    onboarded: bool
    created_at: datetime
    actual_email_count: int
    queue_submissions: int
    failed_count: int
    email_template: str | None
    role: str


class PaginatedEmails(BaseModel):
    items: list[EmailResponse]
    total: int
    page: int
    per_page: int
    pages: int


class AdminActivity(BaseModel):
    week: str
    emails_generated: int
    active_users: int


class AdminError(BaseModel):
    id: str
    user_id: str
    user_email: str | None
    user_display_name: str
    recipient_name: str
    current_step: str | None
    error_message: str | None
    created_at: datetime
    started_at: datetime | None


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0


async def _count(session: AsyncSession, model: Any, *conditions: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0)


async def dry_run_figures(session: AsyncSession, *, settings: Settings) -> DryRunFigures:
    days = settings.scribe_dry_run_retention_days
    since = utcnow() - timedelta(days=days)
    runs, failed = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(case((QueueItem.status == "failed", 1), else_=0)), 0)).where(
                QueueItem.dry_run.is_(True), QueueItem.created_at >= since
            )
        )
    ).one()
    tokens = await token_totals(session, Usage.dry_run.is_(True), Usage.created_at >= since)
    return DryRunFigures(
        days=days,
        runs=int(runs or 0),
        failed=int(failed or 0),
        input_tokens=tokens.input_tokens,
        output_tokens=tokens.output_tokens,
        cost_usd=tokens.cost_usd,
    )


async def overview(session: AsyncSession, *, settings: Settings) -> AdminOverview:
    week_ago = utcnow() - timedelta(days=7)
    rows = await session.execute(select(QueueItem.status, func.count()).where(REAL).group_by(QueueItem.status))
    by_status: dict[str, int] = {str(status): int(n) for status, n in rows}
    finished = sum(by_status.get(s, 0) for s in ("completed", "needs_review", "failed"))
    succeeded = by_status.get("completed", 0) + by_status.get("needs_review", 0)
    durations = (
        await session.execute(
            select(QueueItem.started_at, QueueItem.completed_at).where(
                REAL, QueueItem.status.in_(("completed", "needs_review")), QueueItem.started_at.is_not(None)
            )
        )
    ).all()
    seconds = [(done - start).total_seconds() for start, done in durations if start and done]
    total_emails = await _count(session, Email)
    confident = await _count(session, Email, Email.is_confident.is_(True))
    active = await session.scalar(select(func.count(func.distinct(Email.user_id))).where(Email.created_at >= week_ago))
    return AdminOverview(
        total_users=await _count(session, User),
        total_emails=total_emails,
        success_rate=_pct(succeeded, finished),
        avg_gen_time_seconds=round(sum(seconds) / len(seconds), 2) if seconds else 0.0,
        total_templates=await _count(session, Template),
        confidence_rate=_pct(confident, total_emails),
        error_count=by_status.get("failed", 0),
        emails_this_week=await _count(session, Email, Email.created_at >= week_ago),
        active_users_this_week=int(active or 0),
        needs_review_count=by_status.get("needs_review", 0),
        pending_count=by_status.get("pending", 0),
        processing_count=by_status.get("processing", 0),
        dry_runs=await dry_run_figures(session, settings=settings),
    )


async def users(session: AsyncSession, *, limit: int, offset: int, user_id: str | None = None) -> list[AdminUserRow]:
    """Users with their figures, most generations first; `user_id` narrows it to that one user's row."""
    emails = select(Email.user_id, func.count().label("n")).group_by(Email.user_id).subquery()
    queue = (
        select(
            QueueItem.user_id,
            func.count().label("n"),
            func.sum(case((QueueItem.status == "failed", 1), else_=0)).label("failed"),
        )
        .where(REAL)
        .group_by(QueueItem.user_id)
        .subquery()
    )
    generated = func.coalesce(ScribeProfile.generation_count, 0)
    query = (
        select(User, ScribeProfile, emails.c.n, queue.c.n, queue.c.failed)
        .outerjoin(ScribeProfile, ScribeProfile.user_id == User.id)
        .outerjoin(emails, emails.c.user_id == User.id)
        .outerjoin(queue, queue.c.user_id == User.id)
        .order_by(generated.desc(), User.created_at, User.id)
        .limit(limit)
        .offset(offset)
    )
    rows = await session.execute(query if user_id is None else query.where(User.id == user_id))
    return [
        AdminUserRow(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            generation_count=profile.generation_count if profile else 0,
            template_count=profile.template_count if profile else 0,
            onboarded=profile.onboarded if profile else False,
            created_at=user.created_at,
            actual_email_count=int(n_emails or 0),
            queue_submissions=int(n_queue or 0),
            failed_count=int(n_failed or 0),
            email_template=profile.email_template if profile else None,
            role=user.role,
        )
        for user, profile, n_emails, n_queue, n_failed in rows
    ]


def week_start(moment: datetime) -> str:
    """Monday of the moment's ISO week (the original used PostgreSQL's date_trunc('week'))."""
    return (moment.date() - timedelta(days=moment.weekday())).isoformat()


async def activity(session: AsyncSession) -> list[AdminActivity]:
    since = utcnow() - timedelta(weeks=WEEKS)
    rows = (await session.execute(select(Email.created_at, Email.user_id).where(Email.created_at >= since))).all()
    emails: dict[str, int] = {}
    people: dict[str, set[str]] = {}
    for created_at, user_id in rows:
        week = week_start(created_at)
        emails[week] = emails.get(week, 0) + 1
        people.setdefault(week, set()).add(user_id)
    return [
        AdminActivity(week=week, emails_generated=emails[week], active_users=len(people[week]))
        for week in sorted(emails, reverse=True)
    ]


async def errors(session: AsyncSession, *, limit: int, offset: int) -> list[AdminError]:
    rows = await session.execute(
        select(QueueItem, User)
        .join(User, User.id == QueueItem.user_id)
        .where(REAL, QueueItem.status == "failed")
        .order_by(QueueItem.created_at.desc(), QueueItem.id)
        .limit(limit)
        .offset(offset)
    )
    return [
        AdminError(
            id=item.id,
            user_id=user.id,
            user_email=user.email,
            user_display_name=user.display_name,
            recipient_name=item.recipient_name,
            current_step=item.current_step,
            error_message=item.error_message,
            created_at=item.created_at,
            started_at=item.started_at,
        )
        for item, user in rows
    ]


# --- one user's rows, for the drill-down ------------------------------------------------------------------------
async def existing_user(session: AsyncSession, user_id: str) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    return user


async def user_emails(session: AsyncSession, *, user_id: str, page: int, per_page: int) -> PaginatedEmails:
    """The user's emails, newest first, one page at a time with the total."""
    await existing_user(session, user_id)
    total = int(await session.scalar(select(func.count()).select_from(Email).where(Email.user_id == user_id)) or 0)
    rows = await session.scalars(
        select(Email)
        .where(Email.user_id == user_id)
        .order_by(Email.created_at.desc(), Email.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return PaginatedEmails(
        items=[email_response(e) for e in rows.all()],
        total=total,
        page=page,
        per_page=per_page,
        pages=(total + per_page - 1) // per_page,
    )


async def user_templates(session: AsyncSession, *, user_id: str, limit: int, offset: int) -> list[TemplateResponse]:
    await existing_user(session, user_id)
    rows = await session.scalars(
        select(Template)
        .where(Template.user_id == user_id)
        .order_by(Template.created_at.desc())
        .limit(limit)
        .offset(offset)
    )
    return [template_response(t) for t in rows.all()]


async def user_queue(session: AsyncSession, *, user_id: str, limit: int, offset: int) -> list[QueueItemResponse]:
    """The user's queue items, newest first; probes are not the user's work."""
    await existing_user(session, user_id)
    rows = await session.scalars(
        select(QueueItem)
        .where(QueueItem.user_id == user_id, REAL)
        .order_by(QueueItem.created_at.desc(), QueueItem.id)
        .limit(limit)
        .offset(offset)
    )
    return [queue_item_response(item, None) for item in rows.all()]
