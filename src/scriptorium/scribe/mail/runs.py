"""Starting a draft or send run: which emails it covers, the checks that guard sending, and the run's picture.

A run is created in one transaction with its delivery rows and its job, so a run exists exactly when its work is
queued. The guards, in the order a user meets them: sending turned on for the account, the domain's
deliverability verdict (or an override reason), every email confident or approved, the first real send limited to
`first_send_limit` unless the request sets `limit`, and a dry run of the same emails before a real send. A dry run
passes the same guards, writes nothing to the mailbox and answers at once with who gets what.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.core.db import utcnow
from scriptorium.core.errors import NotFound, ValidationFailed
from scriptorium.core.jobs import submit
from scriptorium.scribe.mail.jobs import DRAFT_JOB, JOB_ATTEMPTS, SEND_JOB
from scriptorium.scribe.mail.message import stable_message_id
from scriptorium.scribe.mail.queries import SEND_COUNTED, batch_emails, has_sent, is_sendable, listed_emails
from scriptorium.scribe.mail.refusals import MailRefused
from scriptorium.scribe.mail.schemas import MailRunIn, MailRunOut, PreviewOut, RunItemOut
from scriptorium.scribe.mail.work import message_for, unbuildable_words
from scriptorium.scribe.models import Email, MailAccount, MailDelivery, MailRun

DRY_RUN_VALID = timedelta(hours=24)
FINISHED_RUN = ("done", "failed", "cancelled")
ACTIVE_RUN = ("queued", "running", "paused")

CheckDomain = Callable[[MailAccount], Awaitable[dict[str, Any]]]
"""Runs the deliverability check for an account and stores the verdict on it (the API passes the real one)."""


@dataclass
class Selection:
    emails: list[Email]
    queued: list[Email]
    skipped: list[dict[str, str]]
    refused: dict[str, str]
    """Emails no message can carry (address or subject), with the words: a dry run lists them as skipped, a real
    run records them failed, so the run's list says why they did not go."""


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower()


async def _selected(session: AsyncSession, *, user_id: str, body: MailRunIn) -> list[Email]:
    if (body.batch_id is None) == (body.email_ids is None):
        raise ValidationFailed("Give either batch_id or email_ids (one of them).", field="batch_id")
    if body.email_ids is not None:
        emails, missing = await listed_emails(session, user_id=user_id, email_ids=body.email_ids)
        if missing:
            raise NotFound(f"No such email: {', '.join(missing[:5])}.")
    else:
        assert body.batch_id is not None
        emails = await batch_emails(session, user_id=user_id, batch_id=body.batch_id)
        if not emails:
            raise NotFound("That batch has no emails to put in a mailbox.")
    return emails


async def _select(session: AsyncSession, *, account: MailAccount, body: MailRunIn, emails: list[Email]) -> Selection:
    """Split the emails into those this run works and those it leaves out (with the reason in words)."""
    rows = await session.execute(
        select(MailDelivery, MailRun.status)
        .outerjoin(MailRun, MailRun.id == MailDelivery.run_id)
        .where(MailDelivery.email_id.in_([e.id for e in emails]), MailDelivery.kind == body.kind)
    )
    by_email: dict[str, list[MailDelivery]] = {}
    waiting: set[str] = set()  # queued to be sent from another account by a run that is still going
    for row, run_status in rows:
        by_email.setdefault(row.email_id, []).append(row)
        if row.account_id != account.id and row.state == "queued" and run_status in ACTIVE_RUN:
            waiting.add(row.email_id)
    queued: list[Email] = []
    skipped: list[dict[str, str]] = []
    refused: dict[str, str] = {}
    for email in emails:
        reason = _leave_out(email, account, body.kind, by_email.get(email.id, []))
        if reason is None and body.kind == "send" and email.id in waiting:
            reason = "Waiting to be sent from another of your accounts."
        refusal = None if reason else _unbuildable(email, account)
        if reason:
            skipped.append({"email_id": email.id, "reason": reason})
        elif refusal:
            refused[email.id] = refusal
        else:
            queued.append(email)
    return Selection(emails=emails, queued=queued, skipped=skipped, refused=refused)


def _unbuildable(email: Email, account: MailAccount) -> str | None:
    """Why no message can carry this email (an address or subject the message format refuses), or None."""
    try:
        message_for(
            account,
            email,
            to_address=(email.recipient_email or "").strip(),
            message_id=stable_message_id(email.id, _domain(account.address)),
        )
    except ValueError as exc:
        return unbuildable_words(exc)
    return None


def _leave_out(email: Email, account: MailAccount, kind: str, rows: list[MailDelivery]) -> str | None:
    if not (email.recipient_email or "").strip():
        return "No email address for this recipient: add one before it can go to a mailbox."
    for row in rows:
        if kind == "draft" and row.account_id == account.id and row.state == "drafted":
            return "Already in your Drafts."
        if kind == "send" and row.state in ("sent", "bounced"):
            return "Already sent." if row.account_id == account.id else "Already sent from another of your accounts."
        if kind == "send" and row.state == "sending":
            return "Being sent right now by another run."
        if kind == "send" and row.state == "uncertain":
            return "An earlier send was interrupted and may have gone out: check your Sent folder."
        if row.account_id == account.id and row.state == "failed" and row.permanent:
            return f"Refused for good earlier: {row.reason or 'the server refused it'}"
    return None


