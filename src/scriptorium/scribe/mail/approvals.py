"""Approving a reviewed email for sending: the explicit "I read it, it may go" that a non-confident email needs.

The approval names the email's `version`; an edit makes a new version, so an approved text that is changed must
be approved again before it can be sent (`queries.is_sendable`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.core.db import utcnow
from scriptorium.core.errors import NotFound
from scriptorium.scribe.mail.schemas import ApprovalOut
from scriptorium.scribe.models import Email


async def _owned_email(session: AsyncSession, *, user_id: str, email_id: str) -> Email:
    email = await session.scalar(select(Email).where(Email.id == email_id, Email.user_id == user_id))
    if email is None:
        raise NotFound("Email not found.")
    return email


async def set_approval(session: AsyncSession, *, user_id: str, email_id: str, approved: bool) -> ApprovalOut:
    """Approve the email's current version (or withdraw the approval); the caller commits."""
    email = await _owned_email(session, user_id=user_id, email_id=email_id)
    now = utcnow()
    email.approved_version, email.approved_at = (email.version, now) if approved else (None, None)
    return ApprovalOut(email_id=email.id, approved=approved, approved_version=email.version, approved_at=now)
