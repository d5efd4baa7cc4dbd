"""Adversary tests for the mail product (runs, send and draft workers): data a student or a careless edit
produces, on the twins with a fake clock.

Each test was red on the product as first committed (de9c017) and is green since 8637acd:
- one recipient address the message format refuses (a non-ASCII local part, which Scribe's recipient form accepts)
  raised ValueError out of the send and draft workers, so the job crashed on that row and the batch stopped;
- an approved email edited while its run waited (daily cap) went out in its new, unapproved text;
- the same batch queued from two of the student's accounts reached each recipient twice.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from scriptorium.core.settings import Settings
from scriptorium.scribe.mail.drafting import work_draft_run
from scriptorium.scribe.mail.limits import FakeClock
from scriptorium.scribe.mail.runs import create_run, run_out
from scriptorium.scribe.mail.schemas import MailRunIn, RunItemOut
from scriptorium.scribe.mail.sending import work_send_run
from scriptorium.scribe.mail.servers import MailboxConfig
from scriptorium.scribe.models import Email, MailAccount, MailDelivery, MailRun
from tests.scribe.mail.product import (
    MailDb,
    add_account,
    add_batch,
    add_user,
    mail_db,
    send_run,
    start_send_run,
    verdict_ok,
)
from tests.twins.imap import ImapTwin
from tests.twins.smtp import SmtpTwin

UNSENDABLE_ADDRESS = "jürgen@faraway.test"
"""Accepted by Scribe's recipient form (core.addresses: a valid address), refused by `build_message` (a non-ASCII
local part needs SMTPUTF8): a German professor's address a student may well type."""


async def set_address(db: MailDb, email_id: str, address: str) -> None:
    async with db.sessionmaker() as session, session.begin():
        await session.execute(update(Email).where(Email.id == email_id).values(recipient_email=address))


async def item_of(db: MailDb, run_id: str, email_id: str) -> RunItemOut:
    """The run's picture of one email (left out when the run was made, or worked and settled)."""
    async with db.sessionmaker() as session:
        run = await session.get(MailRun, run_id)
        assert run is not None
        out = await run_out(session, run)
    return next(item for item in out.items if item.email_id == email_id)


async def states(db: MailDb) -> dict[str, MailDelivery]:
    async with db.sessionmaker() as session:
        return {row.email_id: row for row in await session.scalars(select(MailDelivery))}


async def test_one_address_the_transport_refuses_fails_alone_and_the_batch_goes_on(
    mail_settings: Settings, mail_twins: MailboxConfig, smtp_twin: SmtpTwin
) -> None:
    async with mail_db(mail_settings) as db:
        user = await add_user(db)
        batch, ids = await add_batch(db, user, 3)
        await set_address(db, ids[0], UNSENDABLE_ADDRESS)
        account_id = await add_account(db, user, mail_twins, rate=100)
        run_id = await start_send_run(db, user, account_id, batch)

        assert (await work_send_run(db.deps(), run_id)).status == "done"

        assert len(smtp_twin.wait_for(2)) == 2
        refused = await item_of(db, run_id, ids[0])
        assert refused.state in ("failed", "skipped") and refused.reason, "left out or failed, in words"


async def test_one_address_the_transport_refuses_does_not_stop_the_drafts(
    mail_settings: Settings, mail_twins: MailboxConfig, imap_twin: ImapTwin
) -> None:
    async with mail_db(mail_settings) as db:
        user = await add_user(db)
        batch, ids = await add_batch(db, user, 3)
        await set_address(db, ids[0], UNSENDABLE_ADDRESS)
        account_id = await add_account(db, user, mail_twins, sending=False)
        async with db.sessionmaker() as session, session.begin():
            account = await session.get(MailAccount, account_id)
            assert account is not None
            body = MailRunIn(account_id=account_id, kind="draft", batch_id=batch, dry_run=False)
            run = await create_run(session, user_id=user, account=account, body=body, check_domain=verdict_ok)
            run_id = run.id

        assert (await work_draft_run(db.deps(), run_id)).status == "done"

        assert len(imap_twin.folder_with("\\Drafts").messages) == 2
        refused = await item_of(db, run_id, ids[0])
        assert refused.state in ("failed", "skipped") and refused.reason, "left out or failed, in words"


