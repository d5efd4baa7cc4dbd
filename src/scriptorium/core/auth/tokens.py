"""Signed bearer tokens for `local` accounts (HS256).

The signing key is derived from SECRET_KEY for this one purpose (HMAC-SHA256 with a label), so a token can
never be confused with another value signed by the same secret (media URLs), and the key is always 32 bytes
whatever the secret's length.

PyJWT is imported where a token is made or read: with it comes `cryptography` (~40 ms of start-up), and a server
in AUTH_MODE=none never touches a token.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from scriptorium.core.db import utcnow
from scriptorium.core.errors import Unauthorized
from scriptorium.core.settings import Settings

ISSUER = "scriptorium"
_PURPOSE = b"scriptorium/local-session-token/v1"


def _signing_key(settings: Settings) -> bytes:
    return hmac.new(settings.secret_key.get_secret_value().encode(), _PURPOSE, hashlib.sha256).digest()


def issue_token(settings: Settings, user_id: str) -> str:
    """A token naming `user_id`, valid for TOKEN_TTL_SECONDS."""
    import jwt

    now = utcnow()
    claims = {"sub": user_id, "iss": ISSUER, "iat": now, "exp": now + timedelta(seconds=settings.token_ttl_seconds)}
    return jwt.encode(claims, _signing_key(settings), algorithm="HS256")


def verify_local_token(settings: Settings, token: str) -> str:
    """Return the user id a valid token names; raise Unauthorized otherwise."""
    import jwt

    try:
        claims = jwt.decode(
            token,
            _signing_key(settings),
            algorithms=["HS256"],
            issuer=ISSUER,
            options={"require": ["sub", "exp", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("your session has expired; sign in again") from None
    except jwt.PyJWTError:
        raise Unauthorized("invalid sign-in token; sign in again") from None
    return str(claims["sub"])
