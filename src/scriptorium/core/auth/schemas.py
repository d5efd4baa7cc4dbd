"""Request and response shapes of the account routes, with their limits declared once."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from scriptorium.core.settings import AuthMode
from scriptorium.core.text_fields import SINGLE_LINE, SingleLineText

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 1024
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")


def _email(value: str) -> str:
    value = value.strip().lower()
    if not _EMAIL.match(value):
        raise ValueError("must be an email address like name@example.org")
    return value


Email = Annotated[str, Field(max_length=320, examples=["ada@example.org"]), AfterValidator(_email), SINGLE_LINE]


class RegisterRequest(BaseModel):
    email: Email
    password: str = Field(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH)
    display_name: SingleLineText = Field("", max_length=200)


class LoginRequest(BaseModel):
    email: Email
    password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str | None
    display_name: str
    role: Literal["user", "admin"]
    created_at: datetime


class TokenPublic(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    user: UserPublic


class AuthConfigPublic(BaseModel):
    """What the UI needs before anyone signs in."""

    mode: AuthMode
    sign_in_required: bool
    registration_open: bool
    password_min_length: int
    supabase_url: str | None
    supabase_anon_key: str | None = None
    """Public by design (Supabase's anon key): with the URL, the UI signs in with email and password there."""
    supabase_oauth_providers: list[str] = []
    """OAuth providers the UI offers (Supabase's authorize redirect), when the URL and anon key are set."""
