"""The user's Scribe profile: created on first use, the count of emails generated for them, and its response."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.core.db import insert_if_absent
from scriptorium.core.models import User
from scriptorium.core.settings import Settings
from scriptorium.scribe.models import Email, ScribeProfile, Usage
from scriptorium.scribe.quota import email_quota
from scriptorium.scribe.schemas import QuotaOut, UsageTotals, UserResponse
from scriptorium.scribe.usage import token_totals


async def get_profile(session: AsyncSession, *, user_id: str) -> ScribeProfile:
    """The user's Scribe profile, created on first use (the original's `/api/user/init` is then optional)."""
    profile = await session.get(ScribeProfile, user_id)
    if profile is None:
        # Two first requests at once (say, two templates saved together) must not both insert it.
        await insert_if_absent(session, ScribeProfile, user_id=user_id)
        profile = await session.get_one(ScribeProfile, user_id)
    return profile


async def count_generation(session: AsyncSession, *, user_id: str) -> None:
    """Atomic increment (the original did read-modify-write, which only worked at concurrency 1)."""
    await session.execute(
        update(ScribeProfile)
        .where(ScribeProfile.user_id == user_id)
        .values(generation_count=ScribeProfile.generation_count + 1)
        .execution_options(synchronize_session=False)
    )


async def user_response(
    session: AsyncSession, *, settings: Settings, user: User, profile: ScribeProfile
) -> UserResponse:
    """The profile as `/api/user/profile` shows it: who, quota left today, emails and what they cost."""
    quota = await email_quota(session, settings=settings, user_id=user.id)
    emails = await session.scalar(select(func.count()).select_from(Email).where(Email.user_id == user.id))
    # Probes (dry runs) are not the user's spending.
    tokens = await token_totals(session, Usage.user_id == user.id, Usage.dry_run.is_(False))
    return UserResponse(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        generation_count=profile.generation_count,
        template_count=profile.template_count,
        onboarded=profile.onboarded,
        email_template=profile.email_template,
        created_at=profile.created_at,
        role=user.role,
        quota=QuotaOut(
            daily_limit=quota.daily_limit,
            used_today=quota.used_today,
            remaining=quota.remaining,
            resets_at=quota.resets_at,
        ),
        usage=UsageTotals(
            emails=int(emails or 0),
            input_tokens=tokens.input_tokens,
            output_tokens=tokens.output_tokens,
            cost_usd=tokens.cost_usd,
        ),
    )
