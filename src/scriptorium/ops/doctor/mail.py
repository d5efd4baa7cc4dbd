"""The mail layer of `scriptorium doctor`: log in to each connected mailbox's IMAP and SMTP and say what to fix.

A user's mailbox that refuses its app password is that user's to fix, not a broken deployment, so a failing
account is a warning; a stored password this server cannot decrypt (SECRET_KEY changed) is named as such, since
that one is the operator's. At most `MAIL_ACCOUNTS_CHECKED` accounts are tried, oldest first, a few at a time.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from scriptorium.ops.doctor.context import Context
from scriptorium.ops.doctor.report import CheckResult, passed, skipped, warned

MAIL_ACCOUNTS_CHECKED = 20
AT_ONCE = 4


async def mail(ctx: Context) -> list[CheckResult]:
    from scriptorium.scribe.mail.accounts import mailbox_config
    from scriptorium.scribe.mail.probe import test_connection
    from scriptorium.scribe.mail.secrets import PasswordUnreadable
    from scriptorium.scribe.models import MailAccount

    async with ctx.resources.sessionmaker() as session:
        total = int(await session.scalar(select(func.count()).select_from(MailAccount)) or 0)
        accounts = list(
            await session.scalars(select(MailAccount).order_by(MailAccount.created_at).limit(MAIL_ACCOUNTS_CHECKED))
        )
    if not accounts:
        return [skipped("mail", "no mail accounts connected")]
    slots = asyncio.Semaphore(AT_ONCE)

    async def check(account: MailAccount) -> CheckResult:
        name = f"mail account {account.id[:8]} (@{account.address.rpartition('@')[2]})"
        try:
            config = mailbox_config(ctx.settings, account)
        except PasswordUnreadable:
            fix = "SECRET_KEY changed since it was stored; the user must enter the app password again"
            return warned("mail", f"{name}: its password cannot be decrypted", fix)
        async with slots:
            report = await test_connection(config, settings=ctx.settings)
        if report.ok:
            return passed("mail", f"{name}: IMAP and SMTP log in")
        problems = [f"{protocol}: {check.words}" for protocol, check in (("IMAP", report.imap), ("SMTP", report.smtp))
                    if not check.ok]  # fmt: skip
        return warned("mail", f"{name}: {'; '.join(problems)}", "the account's owner fixes it in Scribe's Mail tab")

    results = list(await asyncio.gather(*(check(account) for account in accounts)))
    if total > len(accounts):
        results.append(skipped("mail", f"{total - len(accounts)} more account(s) not checked"))
    return results
