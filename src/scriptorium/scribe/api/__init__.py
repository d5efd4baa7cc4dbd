"""Scribe's HTTP API. Paths and field names follow the original service; additions are additive.

Every per-user route filters on the caller's id, so another user's resource answers 404, never 403.
"""

from fastapi import APIRouter

from scriptorium.scribe.api.admin import router as admin_router
from scriptorium.scribe.api.emails import router as email_router
from scriptorium.scribe.api.mail import approvals as mail_approvals_router
from scriptorium.scribe.api.mail import router as mail_router
from scriptorium.scribe.api.queue import router as queue_router
from scriptorium.scribe.api.recipients import router as recipients_router
from scriptorium.scribe.api.templates import router as templates_router
from scriptorium.scribe.api.users import router as user_router

router = APIRouter()
for part in (
    user_router,
    email_router,
    mail_approvals_router,
    mail_router,
    queue_router,
    recipients_router,
    templates_router,
    admin_router,
):
    router.include_router(part)

__all__ = ["router"]
