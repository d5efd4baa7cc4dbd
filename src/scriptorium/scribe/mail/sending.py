"""The send worker: one message at a time, within the account's limits, never the same email twice.

Each message goes through three commits. (1) Under a lock on the account row, the next queued row is checked
against the sliding 60-second window and the 24-hour cap (`limits.next_slot`, counted from the database) and moved
`queued -> sending` with its start time, by a conditional UPDATE that only one worker can win. (2) SMTP. (3) The
row becomes `sent` (or `failed` with the reason, or back to `queued` when the server asked to wait).

A worker killed between (1) and (3) leaves a `sending` row. The next worker to pick the run up looks for its
Message-ID in the Sent folder over IMAP: found, it is `sent`; not found (or IMAP unreachable), it is `uncertain`
and is never retried automatically: a student is better served by one email to check than by two in an inbox.

`ServiceUnavailable` (421, 4xx, provider quota) puts the row back and pauses the run for the server's
`retry_after`, or an exponential backoff without one; a long pause (or a full daily cap) ends the job and
schedules a new one for when sending may resume (`jobs.py`), freeing the worker meanwhile.
"""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.scribe.mail.errors import (
    ConnectionFailed,
    MailboxFull,
    MailError,
    RecipientRefused,
    ServiceUnavailable,
)
from scriptorium.scribe.mail.limits import DAY, next_slot
from scriptorium.scribe.mail.queries import SEND_COUNTED, attempts_since, is_sendable
from scriptorium.scribe.mail.servers import MailboxConfig
from scriptorium.scribe.mail.smtp import Sender
from scriptorium.scribe.mail.work import (
    MailDeps,
    Outcome,
    finish_run,
    next_queued,
    outgoing,
    start_run,
    unbuildable_words,
)
from scriptorium.scribe.models import Email, MailAccount, MailDelivery, MailRun

log = logging.getLogger(__name__)

BACKOFF_START = 60.0
BACKOFF_CAP = 3600.0
MAX_TEMPORARY_REFUSALS = 6
"""A message the server keeps refusing for now this many times is failed (not permanently) and the run goes on."""


def backoff(attempt: int) -> float:
    return float(min(BACKOFF_CAP, BACKOFF_START * 2 ** max(0, attempt - 1)))


async def work_send_run(deps: MailDeps, run_id: str) -> Outcome:
    config = await start_run(deps, run_id)
    if isinstance(config, Outcome):
        return config
    await resolve_interrupted(deps, run_id, config)
    async with AsyncExitStack() as connections:
        sender: Sender | None = None
        while True:
            await deps.still_ours()
            step = await _claim_next(deps, run_id)
            if isinstance(step, Outcome):
                return step
            if isinstance(step, float):
                await deps.clock.sleep(step)
                continue
            row_id, message = step
            try:
                if sender is None:
                    sender = await connections.enter_async_context(deps.sender(config.smtp))
                await sender.send(message)
            except ServiceUnavailable as exc:
                await connections.aclose()
                sender = None
                pause = await _put_back(deps, row_id, exc)
                if pause is None:
                    continue
                if pause > deps.settings.mail_inline_wait_seconds:
                    resume_at = deps.clock.now() + timedelta(seconds=pause)
                    return await finish_run(deps, run_id, "paused", _paused_words(exc, pause), resume_at)
                await _note(deps, run_id, _paused_words(exc, pause))
                await deps.clock.sleep(pause)
                continue
            except (RecipientRefused, MailboxFull) as exc:
                await _settle(deps, row_id, "failed", exc.words, permanent=True)
                continue
            except ConnectionFailed as exc:
                await connections.aclose()
                sender = None
                if exc.uncertain:
                    await _settle(deps, row_id, "uncertain", _uncertain_words(exc.words))
                    continue
                await _settle(deps, row_id, "queued", None, count_attempt=False)
                return await finish_run(deps, run_id, "failed", exc.words)
            except MailError as exc:  # auth refused, TLS mismatch, host refused: nothing will work until fixed
                await _settle(deps, row_id, "queued", None, count_attempt=False)
                return await finish_run(deps, run_id, "failed", exc.words)
            await _settle(deps, row_id, "sent", None)


