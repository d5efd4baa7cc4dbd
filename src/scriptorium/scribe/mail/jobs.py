"""Mail job kinds: a draft run, a send run, and the periodic replies scan of one account.

The handlers are thin: they build `MailDeps` from the worker's resources and call the workers. A paused send run
(daily cap, a long server-requested wait) completes its job and, in the same transaction, submits the next one
with `not_before` set to when sending may resume, so no worker sits idle through it. A replies scan schedules
the account's next scan the same way (MAIL_REPLY_SCAN_MINUTES), which makes it periodic in both profiles without
a scheduler: the chain starts when the account is created and ends when it is deleted.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.core.db import new_id
from scriptorium.core.jobs import Job, JobContext, registry, submit
from scriptorium.core.settings import Settings

log = logging.getLogger(__name__)

DRAFT_JOB = "scribe.mail.draft"
SEND_JOB = "scribe.mail.send"
REPLIES_JOB = "scribe.mail.replies"
JOB_ATTEMPTS = 20
"""A mail job is claimed again after every worker death (kill -9) or pause; its rows, not attempts, bound the work."""


def _deps(ctx: JobContext) -> Any:
    from scriptorium.scribe.mail.work import MailDeps

    return MailDeps(sessionmaker=ctx.sessionmaker, settings=ctx.resources.settings, still_ours=ctx.check_cancelled)


async def _mark_run_failed(resources: Any, job: Job, message: str) -> None:
    from scriptorium.core.db import utcnow
    from scriptorium.scribe.models import MailRun

    run_id = (job.payload or {}).get("run_id")
    if not run_id:
        return
    async with resources.sessionmaker() as session, session.begin():
        run = await session.get(MailRun, run_id)
        if run is not None and run.status not in ("done", "cancelled", "failed"):
            run.status, run.words, run.finished_at = "failed", message, utcnow()


async def _finish(ctx: JobContext, outcome: Any) -> None:
    """Complete this job; a paused run gets its next job, not before it may resume, in the same transaction."""
    from scriptorium.scribe.models import MailRun

    async with ctx.sessionmaker() as session, session.begin():
        if outcome.status == "paused" and outcome.resume_at is not None:
            run = await session.get(MailRun, ctx.payload["run_id"])
            if run is not None and run.status == "paused":
                job = schedule(session, kind=ctx.kind, payload=ctx.payload, at=outcome.resume_at, fair_key=run.user_id)
                run.job_id = job.id
        await ctx.complete(session, {"status": outcome.status})


def schedule(
    session: AsyncSession, *, kind: str, payload: dict[str, Any], at: datetime | None, fair_key: str = ""
) -> Job:
    job = submit(session, kind=kind, payload=payload, fair_key=fair_key, max_attempts=JOB_ATTEMPTS, job_id=new_id())
    job.not_before = at
    return job


@registry.handler(DRAFT_JOB, on_failure=_mark_run_failed)
async def draft_run(ctx: JobContext) -> None:
    from scriptorium.scribe.mail.drafting import work_draft_run

    await _finish(ctx, await work_draft_run(_deps(ctx), ctx.payload["run_id"]))


@registry.handler(SEND_JOB, on_failure=_mark_run_failed)
async def send_run(ctx: JobContext) -> None:
    from scriptorium.scribe.mail.sending import work_send_run

    await _finish(ctx, await work_send_run(_deps(ctx), ctx.payload["run_id"]))


async def schedule_reply_scan(session: AsyncSession, *, settings: Settings, account_id: str, now: datetime) -> None:
    """Queue the account's next scan unless one is already waiting."""
    waiting = await session.scalars(select(Job.payload).where(Job.kind == REPLIES_JOB, Job.status == "pending"))
    if any((payload or {}).get("account_id") == account_id for payload in waiting):
        return
    schedule(
        session,
        kind=REPLIES_JOB,
        payload={"account_id": account_id},
        at=now + timedelta(minutes=settings.mail_reply_scan_minutes),
    )


@registry.handler(REPLIES_JOB)
async def scan_account_replies(ctx: JobContext) -> None:
    from scriptorium.core.db import utcnow
    from scriptorium.scribe.mail.errors import MailError
    from scriptorium.scribe.mail.replies import scan_replies
    from scriptorium.scribe.mail.secrets import PasswordUnreadable
    from scriptorium.scribe.models import MailAccount

    account_id = ctx.payload["account_id"]
    try:
        await scan_replies(_deps(ctx), account_id)
    except (MailError, PasswordUnreadable) as exc:  # the account needs fixing; keep scanning on schedule
        log.warning(
            "mail replies scan failed: %s", getattr(exc, "words", None) or exc, extra={"account_id": account_id}
        )
    except Exception:  # a bug or an odd server must not end the chain of scans: log it, scan again next time
        log.exception("mail replies scan crashed", extra={"account_id": account_id})
    async with ctx.sessionmaker() as session, session.begin():
        if await session.get(MailAccount, account_id) is not None:
            await schedule_reply_scan(session, settings=ctx.resources.settings, account_id=account_id, now=utcnow())
        await ctx.complete(session)
