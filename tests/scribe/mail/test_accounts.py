"""Accounts: a changed server forgets the old domain verdict; `doctor` logs in to every mailbox and says what to fix."""

from __future__ import annotations

from scriptorium.core.settings import Settings
from scriptorium.ops.doctor import mail as doctor_mail
from scriptorium.ops.doctor import run_doctor
from scriptorium.scribe.mail.accounts import update_account
from scriptorium.scribe.mail.schemas import MailAccountPatch, ServerPatch
from scriptorium.scribe.mail.servers import MailboxConfig
from scriptorium.scribe.models import MailAccount
from tests.scribe.mail.product import add_account, add_user, mail_db
from tests.twins.smtp import SmtpTwin


async def test_changing_the_smtp_server_or_selector_forgets_the_deliverability_verdict(
    mail_settings: Settings, mail_twins: MailboxConfig
) -> None:
    async with mail_db(mail_settings) as db:
        account_id = await add_account(db, await add_user(db), mail_twins)
        async with db.sessionmaker() as session, session.begin():
            account = await session.get(MailAccount, account_id)
            assert account is not None and account.deliverability is not None
            update_account(account, settings=db.settings, body=MailAccountPatch(label="renamed", daily_cap=20))
            assert account.deliverability is not None and account.daily_cap == 20
            update_account(account, settings=db.settings, body=MailAccountPatch(smtp=ServerPatch(port=2525)))
            assert account.deliverability is None and account.smtp_port == 2525


async def test_doctor_checks_each_mailbox_and_says_what_to_fix(
    mail_settings: Settings, mail_twins: MailboxConfig, smtp_twin: SmtpTwin
) -> None:
    async with mail_db(mail_settings) as db:
        user = await add_user(db)
        await add_account(db, user, mail_twins)
        broken = await add_account(db, user, mail_twins)
        async with db.sessionmaker() as session, session.begin():
            account = await session.get(MailAccount, broken)
            assert account is not None
            update_account(account, settings=db.settings, body=MailAccountPatch(password="not-the-app-password"))

    results = [r for r in await run_doctor(mail_settings, check_seconds=10) if r.layer == "mail"]

    assert sorted(r.status for r in results) == ["pass", "warn"]
    (warning,) = [r for r in results if r.status == "warn"]
    assert broken[:8] in warning.summary and "password" in warning.summary.lower()
    assert "not-the-app-password" not in warning.summary and mail_twins.imap.password not in warning.summary
    assert "@uni.test" in warning.summary and "Mail tab" in warning.fix


async def test_doctor_skips_mail_when_no_mailbox_is_connected(mail_settings: Settings) -> None:
    async with mail_db(mail_settings):
        pass
    results = [r for r in await run_doctor(mail_settings, check_seconds=10) if r.layer == "mail"]
    assert [(r.status, r.summary) for r in results] == [("skip", "no mail accounts connected")]
    assert doctor_mail.MAIL_ACCOUNTS_CHECKED >= 1
