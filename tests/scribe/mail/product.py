"""Helpers for the mail product tests: a migrated database with a user, a batch of finished emails, and a mail
account on the twins (written straight to the tables: these tests are about mail, not generation).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from scriptorium.core.db import create_engine, create_sessionmaker, new_id
from scriptorium.core.jobs import Job
from scriptorium.core.models import User
from scriptorium.core.settings import Settings
from scriptorium.scribe.mail.accounts import create_account
from scriptorium.scribe.mail.limits import FakeClock
from scriptorium.scribe.mail.runs import create_run
from scriptorium.scribe.mail.schemas import MailAccountIn, MailRunIn, ServerIn
from scriptorium.scribe.mail.servers import MailboxConfig
from scriptorium.scribe.mail.work import MailDeps
from scriptorium.scribe.models import Email, MailAccount, QueueItem, Recipient
from tests.migrated_template import migrate


@dataclass
class MailDb:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]

    def deps(self, clock: FakeClock | None = None) -> MailDeps:
        return MailDeps(sessionmaker=self.sessionmaker, settings=self.settings, clock=clock or FakeClock())

    async def count(self, model: type, *conditions: Any) -> int:
        async with self.sessionmaker() as session:
            return int(await session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0)


@asynccontextmanager
async def mail_db(settings: Settings) -> AsyncIterator[MailDb]:
    migrate(settings)
    engine = create_engine(settings)
    try:
        yield MailDb(settings, engine, create_sessionmaker(engine))
    finally:
        await engine.dispose()


async def add_user(db: MailDb, user_id: str | None = None) -> str:
    user_id = user_id or new_id()
    async with db.sessionmaker() as session, session.begin():
        session.add(User(id=user_id, email=f"{user_id[:8]}@example.org", display_name="Student"))
    return user_id


async def add_batch(
    db: MailDb, user_id: str, count: int, *, confident: bool = True, prefix: str = "Prof"
) -> tuple[str, list[str]]:
    """`count` finished emails in one batch, each to its own recipient with an address; returns (batch, email ids)."""
    batch_id = new_id()
    ids: list[str] = []
    async with db.sessionmaker() as session, session.begin():
        for n in range(count):
            name = f"{prefix} Number {n}"
            address = f"{prefix.lower()}{n}@faraway.test"
            recipient = Recipient(
                user_id=user_id,
                name=name,
                interest="glaciers",
                email=address,
                dedupe_key=address,
                name_key=name.lower(),
            )
            job = Job(kind="scribe.generate", payload={}, status="done")
            session.add_all([recipient, job])
            await session.flush()
            item = QueueItem(
                user_id=user_id,
                job_id=job.id,
                recipient_id=recipient.id,
                batch_id=batch_id,
                recipient_name=name,
                recipient_interest="glaciers",
                email_template="Hello {{name}}",
                status="completed" if confident else "needs_review",
            )
            session.add(item)
            await session.flush()
            email = Email(
                user_id=user_id,
                recipient_id=recipient.id,
                queue_item_id=item.id,
                recipient_name=name,
                recipient_interest="glaciers",
                recipient_email=address,
                subject=f"A question about glaciers ({n})",
                email_message=f"Dear {name},\n\nCould I ask you about glacier acoustics?\n\nThanks,\nAna",
                template_type="general",
                status="completed" if confident else "needs_review",
                is_confident=confident,
                review_reasons=[] if confident else ["a claim needs checking"],
            )
            session.add(email)
            await session.flush()
            item.email_id = email.id
            ids.append(email.id)
    return batch_id, ids


def account_body(config: MailboxConfig) -> MailAccountIn:
    return MailAccountIn(
        label="Uni mail",
        address=config.address,
        display_name=config.display_name,
        imap=ServerIn(host=config.imap.host, port=config.imap.port, tls=config.imap.tls, username=config.imap.username),
        smtp=ServerIn(host=config.smtp.host, port=config.smtp.port, tls=config.smtp.tls, username=config.smtp.username),
        password=config.imap.password,
    )


async def add_account(
    db: MailDb, user_id: str, config: MailboxConfig, *, sending: bool = True, rate: int = 5, cap: int = 50
) -> str:
    """An account on the twins (sending on, deliverability overridden: the worker tests skip those guards)."""
    async with db.sessionmaker() as session, session.begin():
        account = create_account(session, settings=db.settings, user_id=user_id, body=account_body(config))
        account.sending_enabled = sending
        account.rate_per_minute = rate
        account.daily_cap = cap
        account.deliverability_override_reason = "test domain"
        account.deliverability = {"would_fail": False, "words": "ok"}
        await session.flush()
        return account.id


async def account(db: MailDb, account_id: str) -> MailAccount:
    async with db.sessionmaker() as session:
        found = await session.get(MailAccount, account_id)
        assert found is not None
        return found


async def verdict_ok(account: MailAccount) -> dict[str, Any]:
    """A domain check that passes (the worker tests do not test deliverability)."""
    return {"would_fail": False, "words": "ok"}


async def start_draft_run(db: MailDb, user_id: str, account_id: str, batch_id: str) -> str:
    async with db.sessionmaker() as session, session.begin():
        account = await session.get(MailAccount, account_id)
        assert account is not None
        body = MailRunIn(account_id=account_id, kind="draft", batch_id=batch_id, dry_run=False)
        run = await create_run(session, user_id=user_id, account=account, body=body, check_domain=verdict_ok)
        return run.id


async def start_send_run(db: MailDb, user_id: str, account_id: str, batch_id: str, *, limit: int | None = None) -> str:
    """A dry run, then the real run (as the API requires), with `limit` raised past the first-send limit."""
    async with db.sessionmaker() as session, session.begin():
        account = await session.get(MailAccount, account_id)
        assert account is not None
        for dry in (True, False):
            body = MailRunIn(account_id=account_id, kind="send", batch_id=batch_id, dry_run=dry, limit=limit or 1000)
            run = await create_run(session, user_id=user_id, account=account, body=body, check_domain=verdict_ok)
        return run.id


async def send_run(db: MailDb, config: MailboxConfig, count: int, *, rate: int, cap: int = 50) -> str:
    """A user, a batch of `count` confident emails, an account on the twins and a started send run; its id."""
    user = await add_user(db)
    batch, _ = await add_batch(db, user, count)
    account_id = await add_account(db, user, config, rate=rate, cap=cap)
    return await start_send_run(db, user, account_id, batch)