async def _guard_send(
    session: AsyncSession,
    *,
    user_id: str,
    account: MailAccount,
    body: MailRunIn,
    selection: Selection,
    check_domain: CheckDomain,
    now: datetime,
) -> None:
    if not account.sending_enabled:
        raise MailRefused(
            409,
            "sending_disabled",
            f"Sending is turned off for {account.address}. Turn it on in the account's settings first; until then "
            "Scribe can only put emails in your Drafts.",
        )
    report = account.deliverability
    if report is None:
        report = await check_domain(account)
    if report.get("would_fail") and not account.deliverability_override_reason:
        raise MailRefused(
            409,
            "deliverability_would_fail",
            f"{report.get('words') or 'Mail from this domain would likely be rejected.'} Fix the records, or give a "
            "reason to send anyway in the account's settings.",
            report=report,
        )
    unsendable = [e for e in selection.queued if not is_sendable(e)]
    if unsendable:
        names = ", ".join(e.recipient_name for e in unsendable[:5])
        raise MailRefused(
            422,
            "not_sendable",
            f"{len(unsendable)} email(s) need your review and approval before they can be sent ({names}). Approve "
            "them after reading them, or leave them out.",
            emails=[
                {"email_id": e.id, "recipient_name": e.recipient_name, "review_reasons": list(e.review_reasons or [])}
                for e in unsendable
            ],
        )
    too_many = len(selection.queued) > account.first_send_limit
    if body.limit is None and too_many and not await has_sent(session, account_id=account.id):
        raise MailRefused(
            409,
            "first_send_limited",
            f"The first real send from {account.address} goes to at most {account.first_send_limit} email(s), "
            f"and this one has {len(selection.queued)}. Send with a limit of {account.first_send_limit} to "
            "check how it arrives, or set a higher limit on purpose.",
            first_send_limit=account.first_send_limit,
            total=len(selection.queued),
        )
    if not body.dry_run:
        await _require_dry_run(session, user_id=user_id, account=account, selection=selection, now=now)


async def _require_dry_run(
    session: AsyncSession, *, user_id: str, account: MailAccount, selection: Selection, now: datetime
) -> None:
    wanted = {e.id for e in selection.queued}
    dry_runs = await session.scalars(
        select(MailRun.email_ids).where(
            MailRun.user_id == user_id,
            MailRun.account_id == account.id,
            MailRun.kind == "send",
            MailRun.dry_run.is_(True),
            MailRun.created_at >= now - DRY_RUN_VALID,
        )
    )
    if not any(wanted <= set(ids) for ids in dry_runs):
        raise MailRefused(
            409,
            "dry_run_required",
            "Every send starts with a dry run: run it with dry_run=true first to see exactly who gets what, then "
            "send the same emails.",
        )


async def create_run(
    session: AsyncSession,
    *,
    user_id: str,
    account: MailAccount,
    body: MailRunIn,
    check_domain: CheckDomain,
    now: datetime | None = None,
) -> MailRun:
    """Check, then store the run (and, unless it is a dry run, its delivery rows and job) in `session`."""
    now = now or utcnow()
    emails = await _selected(session, user_id=user_id, body=body)
    selection = await _select(session, account=account, body=body, emails=emails)
    if body.kind == "send":
        await _guard_send(
            session,
            user_id=user_id,
            account=account,
            body=body,
            selection=selection,
            check_domain=check_domain,
            now=now,
        )
    queued = selection.queued[: body.limit] if body.limit is not None else selection.queued
    refused_entries = [{"email_id": email_id, "reason": words} for email_id, words in selection.refused.items()]
    over = [
        {"email_id": e.id, "reason": f"Over this run's limit of {body.limit}."} for e in selection.queued[len(queued) :]
    ]
    run = MailRun(
        user_id=user_id,
        account_id=account.id,
        kind=body.kind,
        batch_id=body.batch_id,
        email_ids=[e.id for e in emails],
        skipped=selection.skipped + over + (refused_entries if body.dry_run else []),
        dry_run=body.dry_run,
        limit=body.limit,
        status="done" if body.dry_run else "queued",
        created_at=now,
        finished_at=now if body.dry_run else None,
    )
    session.add(run)
    await session.flush()
    if body.dry_run:
        return run
    await _queue_rows(session, run=run, account=account, emails=queued)
    refused = [e for e in emails if e.id in selection.refused]
    for row in await _queue_rows(session, run=run, account=account, emails=refused, start=len(queued)):
        row.state, row.reason, row.permanent = "failed", selection.refused[row.email_id], True
    job = submit(
        session,
        kind=SEND_JOB if body.kind == "send" else DRAFT_JOB,
        payload={"run_id": run.id},
        fair_key=user_id,
        max_attempts=JOB_ATTEMPTS,
    )
    await session.flush()
    run.job_id = job.id
    if not queued:
        run.status, run.finished_at = "done", now
    return run


