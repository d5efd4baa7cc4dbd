"""The draft worker: put each queued email in the mailbox's Drafts folder, once.

The folder is found by its RFC 6154 `\\Drafts` flag, whatever its name. Before each APPEND the folder is searched
for the email's stable Message-ID, so a run repeated, or resumed after a kill between the APPEND and the commit
that records it, finds the draft already there instead of adding a second one. Drafts are the user's own mailbox,
so no rate limit applies; a full mailbox or a refused login stops the run with words saying what to fix.
"""

from __future__ import annotations

from scriptorium.core.jobs import RetryLater
from scriptorium.scribe.mail.errors import ConnectionFailed, MailboxFull, MailError
from scriptorium.scribe.mail.work import (
    MailDeps,
    Outcome,
    finish_run,
    load_run,
    next_queued,
    outgoing,
    start_run,
    unbuildable_words,
)
from scriptorium.scribe.models import MailDelivery


async def work_draft_run(deps: MailDeps, run_id: str) -> Outcome:
    config = await start_run(deps, run_id)
    if isinstance(config, Outcome):
        return config
    try:
        async with deps.mailbox(config.imap) as box:
            folder = await box.folder_for("\\Drafts")
            while True:
                await deps.still_ours()
                async with deps.sessionmaker() as session, session.begin():
                    loaded = await load_run(session, run_id)
                    if loaded is None or loaded[0].status == "cancelled":
                        return Outcome("cancelled")
                    found = await next_queued(session, run_id)
                    if found is None:
                        loaded[0].status, loaded[0].finished_at = "done", deps.clock.now()
                        return Outcome("done")
                    row, email = found
                    try:
                        message = outgoing(loaded[1], email, row)
                    except ValueError as exc:  # an address or header the message format refuses: this one only
                        row.state, row.reason, row.permanent = "failed", unbuildable_words(exc), True
                        continue
                    row_id, message_id = row.id, row.message_id
                already = await box.has_message_id(folder, message_id)
                if not already:
                    try:
                        await box.append(folder, message, flags=("\\Draft",))
                    except MailboxFull as exc:
                        await _mark(deps, row_id, "failed", exc.words)
                        return await finish_run(deps, run_id, "failed", exc.words)
                await _mark(deps, row_id, "drafted", "It was already in your Drafts." if already else None)
    except ConnectionFailed as exc:
        # The network or the server went away: the rows are still queued, so a retried job carries on.
        await finish_run(deps, run_id, "paused", exc.words)
        raise RetryLater(exc.words) from None
    except MailError as exc:  # login refused, IMAP off, no Drafts folder: the user must fix something first
        return await finish_run(deps, run_id, "failed", exc.words)


async def _mark(deps: MailDeps, row_id: str, state: str, reason: str | None) -> None:
    async with deps.sessionmaker() as session, session.begin():
        row = await session.get(MailDelivery, row_id, populate_existing=True)
        if row is not None:
            row.state, row.reason = state, reason
            row.done_at = deps.clock.now() if state == "drafted" else None
            row.attempts += 1
