"""Sending on the SMTP twin with an injected clock: the limits take the time they say, pauses honour the server,
a refused recipient fails alone, and a send interrupted mid-way is settled from the Sent folder, never repeated.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from scriptorium.core.settings import Settings
from scriptorium.scribe.mail.limits import FakeClock
from scriptorium.scribe.mail.runs import create_run
from scriptorium.scribe.mail.schemas import MailRunIn
from scriptorium.scribe.mail.sending import work_send_run
from scriptorium.scribe.mail.servers import MailboxConfig
from scriptorium.scribe.models import MailAccount, MailDelivery, MailRun
from tests.scribe.mail.product import MailDb, add_account, add_batch, add_user, mail_db, send_run, verdict_ok
from tests.twins.imap import ImapTwin
from tests.twins.smtp import SmtpTwin


class HookedClock(FakeClock):
    """A fake clock that runs `on_sleep` at each wait (to change the twin's script while the worker waits)."""

    def __init__(self, on_sleep: Callable[[float], None]) -> None:
        super().__init__()
        self.on_sleep = on_sleep

    async def sleep(self, seconds: float) -> None:
        self.on_sleep(seconds)
        await super().sleep(seconds)


async def attempts(db: MailDb) -> list[Any]:
    async with db.sessionmaker() as session:
        rows = await session.scalars(
            select(MailDelivery.attempted_at).where(MailDelivery.state == "sent").order_by(MailDelivery.attempted_at)
        )
        return list(rows)


async def test_twenty_at_five_a_minute_take_three_minutes_and_each_goes_once(
    mail_settings: Settings, mail_twins: MailboxConfig, smtp_twin: SmtpTwin
) -> None:
    async with mail_db(mail_settings) as db:
        run_id = await send_run(db, mail_twins, 20, rate=5)
        clock = FakeClock()
        start = clock.now()

        assert (await work_send_run(db.deps(clock), run_id)).status == "done"

        received = smtp_twin.wait_for(20)
        assert len(received) == 20
        assert len({r.message_id for r in received}) == 20
        started = await attempts(db)
        assert len(started) == 20
        assert started[-1] - start == timedelta(minutes=3), "5 now, then 5 at each of minutes 1, 2 and 3"
        for index, at in enumerate(started):
            in_window = [other for other in started if at - timedelta(seconds=60) < other <= at]
            assert len(in_window) <= 5, f"message {index} was the sixth within 60 s"
        assert max(clock.sleeps) <= 60


async def test_a_421_pauses_for_the_servers_retry_after_then_carries_on(
    mail_settings: Settings, mail_twins: MailboxConfig, smtp_twin: SmtpTwin
) -> None:
    async with mail_db(mail_settings) as db:
        run_id = await send_run(db, mail_twins, 6, rate=100)
        smtp_twin.unavailable_after = 3  # "421 ... Try again in 30 seconds."

        def server_recovers(seconds: float) -> None:
            smtp_twin.unavailable_after = None

        clock = HookedClock(server_recovers)
        assert (await work_send_run(db.deps(clock), run_id)).status == "done"

        assert 30.0 in clock.sleeps, "paused for the 30 s the server asked for"
        received = smtp_twin.wait_for(6)
        assert len({r.message_id for r in received}) == 6 == len(received)


async def test_a_long_server_pause_ends_the_job_and_says_when_it_resumes(
    mail_settings: Settings, mail_twins: MailboxConfig, smtp_twin: SmtpTwin, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(**(mail_settings.model_dump(include={"fetch_allow_hosts", "mail_ca_file"})
                               | {"mail_timeout_seconds": 5.0, "mail_inline_wait_seconds": 10.0}))  # fmt: skip
    async with mail_db(settings) as db:
        run_id = await send_run(db, mail_twins, 3, rate=100)
        smtp_twin.unavailable_after = 1
        clock = FakeClock()

        outcome = await work_send_run(db.deps(clock), run_id)

        assert outcome.status == "paused"
        assert outcome.resume_at == clock.now() + timedelta(seconds=30)
        async with db.sessionmaker() as session:
            run = await session.get(MailRun, run_id)
            assert run is not None and run.status == "paused" and run.words and "wait" in run.words
        assert await db.count(MailDelivery, MailDelivery.state == "queued") == 2
        assert len(smtp_twin.received) == 1


async def test_the_daily_cap_pauses_the_run_until_the_oldest_send_is_a_day_old(
    mail_settings: Settings, mail_twins: MailboxConfig, smtp_twin: SmtpTwin
) -> None:
    async with mail_db(mail_settings) as db:
        run_id = await send_run(db, mail_twins, 5, rate=100, cap=3)
        clock = FakeClock()
        start = clock.now()

        outcome = await work_send_run(db.deps(clock), run_id)

        assert outcome.status == "paused"
        assert outcome.resume_at == start + timedelta(days=1)
        assert len(smtp_twin.received) == 3
        async with db.sessionmaker() as session:
            run = await session.get(MailRun, run_id)
            assert run is not None and run.words and "daily cap of 3" in run.words
        clock.current = start + timedelta(days=1)
        assert (await work_send_run(db.deps(clock), run_id)).status == "done"
        assert len(smtp_twin.wait_for(5)) == 5


async def test_a_refused_recipient_fails_alone_with_the_reason(
    mail_settings: Settings, mail_twins: MailboxConfig, smtp_twin: SmtpTwin
) -> None:
    async with mail_db(mail_settings) as db:
        run_id = await send_run(db, mail_twins, 3, rate=100)
        smtp_twin.rcpt_replies["prof1@faraway.test"] = "550 5.1.1 No such user here"

        assert (await work_send_run(db.deps(), run_id)).status == "done"

        async with db.sessionmaker() as session:
            failed = (await session.scalars(select(MailDelivery).where(MailDelivery.state == "failed"))).one()
        assert failed.to_address == "prof1@faraway.test" and failed.permanent and failed.reason
        assert len(smtp_twin.wait_for(2)) == 2


async def test_an_interrupted_send_is_settled_from_the_sent_folder_and_never_repeated(
    mail_settings: Settings, mail_twins: MailboxConfig, smtp_twin: SmtpTwin, imap_twin: ImapTwin
) -> None:
    """Two rows left `sending` by a killed worker: one reached the server (it is in Sent), one did not."""
    async with mail_db(mail_settings) as db:
        run_id = await send_run(db, mail_twins, 4, rate=100)
        async with db.sessionmaker() as session, session.begin():
            rows = list(await session.scalars(select(MailDelivery).order_by(MailDelivery.position)))
            rows[0].state = rows[1].state = "sending"
            delivered, lost = rows[0].message_id, rows[1].message_id
        sent_folder = imap_twin.folder_with("\\Sent").name
        imap_twin.add(sent_folder, f"Message-ID: {delivered}\r\nSubject: x\r\n\r\nbody\r\n".encode())

        assert (await work_send_run(db.deps(), run_id)).status == "done"

        received = smtp_twin.wait_for(2)
        assert {r.message_id for r in received}.isdisjoint({delivered, lost}), "neither was sent again"
        assert len(received) == 2
        async with db.sessionmaker() as session:
            states = {r.message_id: r for r in await session.scalars(select(MailDelivery))}
        assert states[delivered].state == "sent"
        assert states[lost].state == "uncertain" and "Sent folder" in (states[lost].reason or "")


async def test_a_refused_login_fails_the_run_and_keeps_every_email_queued(
    mail_settings: Settings, mail_twins: MailboxConfig, smtp_twin: SmtpTwin
) -> None:
    async with mail_db(mail_settings) as db:
        run_id = await send_run(db, mail_twins, 2, rate=100)
        smtp_twin.auth_refused = True

        assert (await work_send_run(db.deps(), run_id)).status == "failed"

        async with db.sessionmaker() as session:
            run = await session.get(MailRun, run_id)
            assert run is not None and run.words and "password" in run.words.lower()
        assert await db.count(MailDelivery, MailDelivery.state == "queued") == 2
        assert smtp_twin.received == []


async def test_a_connection_dropped_after_the_data_leaves_that_email_uncertain_and_the_rest_goes(
    mail_settings: Settings, mail_twins: MailboxConfig, smtp_twin: SmtpTwin
) -> None:
    async with mail_db(mail_settings) as db:
        run_id = await send_run(db, mail_twins, 3, rate=100)
        smtp_twin.drop_in_data = 1  # the first message's connection dies after its data was sent

        assert (await work_send_run(db.deps(), run_id)).status == "done"

        async with db.sessionmaker() as session:
            rows = list(await session.scalars(select(MailDelivery).order_by(MailDelivery.position)))
        assert [r.state for r in rows] == ["uncertain", "sent", "sent"]
        assert "Sent folder" in (rows[0].reason or "") and rows[0].attempts == 1
        delivered = [r for r in smtp_twin.wait_for(3) if not r.dropped]
        assert len(delivered) == 2 and rows[0].message_id not in {r.message_id for r in delivered}


async def test_an_address_no_message_can_carry_is_left_out_when_the_run_is_made(
    mail_settings: Settings, mail_twins: MailboxConfig
) -> None:
    from scriptorium.scribe.mail.runs import run_out
    from scriptorium.scribe.models import Email

    async with mail_db(mail_settings) as db:
        user = await add_user(db)
        batch, ids = await add_batch(db, user, 2)
        account_id = await add_account(db, user, mail_twins)
        async with db.sessionmaker() as session, session.begin():
            email = await session.get(Email, ids[0])
            assert email is not None
            email.recipient_email = "jürgen@faraway.test"  # Scribe's form takes it; an ASCII message header cannot
        async with db.sessionmaker() as session, session.begin():
            account = await session.get(MailAccount, account_id)
            assert account is not None
            body = MailRunIn(account_id=account_id, kind="send", batch_id=batch, dry_run=True, limit=5)
            run = await create_run(session, user_id=user, account=account, body=body, check_domain=verdict_ok)
            shown = await run_out(session, run)
        first, second = shown.items
        assert first.state == "skipped" and first.reason and "cannot be put in a message" in first.reason
        assert second.state == "queued" and shown.preview is not None and len(shown.preview) == 1
