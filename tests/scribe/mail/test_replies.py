"""The replies scan marks recipients who answered (In-Reply-To or only References) and addresses that bounced;
the scan job schedules the account's next scan."""

from __future__ import annotations

from sqlalchemy import select

from scriptorium.core.jobs import Job
from scriptorium.core.settings import Settings
from scriptorium.scribe.mail.drafting import work_draft_run
from scriptorium.scribe.mail.jobs import REPLIES_JOB, schedule_reply_scan
from scriptorium.scribe.mail.limits import FakeClock
from scriptorium.scribe.mail.queries import mail_states
from scriptorium.scribe.mail.replies import scan_replies
from scriptorium.scribe.mail.sending import work_send_run
from scriptorium.scribe.mail.servers import MailboxConfig
from scriptorium.scribe.models import Email, MailDelivery, Recipient
from tests.scribe.mail.product import add_account, add_batch, add_user, mail_db, start_draft_run, start_send_run
from tests.twins.imap import ImapTwin
from tests.twins.smtp import SmtpTwin


async def test_replies_and_bounces_mark_the_recipient_and_the_email(
    mail_settings: Settings, mail_twins: MailboxConfig, imap_twin: ImapTwin, smtp_twin: SmtpTwin
) -> None:
    async with mail_db(mail_settings) as db:
        user = await add_user(db)
        batch, ids = await add_batch(db, user, 4)
        account_id = await add_account(db, user, mail_twins, rate=100)
        clock = FakeClock()
        clock.current = clock.current.replace(year=2026, month=12, day=1)
        await work_send_run(db.deps(clock), await start_send_run(db, user, account_id, batch))
        async with db.sessionmaker() as session:
            mids = {
                row.email_id: row.message_id
                for row in await session.scalars(select(MailDelivery).where(MailDelivery.state == "sent"))
            }
        assert len(mids) == 4
        imap_twin.inject_reply(mids[ids[0]])
        imap_twin.inject_reply(mids[ids[1]], via="references")
        imap_twin.inject_bounce(mids[ids[2]], recipient="prof2@faraway.test")
        imap_twin.inject_reply(mids[ids[3]], from_address=mail_twins.address)  # the student's own follow-up

        result = await scan_replies(db.deps(clock), account_id)

        assert (result.asked, result.replied, result.bounced) == (4, 2, 1)
        async with db.sessionmaker() as session:
            emails = {e.id: e for e in await session.scalars(select(Email))}
            people = {r.id: r for r in await session.scalars(select(Recipient))}
            states = await mail_states(session, user_id=user, email_ids=ids)

        def person(email_id: str) -> Recipient:
            recipient_id = emails[email_id].recipient_id
            assert recipient_id is not None
            return people[recipient_id]

        assert person(ids[0]).replied_at is not None and person(ids[1]).replied_at is not None
        assert person(ids[2]).bounced_at is not None and person(ids[2]).replied_at is None
        assert person(ids[3]).replied_at is None, "a message from the student is not a reply"
        assert states[ids[0]].replied_at is not None and states[ids[2]].state == "bounced"
        again = await scan_replies(db.deps(clock), account_id)
        assert (again.replied, again.bounced) == (0, 0), "each is counted once"


async def test_a_reply_to_a_draft_the_student_sent_by_hand_is_noticed(
    mail_settings: Settings, mail_twins: MailboxConfig, imap_twin: ImapTwin
) -> None:
    async with mail_db(mail_settings) as db:
        user = await add_user(db)
        batch, _ = await add_batch(db, user, 1)
        account_id = await add_account(db, user, mail_twins)
        await work_draft_run(db.deps(), await start_draft_run(db, user, account_id, batch))
        (draft,) = imap_twin.messages(imap_twin.folder_with("\\Drafts").name)
        imap_twin.inject_reply(draft.message_id)

        assert (await scan_replies(db.deps(), account_id)).replied == 1
        async with db.sessionmaker() as session:
            assert (await session.scalars(select(Recipient.replied_at))).one() is not None


async def test_the_next_scan_is_scheduled_once(mail_settings: Settings, mail_twins: MailboxConfig) -> None:
    async with mail_db(mail_settings) as db:
        user = await add_user(db)
        account_id = await add_account(db, user, mail_twins)
        now = FakeClock().now()
        for _ in range(2):
            async with db.sessionmaker() as session, session.begin():
                await schedule_reply_scan(session, settings=db.settings, account_id=account_id, now=now)
        async with db.sessionmaker() as session:
            jobs = list(await session.scalars(select(Job).where(Job.kind == REPLIES_JOB)))
        assert len(jobs) == 1
        assert jobs[0].payload == {"account_id": account_id}
        assert jobs[0].not_before is not None
        assert (jobs[0].not_before - now).total_seconds() == db.settings.mail_reply_scan_minutes * 60
