"""Drafts: a batch goes to the Drafts folder (found by its special-use flag) once, however often it is asked for."""

from __future__ import annotations

from scriptorium.core.settings import Settings
from scriptorium.scribe.mail.drafting import work_draft_run
from scriptorium.scribe.mail.runs import run_out
from scriptorium.scribe.mail.servers import MailboxConfig
from scriptorium.scribe.models import MailDelivery, MailRun
from tests.scribe.mail.product import add_account, add_batch, add_user, mail_db, start_draft_run
from tests.twins.imap import ImapTwin


async def test_a_batch_of_20_drafted_twice_leaves_20_drafts(
    mail_settings: Settings, mail_twins: MailboxConfig, imap_twin: ImapTwin
) -> None:
    async with mail_db(mail_settings) as db:
        user = await add_user(db)
        batch, _ = await add_batch(db, user, 20)
        account_id = await add_account(db, user, mail_twins)
        drafts = imap_twin.folder_with("\\Drafts").name

        first = await start_draft_run(db, user, account_id, batch)
        assert (await work_draft_run(db.deps(), first)).status == "done"
        second = await start_draft_run(db, user, account_id, batch)
        assert (await work_draft_run(db.deps(), second)).status == "done"

        stored = imap_twin.messages(drafts)
        assert len(stored) == 20
        assert len({m.message_id for m in stored}) == 20
        assert all("\\Draft" in m.flags for m in stored)
        assert imap_twin.messages("Drafts") == [], "the decoy folder named Drafts is not the \\Drafts one"
        async with db.sessionmaker() as session:
            run = await session.get(MailRun, second)
            assert run is not None
            shown = await run_out(session, run)
        assert shown.counts["skipped"] == 20
        assert {item.reason for item in shown.items} == {"Already in your Drafts."}
        assert await db.count(MailDelivery, MailDelivery.state == "drafted") == 20
        subjects = sorted(m.message()["Subject"] for m in stored)
        assert subjects[0].startswith("A question about glaciers")


async def test_a_draft_appended_before_a_crash_is_found_not_appended_again(
    mail_settings: Settings, mail_twins: MailboxConfig, imap_twin: ImapTwin
) -> None:
    """Kill between APPEND and the commit that records it: the row is still queued, the draft is in the folder."""
    async with mail_db(mail_settings) as db:
        user = await add_user(db)
        batch, _ = await add_batch(db, user, 3)
        account_id = await add_account(db, user, mail_twins)
        run_id = await start_draft_run(db, user, account_id, batch)
        drafts = imap_twin.folder_with("\\Drafts").name
        async with db.sessionmaker() as session:
            from sqlalchemy import select

            row = (await session.scalars(select(MailDelivery).where(MailDelivery.run_id == run_id))).first()
            assert row is not None
            mid = row.message_id
        imap_twin.add(drafts, f"Message-ID: {mid}\r\nSubject: x\r\n\r\nbody\r\n".encode(), ("\\Draft",))

        assert (await work_draft_run(db.deps(), run_id)).status == "done"
        assert len(imap_twin.messages(drafts)) == 3
        assert [m.message_id for m in imap_twin.messages(drafts)].count(mid) == 1


async def test_a_full_mailbox_fails_the_run_in_words(
    mail_settings: Settings, mail_twins: MailboxConfig, imap_twin: ImapTwin
) -> None:
    async with mail_db(mail_settings) as db:
        user = await add_user(db)
        batch, _ = await add_batch(db, user, 2)
        account_id = await add_account(db, user, mail_twins)
        run_id = await start_draft_run(db, user, account_id, batch)
        imap_twin.over_quota = True

        assert (await work_draft_run(db.deps(), run_id)).status == "failed"
        async with db.sessionmaker() as session:
            run = await session.get(MailRun, run_id)
            assert run is not None and run.words
            assert "full" in run.words.lower() or "quota" in run.words.lower()
        assert await db.count(MailDelivery, MailDelivery.state == "failed") == 1
        assert await db.count(MailDelivery, MailDelivery.state == "queued") == 1
