"""AUTH_MODE=supabase: verify Supabase access tokens locally and map them to a `User` row.

Upstream Scribe asked Supabase about every request (`auth.get_user`, a network round trip each time). Here the
token is verified on this machine: HS256 with the project's SUPABASE_JWT_SECRET, or RS256/ES256 with a key
from SUPABASE_JWKS (the project's JWKS document, pasted into settings: no call per request, no outage when
Supabase is slow). The header's algorithm picks the key source and is never trusted beyond that: an HS256
token is only checked with the shared secret and an asymmetric one only with a JWKS key of the same algorithm,
so a public key can never be used as an HMAC secret. Required: `aud` = "authenticated", `exp`, `sub`; when
SUPABASE_URL is set, `iss` must be that project's `/auth/v1`.

The first valid token for a `sub` creates the user (or links an unlinked account with the same email) and
ADMIN_EMAILS grants the admin role.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jwt
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.core.auth.accounts import is_admin_email, normalize_email
from scriptorium.core.db import utcnow
from scriptorium.core.errors import ConfigurationError, Conflict, Unauthorized
from scriptorium.core.models import User
from scriptorium.core.settings import Settings

AUDIENCE = "authenticated"
ASYMMETRIC = frozenset({"RS256", "ES256"})
LEEWAY_SECONDS = 30


async def user_from_supabase_token(session: AsyncSession, settings: Settings, token: str) -> User:
    """The user a valid Supabase access token names, created or linked on first sight."""
    claims = verify_supabase_token(settings, token)
    return await _user_for_claims(session, settings, claims)


def verify_supabase_token(settings: Settings, token: str) -> dict[str, Any]:
    """The token's claims after signature, audience, expiry and issuer checks; Unauthorized otherwise."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise Unauthorized("the sign-in token is malformed; sign in again") from None
    algorithm = header.get("alg")
    key: Any
    if algorithm == "HS256":
        key = settings.supabase_jwt_secret.get_secret_value()
        if not key:
            raise Unauthorized("HS256 tokens are not accepted here: SUPABASE_JWT_SECRET is not configured")
    elif algorithm in ASYMMETRIC:
        key = _jwks_key(settings.supabase_jwks, header.get("kid"), str(algorithm))
    else:
        raise Unauthorized(f"token algorithm {algorithm!r} is not accepted; expected HS256, RS256 or ES256")
    issuer = f"{settings.supabase_url.rstrip('/')}/auth/v1" if settings.supabase_url else None
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[str(algorithm)],
            audience=AUDIENCE,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "sub", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("your Supabase session has expired; sign in again") from None
    except jwt.InvalidAudienceError:
        raise Unauthorized(f"token audience is not {AUDIENCE!r}: send a Supabase user access token") from None
    except jwt.InvalidIssuerError:
        raise Unauthorized("token was issued by a different Supabase project than SUPABASE_URL") from None
    except jwt.MissingRequiredClaimError as exc:
        raise Unauthorized(f"token lacks the required {exc.claim!r} claim") from None
    except jwt.InvalidSignatureError:
        raise Unauthorized("token signature does not verify; sign in again") from None
    except jwt.PyJWTError:
        raise Unauthorized("invalid sign-in token; sign in again") from None
    return claims


def _jwks_key(document: str, kid: object, algorithm: str) -> Any:
    if not document.strip():
        raise Unauthorized(f"{algorithm} tokens are not accepted here: SUPABASE_JWKS is not configured")
    candidates = [key for key in _parse_jwks(document) if kid is None or key.key_id == kid]
    if not candidates:
        raise Unauthorized(f"token was signed with an unknown key (kid {kid!r}); update SUPABASE_JWKS")
    if len(candidates) > 1:
        raise Unauthorized("token names no key id (kid) and SUPABASE_JWKS holds several keys")
    key = candidates[0]
    if key.algorithm_name != algorithm:
        raise Unauthorized(f"token algorithm {algorithm} does not match its key ({key.algorithm_name})")
    return key.key


@lru_cache(maxsize=4)
def _parse_jwks(document: str) -> tuple[jwt.PyJWK, ...]:
    """Parse the JWKS once per distinct document (settings are immutable, so this is once per process)."""
    try:
        return tuple(jwt.PyJWKSet.from_json(document).keys)
    except (jwt.PyJWTError, ValueError, KeyError, TypeError):
        raise ConfigurationError("SUPABASE_JWKS is not a valid JWKS document with RS256 or ES256 keys") from None


async def _user_for_claims(session: AsyncSession, settings: Settings, claims: dict[str, Any]) -> User:
    subject = str(claims["sub"])
    email = normalize_email(str(claims["email"])) if claims.get("email") else None
    user = await session.scalar(select(User).where(User.external_id == subject))
    if user is None and email is not None:
        user = await session.scalar(select(User).where(User.email == email))
        if user is not None and user.external_id not in (None, subject):
            raise Conflict(f"{email!r} belongs to another account here; an administrator must unlink it first")
    admin = email is not None and is_admin_email(settings, email)
    if user is not None and user.external_id == subject and (user.is_admin or not admin):
        return user
    if user is None:
        user = User(email=email, display_name=_display_name(claims, email), role="user", created_at=utcnow())
        session.add(user)
    user.external_id = subject
    if admin:
        user.role = "admin"
    try:
        await session.commit()
    except IntegrityError:  # a concurrent first request created it
        await session.rollback()
        found = await session.scalar(select(User).where(User.external_id == subject))
        if found is None:
            raise
        return found
    return user


def _display_name(claims: dict[str, Any], email: str | None) -> str:
    metadata = claims.get("user_metadata")
    if isinstance(metadata, dict):
        for field in ("full_name", "name", "user_name"):
            value = metadata.get(field)
            if isinstance(value, str) and value.strip():
                return value.strip()[:200]
    return (email or "").split("@", 1)[0][:200]
