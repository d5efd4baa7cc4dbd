"""`/api/admin/*`: read-only operator views for users with the admin role (403 for everyone else)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from scriptorium.core.auth import AdminUser
from scriptorium.core.deps import SessionDep, SettingsDep
from scriptorium.core.errors import NotFound
from scriptorium.scribe import admin
from scriptorium.scribe.api.common import PAGE_DEFAULT, Limit, Offset, clamp
from scriptorium.scribe.schemas import QueueItemResponse, TemplateResponse

router = APIRouter(prefix="/api/admin", tags=["scribe: admin"])


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


@router.get("/users/{user_id}/emails", response_model=admin.PaginatedEmails)
async def user_emails(
    user_id: str,
    _: AdminUser,
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,  # bounded: a huge page overflowed the SQL OFFSET (500)
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> admin.PaginatedEmails:
    return await admin.user_emails(session, user_id=user_id, page=page, per_page=per_page)


@router.get("/users/{user_id}/templates", response_model=list[TemplateResponse])
async def user_templates(
    user_id: str, _: AdminUser, session: SessionDep, limit: Limit = PAGE_DEFAULT, offset: Offset = 0
) -> list[TemplateResponse]:
    return await admin.user_templates(session, user_id=user_id, limit=clamp(limit), offset=offset)


@router.get("/users/{user_id}/queue", response_model=list[QueueItemResponse])
async def user_queue(
    user_id: str, _: AdminUser, session: SessionDep, limit: Limit = PAGE_DEFAULT, offset: Offset = 0
) -> list[QueueItemResponse]:
    return await admin.user_queue(session, user_id=user_id, limit=clamp(limit), offset=offset)


@router.get("/activity", response_model=list[admin.AdminActivity])
async def activity(_: AdminUser, session: SessionDep) -> list[admin.AdminActivity]:
    return await admin.activity(session)


@router.get("/errors", response_model=list[admin.AdminError])
async def errors(
    _: AdminUser, session: SessionDep, limit: Limit = PAGE_DEFAULT, offset: Offset = 0
) -> list[admin.AdminError]:
    return await admin.errors(session, limit=clamp(limit), offset=offset)
