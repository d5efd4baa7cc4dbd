"""`/api/user/*`: init, profile, onboarding flag and the saved working template.

The profile is created on first use, so `POST /api/user/init` is optional (the original answered 403 until it
was called); it still works and still answers 201.
"""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.core.auth import CurrentUser
from scriptorium.core.deps import SessionDep, SettingsDep
from scriptorium.core.models import User
from scriptorium.core.settings import Settings
from scriptorium.scribe.models import Email, ScribeProfile, Usage
from scriptorium.scribe.profiles import get_profile
from scriptorium.scribe.quota import email_quota
from scriptorium.scribe.schemas import (
    OnboardingRequest,
    QuotaOut,
    SavedTemplateRequest,
    UsageTotals,
    UserInitRequest,
    UserResponse,
)
from scriptorium.scribe.usage import token_totals

router = APIRouter(prefix="/api/user", tags=["scribe: user"])


async def user_response(
    session: AsyncSession, *, settings: Settings, user: User, profile: ScribeProfile
) -> UserResponse:
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


async def _respond(session: AsyncSession, settings: Settings, user: User) -> UserResponse:
    profile = await get_profile(session, user_id=user.id)
    await session.commit()
    return await user_response(session, settings=settings, user=user, profile=profile)


@router.post("/init", status_code=201, response_model=UserResponse, summary="Create or refresh the Scribe profile")
async def init_user(
    body: UserInitRequest, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> UserResponse:
    user.display_name = body.display_name
    return await _respond(session, settings, user)


@router.get("/profile", response_model=UserResponse, summary="The caller's profile, quota and usage")
async def profile(user: CurrentUser, session: SessionDep, settings: SettingsDep) -> UserResponse:
    return await _respond(session, settings, user)


@router.patch("/onboarding", response_model=UserResponse, summary="Mark the welcome screen done")
async def onboarding(
    user: CurrentUser, session: SessionDep, settings: SettingsDep, body: OnboardingRequest | None = None
) -> UserResponse:
    profile = await get_profile(session, user_id=user.id)
    profile.onboarded = body.onboarded if body is not None else True
    return await _respond(session, settings, user)


@router.patch("/template", response_model=UserResponse, summary="Save the working template")
async def save_template(
    body: SavedTemplateRequest, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> UserResponse:
    profile = await get_profile(session, user_id=user.id)
    profile.email_template = body.template
    return await _respond(session, settings, user)
