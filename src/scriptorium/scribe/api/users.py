"""`/api/user/*`: init, profile, onboarding flag and the saved working template.

The profile is created on first use, so `POST /api/user/init` is optional (the original answered 403 until it
was called); it still works and still answers 201.
"""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.core.auth import CurrentUser
from scriptorium.core.deps import SessionDep, SettingsDep
from scriptorium.core.models import User
from scriptorium.core.settings import Settings
from scriptorium.scribe.profiles import get_profile, user_response
from scriptorium.scribe.schemas import (
    OnboardingRequest,
    SavedTemplateRequest,
    UserInitRequest,
    UserResponse,
)

router = APIRouter(prefix="/api/user", tags=["scribe: user"])


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