async def _queue_rows(
    session: AsyncSession, *, run: MailRun, account: MailAccount, emails: list[Email], start: int = 0
) -> list[MailDelivery]:
    existing = {
        row.email_id: row
        for row in await session.scalars(
            select(MailDelivery).where(
                MailDelivery.account_id == account.id,
                MailDelivery.kind == run.kind,
                MailDelivery.email_id.in_([e.id for e in emails]),
            )
        )
    }
    rows: list[MailDelivery] = []
    for position, email in enumerate(emails, start):
        row = existing.get(email.id)
        if row is None:
            row = MailDelivery(
                user_id=run.user_id,
                account_id=account.id,
                email_id=email.id,
                kind=run.kind,
                message_id=stable_message_id(email.id, _domain(account.address)),
                attempts=0,
                permanent=False,
            )
            session.add(row)
        row.run_id = run.id
        row.position = position
        row.state = "queued"
        row.reason = None
        row.to_address = (email.recipient_email or "").strip()
        rows.append(row)
    return rows


async def run_out(session: AsyncSession, run: MailRun, *, preview: bool = False) -> MailRunOut:
    """The run as the API shows it: every selected email with its state, counts, and a preview for dry runs."""
    emails = {e.id: e for e in await session.scalars(select(Email).where(Email.id.in_(run.email_ids or [])))}
    rows = {
        row.email_id: row for row in await session.scalars(select(MailDelivery).where(MailDelivery.run_id == run.id))
    }
    skipped = {entry["email_id"]: entry["reason"] for entry in run.skipped or []}
    items: list[RunItemOut] = []
    previews: list[PreviewOut] = []
    for email_id in run.email_ids or []:
        email = emails.get(email_id)
        if email is None:  # deleted since
            continue
        row = rows.get(email_id)
        if email_id in skipped:
            state, reason = "skipped", skipped[email_id]
        elif row is not None:
            state, reason = row.state, row.reason
        elif run.dry_run:
            state, reason = "queued", None
        else:  # taken over by a later run
            state, reason = "skipped", "Moved to a later run."
        to = (email.recipient_email or "").strip() or None
        items.append(
            RunItemOut(
                email_id=email.id,
                recipient_name=email.recipient_name,
                to_address=to,
                subject=email.subject,
                state=state,
                reason=reason,
            )
        )
        if run.dry_run and state == "queued" and to:
            previews.append(PreviewOut(to=_display_to(email, to), subject=email.subject, body=email.email_message))
    counts = Counter(item.state for item in items)
    for state in ("queued", "sending", "sent", "drafted", "failed", "skipped", "uncertain", "bounced"):
        counts.setdefault(state, 0)
    return MailRunOut(
        id=run.id,
        account_id=run.account_id,
        kind=run.kind,
        batch_id=run.batch_id,
        dry_run=run.dry_run,
        status=run.status,
        words=run.words,
        limit=run.limit,
        total=len(items),
        counts=dict(counts),
        items=items,
        preview=previews if run.dry_run or preview else None,
        next_attempt_at=run.next_attempt_at,
        created_at=run.created_at,
        finished_at=run.finished_at,
    )


def _display_to(email: Email, address: str) -> str:
    return f"{email.recipient_name} <{address}>" if email.recipient_name else address


async def list_runs(session: AsyncSession, *, user_id: str, batch_id: str | None, limit: int) -> list[MailRun]:
    """The user's runs, newest first; only those of one batch when `batch_id` is given."""
    query = select(MailRun).where(MailRun.user_id == user_id)
    if batch_id:
        query = query.where(MailRun.batch_id == batch_id)
    return list(await session.scalars(query.order_by(MailRun.created_at.desc()).limit(limit)))


async def owned_run(session: AsyncSession, *, user_id: str, run_id: str) -> MailRun:
    run = await session.scalar(select(MailRun).where(MailRun.id == run_id, MailRun.user_id == user_id))
    if run is None:
        raise NotFound("No such mail run.")
    return run


async def cancel_run(session: AsyncSession, run: MailRun, *, now: datetime | None = None) -> None:
    """Stop a run between messages: the worker checks the status before each one; queued rows stay for later runs."""
    if run.status in FINISHED_RUN:
        return
    run.status, run.finished_at = "cancelled", now or utcnow()
    run.words = "Cancelled: nothing more goes out from this run."
    if run.job_id:
        from scriptorium.core.jobs import cancel

        await cancel(session, job_id=run.job_id)


__all__ = ["DRAFT_JOB", "SEND_COUNTED", "SEND_JOB", "cancel_run", "create_run", "owned_run", "run_out"]
