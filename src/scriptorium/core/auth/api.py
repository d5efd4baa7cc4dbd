"""Account routes under /api/auth: config (public), register and login (AUTH_MODE=local), me (any mode)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from scriptorium.core.auth import CurrentUser
from scriptorium.core.auth.accounts import authenticate, register, require_local_mode
from scriptorium.core.auth.schemas import (
    PASSWORD_MIN_LENGTH,
    AuthConfigPublic,
    LoginRequest,
    RegisterRequest,
    TokenPublic,
    UserPublic,
)
from scriptorium.core.auth.tokens import issue_token
from scriptorium.core.deps import ResourcesDep, SessionDep, SettingsDep
from scriptorium.core.models import User
from scriptorium.core.openapi import errors
from scriptorium.core.ratelimit import client_address_key, rate_limiter
from scriptorium.core.resources import Resources
from scriptorium.core.settings import Settings

router = APIRouter(prefix="/api/auth", tags=["auth"])


async def _limit(request: Request, resources: Resources, settings: Settings, action: str) -> None:
    """AUTH_LOGIN_ATTEMPTS per AUTH_LOGIN_WINDOW_SECONDS per client and action (sign-in, registration apart).

    Counted across every API process when the queue is on Redis (scale), in this process otherwise.
    """
    await rate_limiter(resources).hit(
        action,
        client_address_key(request.client.host if request.client else None),
        limit=settings.auth_login_attempts,
        seconds=settings.auth_login_window_seconds,
        what=f"{action} attempts",
    )


def _token_for(settings: Settings, user: User) -> TokenPublic:
    return TokenPublic(
        access_token=issue_token(settings, user.id),
        expires_in=settings.token_ttl_seconds,
        user=UserPublic.model_validate(user),
    )


@router.get("/config", operation_id="auth_config", summary="Which sign-in this server uses (public)")
async def auth_config(settings: SettingsDep) -> AuthConfigPublic:
    mode = settings.auth_mode
    return AuthConfigPublic(
        mode=mode,
        sign_in_required=mode != "none",
        registration_open=mode == "local",
        password_min_length=PASSWORD_MIN_LENGTH,
        supabase_url=(settings.supabase_url.rstrip("/") or None) if mode == "supabase" else None,
        supabase_anon_key=(settings.supabase_anon_key or None) if mode == "supabase" else None,
        supabase_oauth_providers=settings.supabase_oauth_providers if mode == "supabase" else [],
    )


@router.post(
    "/register",
    status_code=201,
    operation_id="auth_register",
    summary="Create a local account",
    responses=errors(409, 429),
)
async def register_account(
    body: RegisterRequest, request: Request, session: SessionDep, settings: SettingsDep, resources: ResourcesDep
) -> TokenPublic:
    require_local_mode(settings)
    await _limit(request, resources, settings, "registration")
    user = await register(session, settings, email=body.email, password=body.password, display_name=body.display_name)
    return _token_for(settings, user)


@router.post(
    "/login",
    operation_id="auth_login",
    summary="Exchange email and password for a bearer token",
    responses=errors(401, 429),
)
async def login(
    body: LoginRequest, request: Request, session: SessionDep, settings: SettingsDep, resources: ResourcesDep
) -> TokenPublic:
    require_local_mode(settings)
    await _limit(request, resources, settings, "sign-in")
    user = await authenticate(session, settings, email=body.email, password=body.password)
    return _token_for(settings, user)


@router.get("/me", operation_id="auth_me", summary="The signed-in user")
async def me(user: CurrentUser) -> UserPublic:
    return UserPublic.model_validate(user)