async def test_an_email_edited_after_approval_while_its_run_waits_is_not_sent(
    mail_settings: Settings, mail_twins: MailboxConfig, smtp_twin: SmtpTwin
) -> None:
    async with mail_db(mail_settings) as db:
        user = await add_user(db)
        batch, ids = await add_batch(db, user, 2, confident=False)
        async with db.sessionmaker() as session, session.begin():
            await session.execute(update(Email).where(Email.id.in_(ids)).values(approved_version=Email.version))
        account_id = await add_account(db, user, mail_twins, rate=100, cap=1)
        run_id = await start_send_run(db, user, account_id, batch)
        clock = FakeClock()
        start = clock.now()
        assert (await work_send_run(db.deps(clock), run_id)).status == "paused", "the daily cap of 1 waits"
        async with db.sessionmaker() as session, session.begin():  # what the email editor does (emails.py)
            await session.execute(
                update(Email)
                .where(Email.id == ids[1])
                .values(version=Email.version + 1, subject="EDITED, never approved")
            )

        clock.current = start + timedelta(days=1)
        await work_send_run(db.deps(clock), run_id)

        subjects = [str(r.message()["Subject"]) for r in smtp_twin.received]
        assert "EDITED, never approved" not in subjects
        assert (await states(db))[ids[1]].state != "sent"


async def test_the_same_batch_from_two_accounts_reaches_each_recipient_once(
    mail_settings: Settings, mail_twins: MailboxConfig, smtp_twin: SmtpTwin
) -> None:
    async with mail_db(mail_settings) as db:
        user = await add_user(db)
        batch, _ = await add_batch(db, user, 3)
        first = await add_account(db, user, mail_twins, rate=100, cap=1)
        second_config = MailboxConfig(
            imap=mail_twins.imap, smtp=mail_twins.smtp, address="ana.other@uni.test", display_name="Ana"
        )
        second = await add_account(db, user, second_config, rate=100)
        clock = FakeClock()
        start = clock.now()
        first_run = await start_send_run(db, user, first, batch)
        assert (await work_send_run(db.deps(clock), first_run)).status == "paused", "daily cap of 1"
        second_run = await start_send_run(db, user, second, batch)  # "my other account has no cap left to wait for"
        assert (await work_send_run(db.deps(clock), second_run)).status == "done"
        for day in range(1, 5):  # the first account's cap lets one more out each day
            clock.current = start + timedelta(days=day)
            if (await work_send_run(db.deps(clock), first_run)).status == "done":
                break

        recipients = [",".join(r.rcpt_tos) for r in smtp_twin.received]
        assert len(recipients) == len(set(recipients)), f"someone got it twice: {sorted(recipients)}"
        assert set(recipients) == {f"prof{n}@faraway.test" for n in range(3)}, "and everyone got it"


async def test_a_cancelled_run_sends_nothing_more_and_its_emails_go_once_in_the_next_run(
    mail_settings: Settings, mail_twins: MailboxConfig, smtp_twin: SmtpTwin
) -> None:
    """Cancel mid-way (between messages), then start again: the rest goes once, nothing twice."""
    async with mail_db(mail_settings) as db:
        user = await add_user(db)
        batch, _ = await add_batch(db, user, 4)
        account_id = await add_account(db, user, mail_twins, rate=100, cap=2)
        clock = FakeClock()
        start = clock.now()
        run_id = await start_send_run(db, user, account_id, batch)
        assert (await work_send_run(db.deps(clock), run_id)).status == "paused"
        async with db.sessionmaker() as session, session.begin():
            run = await session.get(MailRun, run_id)
            assert run is not None
            run.status = "cancelled"
        clock.current = start + timedelta(days=1)
        assert (await work_send_run(db.deps(clock), run_id)).status == "cancelled"
        assert len(smtp_twin.received) == 2

        again = await start_send_run(db, user, account_id, batch)
        assert (await work_send_run(db.deps(clock), again)).status == "done"

        recipients = [",".join(r.rcpt_tos) for r in smtp_twin.wait_for(4)]
        assert len(recipients) == len(set(recipients)) == 4


async def test_a_server_that_says_try_again_in_0_seconds_forever_is_backed_off_not_hammered(
    mail_settings: Settings, mail_twins: MailboxConfig, smtp_twin: SmtpTwin
) -> None:
    """Before the transport read "in 0 seconds" as no hint, each refusal was retried at once: six MAIL FROMs in a
    row for each email, then every email of the batch failed in milliseconds."""
    async with mail_db(mail_settings) as db:
        run_id = await send_run(db, mail_twins, 3, rate=100)
        smtp_twin.unavailable_after = 0
        smtp_twin.unavailable_reply = "421 4.7.0 Too many messages, try again in 0 seconds"
        clock = FakeClock()

        outcome = await work_send_run(db.deps(clock), run_id)

        assert outcome.status == "paused", "a growing backoff outlasts the inline wait and frees the worker"
        assert clock.sleeps and min(clock.sleeps) >= 60, f"waits asked: {clock.sleeps}"
        assert await db.count(MailDelivery, MailDelivery.state == "failed") == 0
        assert await db.count(MailDelivery, MailDelivery.state == "queued") == 3
