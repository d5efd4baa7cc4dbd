"""Local accounts: registration and password sign-in (AUTH_MODE=local), and the admin-email rule for all modes."""

from __future__ import annotations

import asyncio

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.core.auth.passwords import hash_password, needs_rehash, verify_password
from scriptorium.core.db import utcnow
from scriptorium.core.errors import Conflict, ScriptoriumError, Unauthorized
from scriptorium.core.models import User
from scriptorium.core.settings import Settings

LOCAL_USER_ID = "local"
WRONG_CREDENTIALS = "email or password is incorrect"
FIRST_ACCOUNT_LOCK = 0x5C12_0001
"""PostgreSQL advisory lock key that serialises local registrations (any fixed 64-bit number of our own)."""


class AuthDisabled(ScriptoriumError):
    """Registration or password sign-in was asked for in a mode that has none (`none` or `supabase`)."""

    status_code = 400
    code = "auth_disabled"


def normalize_email(email: str) -> str:
    return email.strip().lower()


def is_admin_email(settings: Settings, email: str | None) -> bool:
    return email is not None and normalize_email(email) in {normalize_email(e) for e in settings.admin_emails}


def require_local_mode(settings: Settings) -> None:
    """Raise AuthDisabled with a sentence the UI can show when accounts are not managed here."""
    if settings.auth_mode == "none":
        raise AuthDisabled("sign-in is off on this server (AUTH_MODE=none): everyone is the local user")
    if settings.auth_mode == "supabase":
        raise AuthDisabled("accounts are managed by Supabase on this server: sign in through Supabase")


async def register(session: AsyncSession, settings: Settings, *, email: str, password: str, display_name: str) -> User:
    """Create a local account. The first account, and any in ADMIN_EMAILS, is an administrator."""
    require_local_mode(settings)
    email = normalize_email(email)
    if await session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"an account with the email {email!r} already exists; sign in instead")
    password_hash = await asyncio.to_thread(hash_password, password)  # slow: before any lock is taken
    await _serialize_first_account(session)
    user = User(
        email=email,
        display_name=display_name.strip() or email.split("@", 1)[0],
        password_hash=password_hash,
        role="admin" if is_admin_email(settings, email) else _admin_if_first_account(),
        created_at=utcnow(),
    )
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:  # the same email registered concurrently
        await session.rollback()
        raise Conflict(f"an account with the email {email!r} already exists; sign in instead") from None
    await session.refresh(user, ["role"])  # the database decided it
    return user


def _admin_if_first_account() -> ColumnElement[str]:
    """`admin` when no other account exists, decided by the INSERT itself rather than by an earlier count.

    A count followed by an insert lets two registrations at the same instant both see zero and both become admin.
    Inside the INSERT the check and the write are one statement: SQLite runs it under its single write lock, and
    on PostgreSQL `_serialize_first_account` makes the statement see every registration committed before it.
    """
    others = select(User.id).where(User.id != LOCAL_USER_ID).correlate(None).exists()
    return case((others, "user"), else_="admin")


async def _serialize_first_account(session: AsyncSession) -> None:
    """On PostgreSQL, queue registrations one at a time until this transaction ends.

    Under READ COMMITTED two concurrent INSERTs cannot see each other's uncommitted row, so the guarded INSERT
    alone would let both become admin. A transaction-scoped advisory lock (released by commit or rollback, safe
    behind a transaction pooler) holds the next registration until this one has committed. SQLite needs nothing:
    it already admits one writer at a time and the INSERT reads under that lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(FIRST_ACCOUNT_LOCK)))


async def authenticate(session: AsyncSession, settings: Settings, *, email: str, password: str) -> User:
    """The account these credentials open; one message for unknown email and wrong password alike."""
    require_local_mode(settings)
    user = await session.scalar(select(User).where(User.email == normalize_email(email)))
    stored = user.password_hash if user is not None else None
    # verify_password spends the same time when there is no account, so timing does not reveal which emails exist.
    matches = await asyncio.to_thread(verify_password, stored, password)
    if not matches or user is None or stored is None:
        raise Unauthorized(WRONG_CREDENTIALS)
    if needs_rehash(stored):
        user.password_hash = await asyncio.to_thread(hash_password, password)
    if is_admin_email(settings, user.email):
        user.role = "admin"
    user.last_seen_at = utcnow()
    await session.commit()
    return user
