"""Who is calling: `CurrentUser` and `AdminUser` dependencies for every per-user route.

Modes (AUTH_MODE): `none` is one local user for a single-person install bound to loopback; `local` is accounts
with hashed passwords and signed tokens; `supabase` verifies Supabase-issued JWTs locally (secret or JWKS), with
no network call per request. Routes never look at the mode: they ask for `CurrentUser`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from scriptorium.core.auth.dependencies import current_user, require_admin
from scriptorium.core.auth.tokens import issue_token, verify_local_token
from scriptorium.core.models import User

CurrentUser = Annotated[User, Depends(current_user)]
AdminUser = Annotated[User, Depends(require_admin)]

__all__ = ["AdminUser", "CurrentUser", "User", "current_user", "issue_token", "require_admin", "verify_local_token"]
