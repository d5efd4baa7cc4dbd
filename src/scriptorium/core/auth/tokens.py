"""Signed bearer tokens for `local` accounts (HS256 with SECRET_KEY)."""

from __future__ import annotations

from datetime import timedelta

import jwt

from scriptorium.core.db import utcnow
from scriptorium.core.errors import Unauthorized
from scriptorium.core.settings import Settings

ISSUER = "scriptorium"


def issue_token(settings: Settings, user_id: str) -> str:
    now = utcnow()
    claims = {"sub": user_id, "iss": ISSUER, "iat": now, "exp": now + timedelta(seconds=settings.token_ttl_seconds)}
    return jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm="HS256")


def verify_local_token(settings: Settings, token: str) -> str:
    """Return the user id a valid token names; raise Unauthorized otherwise."""
    try:
        claims = jwt.decode(
            token, settings.secret_key.get_secret_value(), algorithms=["HS256"], issuer=ISSUER,
            options={"require": ["sub", "exp", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("your session has expired; sign in again") from None
    except jwt.PyJWTError:
        raise Unauthorized("invalid sign-in token; sign in again") from None
    return str(claims["sub"])
