"""Per-user daily limits: emails queued (SCRIBE_DAILY_QUOTA) and résumé templates (SCRIBE_RESUME_UPLOADS_PER_DAY).

Days are UTC calendar days, so `Retry-After` is simply the time to the next UTC midnight and the UI can say
"resets at 00:00 UTC". Cancelled items do not count: they never cost anything.

Dry runs (deployment probes, see `GenerateEmailRequest.dry_run`) never count against the email quota and are
accepted when it is used up: a health check must neither eat a user's allowance nor fail because of it. They
still call the chat model, so they have their own small daily cap (`DRY_RUNS_PER_DAY`, every dry run started
that day, cancelled or not), which bounds what a token holder can spend on them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.core.db import utcnow
from scriptorium.core.errors import RateLimited
from scriptorium.core.settings import Settings
from scriptorium.scribe.models import QueueItem, Template

DRY_RUNS_PER_DAY = 50
"""Generous for `scriptorium doctor` by hand or from a monitor every 30 minutes; a cap on spend, not an allowance."""


@dataclass(frozen=True)
class Quota:
    daily_limit: int
    used_today: int
    resets_at: datetime

    @property
    def remaining(self) -> int | None:
        """None when unlimited (SCRIBE_DAILY_QUOTA=0)."""
        if self.daily_limit == 0:
            return None
        return max(0, self.daily_limit - self.used_today)


def day_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    """Start of today and start of tomorrow, in UTC."""
    now = now or utcnow()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def seconds_until(moment: datetime, now: datetime | None = None) -> int:
    return max(1, math.ceil((moment - (now or utcnow())).total_seconds()))


async def email_quota(session: AsyncSession, *, settings: Settings, user_id: str) -> Quota:
    start, end = day_window()
    used = await session.scalar(
        select(func.count())
        .select_from(QueueItem)
        .where(
            QueueItem.user_id == user_id,
            QueueItem.created_at >= start,
            QueueItem.status != "cancelled",
            QueueItem.dry_run.is_(False),
        )
    )
    return Quota(daily_limit=settings.scribe_daily_quota, used_today=int(used or 0), resets_at=end)


async def reserve_emails(session: AsyncSession, *, settings: Settings, user_id: str, count: int) -> None:
    """Raise RateLimited when `count` more emails would exceed today's quota."""
    quota = await email_quota(session, settings=settings, user_id=user_id)
    remaining = quota.remaining
    if remaining is None or count <= remaining:
        return
    raise RateLimited(
        f"daily limit reached: {quota.used_today} of {quota.daily_limit} emails used today, "
        f"{count} requested; the limit resets at 00:00 UTC",
        retry_after=seconds_until(quota.resets_at),
    )


async def reserve_dry_runs(session: AsyncSession, *, user_id: str, count: int) -> None:
    """Raise RateLimited when `count` more dry runs would pass DRY_RUNS_PER_DAY today; the email quota is untouched."""
    start, end = day_window()
    used = int(
        await session.scalar(
            select(func.count())
            .select_from(QueueItem)
            .where(QueueItem.user_id == user_id, QueueItem.created_at >= start, QueueItem.dry_run.is_(True))
        )
        or 0
    )
    if used + count <= DRY_RUNS_PER_DAY:
        return
    raise RateLimited(
        f"dry-run limit reached: {used} of {DRY_RUNS_PER_DAY} dry runs used today, {count} requested; "
        "dry runs never use the daily email quota; this limit resets at 00:00 UTC",
        retry_after=seconds_until(end),
    )


async def reserve_resume_template(session: AsyncSession, *, settings: Settings, user_id: str) -> None:
    """Raise RateLimited when the user already generated today's allowance of résumé templates."""
    limit = settings.scribe_resume_uploads_per_day
    start, end = day_window()
    used = await session.scalar(
        select(func.count())
        .select_from(Template)
        .where(Template.user_id == user_id, Template.origin == "resume", Template.created_at >= start)
    )
    if int(used or 0) >= limit:
        raise RateLimited(
            f"you can generate {limit} templates from a résumé per day; the limit resets at 00:00 UTC",
            retry_after=seconds_until(end),
        )
