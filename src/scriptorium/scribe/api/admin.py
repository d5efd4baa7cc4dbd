"""`/api/admin/*`: read-only operator views for users with the admin role (403 for everyone else)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import func, select

from scriptorium.core.auth import AdminUser
from scriptorium.core.deps import SessionDep, SettingsDep
from scriptorium.core.errors import NotFound
from scriptorium.core.models import User
from scriptorium.scribe import admin
from scriptorium.scribe.api.common import PAGE_DEFAULT, Limit, Offset, clamp
from scriptorium.scribe.emails import to_response as email_response
from scriptorium.scribe.models import Email, QueueItem, Template
from scriptorium.scribe.queue import to_response as queue_response
from scriptorium.scribe.schemas import EmailResponse, QueueItemResponse, TemplateResponse
from scriptorium.scribe.templates import to_response as template_response

router = APIRouter(prefix="/api/admin", tags=["scribe: admin"])


class PaginatedEmails(BaseModel):
    items: list[EmailResponse]
    total: int
    page: int
    per_page: int
    pages: int


async def _user(session: SessionDep, user_id: str) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    return user


@router.get("/overview", response_model=admin.AdminOverview)
async def overview(_: AdminUser, session: SessionDep, settings: SettingsDep) -> admin.AdminOverview:
    return await admin.overview(session, settings=settings)


@router.get("/users", response_model=list[admin.AdminUserRow])
async def users(
    _: AdminUser, session: SessionDep, limit: Limit = PAGE_DEFAULT, offset: Offset = 0
) -> list[admin.AdminUserRow]:
    return await admin.users(session, limit=clamp(limit), offset=offset)


@router.get("/users/{user_id}", response_model=admin.AdminUserRow)
async def user_row(user_id: str, _: AdminUser, session: SessionDep) -> admin.AdminUserRow:
    """One user's row of `/users` (for a page opened from a link rather than from the list)."""
    found = await admin.users(session, limit=1, offset=0, user_id=user_id)
    if not found:
        raise NotFound("no such user")
    return found[0]


@router.get("/users/{user_id}/emails", response_model=PaginatedEmails)
async def user_emails(
    user_id: str,
    _: AdminUser,
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,  # bounded: a huge page overflowed the SQL OFFSET (500)
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> PaginatedEmails:
    await _user(session, user_id)
    total = int(await session.scalar(select(func.count()).select_from(Email).where(Email.user_id == user_id)) or 0)
    rows = await session.scalars(
        select(Email)
        .where(Email.user_id == user_id)
        .order_by(Email.created_at.desc(), Email.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return PaginatedEmails(
        items=[email_response(e) for e in rows.all()],
        total=total,
        page=page,
        per_page=per_page,
        pages=(total + per_page - 1) // per_page,
    )


@router.get("/users/{user_id}/templates", response_model=list[TemplateResponse])
async def user_templates(
    user_id: str, _: AdminUser, session: SessionDep, limit: Limit = PAGE_DEFAULT, offset: Offset = 0
) -> list[TemplateResponse]:
    await _user(session, user_id)
    rows = await session.scalars(
        select(Template)
        .where(Template.user_id == user_id)
        .order_by(Template.created_at.desc())
        .limit(clamp(limit))
        .offset(offset)
    )
    return [template_response(t) for t in rows.all()]


@router.get("/users/{user_id}/queue", response_model=list[QueueItemResponse])
async def user_queue(
    user_id: str, _: AdminUser, session: SessionDep, limit: Limit = PAGE_DEFAULT, offset: Offset = 0
) -> list[QueueItemResponse]:
    await _user(session, user_id)
    rows = await session.scalars(
        select(QueueItem)
        .where(QueueItem.user_id == user_id, QueueItem.dry_run.is_(False))  # probes are not the user's work
        .order_by(QueueItem.created_at.desc(), QueueItem.id)
        .limit(clamp(limit))
        .offset(offset)
    )
    return [queue_response(item, None) for item in rows.all()]


@router.get("/activity", response_model=list[admin.AdminActivity])
async def activity(_: AdminUser, session: SessionDep) -> list[admin.AdminActivity]:
    return await admin.activity(session)


@router.get("/errors", response_model=list[admin.AdminError])
async def errors(
    _: AdminUser, session: SessionDep, limit: Limit = PAGE_DEFAULT, offset: Offset = 0
) -> list[admin.AdminError]:
    return await admin.errors(session, limit=clamp(limit), offset=offset)
