"""Resolve the caller to a `User` row according to AUTH_MODE."""

from __future__ import annotations

from typing import Annotated, assert_never

from fastapi import Depends, Request
from sqlalchemy.exc import IntegrityError

from scriptorium.core.auth.accounts import LOCAL_USER_ID
from scriptorium.core.auth.tokens import verify_local_token
from scriptorium.core.db import utcnow
from scriptorium.core.deps import SessionDep, SettingsDep
from scriptorium.core.errors import Forbidden, Unauthorized
from scriptorium.core.models import User

__all__ = ["LOCAL_USER_ID", "bearer_token", "current_user", "require_admin"]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


async def current_user(request: Request, session: SessionDep, settings: SettingsDep) -> User:
    mode = settings.auth_mode
    if mode == "none":
        return await _local_single_user(session)
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("sign in first: send 'Authorization: Bearer <token>'")
    if mode == "local":
        user = await session.get(User, verify_local_token(settings, token))
        if user is None:
            raise Unauthorized("this account no longer exists; sign in again")
        return user
    if mode == "supabase":
        from scriptorium.core.auth.supabase import user_from_supabase_token

        return await user_from_supabase_token(session, settings, token)
    assert_never(mode)


async def _local_single_user(session: SessionDep) -> User:
    user = await session.get(User, LOCAL_USER_ID)
    if user is not None:
        return user
    user = User(id=LOCAL_USER_ID, display_name="Local user", role="admin", created_at=utcnow())
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:  # another request created it first
        await session.rollback()
        found = await session.get(User, LOCAL_USER_ID)
        assert found is not None
        return found
    return user


async def require_admin(user: Annotated[User, Depends(current_user)]) -> User:
    if not user.is_admin:
        raise Forbidden("this page is for administrators")
    return user
