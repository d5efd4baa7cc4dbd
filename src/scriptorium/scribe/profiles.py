"""The user's Scribe profile: created on first use, and the count of emails generated for them."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.core.db import insert_if_absent
from scriptorium.scribe.models import ScribeProfile


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