async def _claim_next(deps: MailDeps, run_id: str) -> Outcome | float | tuple[str, EmailMessage]:
    """Move the next queued row to `sending` (committed before SMTP), or say how long to wait, or end the run."""
    async with deps.sessionmaker() as session, session.begin():
        run = await session.get(MailRun, run_id, populate_existing=True)
        if run is None or run.status == "cancelled":
            return Outcome("cancelled")
        account = await session.scalar(
            select(MailAccount)
            .where(MailAccount.id == run.account_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if account is None:
            return Outcome("cancelled")
        found = await next_queued(session, run_id)
        if found is None:
            run.status, run.finished_at, run.words = "done", deps.clock.now(), None
            return Outcome("done")
        row, email = found
        refusal = await _refusal(session, row, email)
        if refusal is not None:
            row.state, row.reason, row.permanent = refusal
            return 0.0  # look at the next one
        now = deps.clock.now()
        attempts = await attempts_since(session, account_id=account.id, since=now - DAY)
        wait = next_slot(attempts, now=now, rate_per_minute=account.rate_per_minute, daily_cap=account.daily_cap)
        if not wait.ready:
            if wait.why == "daily_cap" or wait.seconds > deps.settings.mail_inline_wait_seconds:
                resume_at = now + timedelta(seconds=wait.seconds)
                run.status, run.next_attempt_at = "paused", resume_at
                run.words = (
                    f"Paused: the daily cap of {account.daily_cap} messages from this account is reached. "
                    "Sending resumes by itself when it allows."
                    if wait.why == "daily_cap"
                    else f"Paused for the rate limit of {account.rate_per_minute} per minute."
                )
                return Outcome("paused", resume_at)
            return wait.seconds
        try:
            message = outgoing(account, email, row)
        except ValueError as exc:  # an address or header the message format refuses: this email only
            row.state, row.reason, row.permanent = "failed", f"{unbuildable_words(exc)}", True
            return 0.0
        claimed = await session.execute(
            update(MailDelivery)
            .where(MailDelivery.id == row.id, MailDelivery.state == "queued")
            .values(state="sending", attempted_at=now, attempts=MailDelivery.attempts + 1, reason=None)
            .execution_options(synchronize_session=False)
        )
        if int(getattr(claimed, "rowcount", 0) or 0) != 1:
            return 0.0  # another worker took it: look again
        return row.id, message


async def _refusal(session: AsyncSession, row: MailDelivery, email: Email) -> tuple[str, str, bool] | None:
    """Why this queued email must not go now, checked at the last moment (state, reason, permanent), or None.

    Approval is checked again (an approved email edited while its run waited goes out only when approved again),
    and so are the other accounts (a send of the same email from another of the user's accounts won the race).
    """
    if not is_sendable(email):
        return "failed", "Edited since you approved it: read it and approve it again, then send it.", False
    elsewhere = await session.scalar(
        select(MailDelivery.id)
        .where(
            MailDelivery.email_id == row.email_id,
            MailDelivery.kind == "send",
            MailDelivery.id != row.id,
            MailDelivery.state.in_(SEND_COUNTED),
        )
        .limit(1)
    )
    if elsewhere is not None:
        return "skipped", "Already sent from another of your accounts.", False
    return None


async def _settle(
    deps: MailDeps, row_id: str, state: str, reason: str | None, *, permanent: bool = False, count_attempt: bool = True
) -> None:
    async with deps.sessionmaker() as session, session.begin():
        row = await session.get(MailDelivery, row_id, populate_existing=True)
        if row is None:
            return
        row.state, row.reason, row.permanent = state, reason, permanent
        if state in ("sent", "uncertain"):
            row.done_at = deps.clock.now()
        if not count_attempt:
            row.attempted_at = None
            row.attempts = max(0, row.attempts - 1)


async def _put_back(deps: MailDeps, row_id: str, exc: ServiceUnavailable) -> float | None:
    """The server refused for now: the row goes back to `queued` (it was not accepted, so it does not count
    against the limits). Returns the pause, or None when the row was failed after too many refusals."""
    async with deps.sessionmaker() as session, session.begin():
        row = await session.get(MailDelivery, row_id, populate_existing=True)
        if row is None:
            return None
        row.attempted_at = None
        if row.attempts >= MAX_TEMPORARY_REFUSALS:
            row.state, row.reason = "failed", f"The server kept refusing it for now: {exc.words}"
            return None
        row.state, row.reason = "queued", exc.words
        wanted = backoff(row.attempts)
        return max(exc.retry_after_seconds, 0.0) if exc.retry_after_seconds is not None else wanted


async def _note(deps: MailDeps, run_id: str, words: str) -> None:
    async with deps.sessionmaker() as session, session.begin():
        run = await session.get(MailRun, run_id, populate_existing=True)
        if run is not None and run.status == "running":
            run.words = words


def _paused_words(exc: ServiceUnavailable, pause: float) -> str:
    return f"Paused for {round(pause)} s: the server asked to wait ({exc.words})"


def _uncertain_words(words: str) -> str:
    return f"{words} The server may have accepted it: check your Sent folder. Scribe will not send it again by itself."


async def resolve_interrupted(deps: MailDeps, run_id: str, config: MailboxConfig) -> int:
    """Settle this run's `sending` rows left by a killed worker: in the Sent folder means sent, else uncertain."""
    async with deps.sessionmaker() as session:
        rows = list(
            await session.scalars(
                select(MailDelivery).where(MailDelivery.run_id == run_id, MailDelivery.state == "sending")
            )
        )
    if not rows:
        return 0
    found: dict[str, bool] = {}
    problem: str | None = None
    try:
        async with deps.mailbox(config.imap) as box:
            sent_folder = await box.folder_for("\\Sent")
            for row in rows:
                found[row.id] = await box.has_message_id(sent_folder, row.message_id)
    except MailError as exc:
        problem = exc.words
    for row in rows:
        if found.get(row.id):
            await _settle(deps, row.id, "sent", "Found in your Sent folder after an interruption.")
        else:
            why = problem or "Scribe was stopped while sending it and it is not in your Sent folder."
            await _settle(deps, row.id, "uncertain", _uncertain_words(why))
    log.warning("mail run %s resumed: %d interrupted send(s) settled", run_id, len(rows))
    return len(rows)
