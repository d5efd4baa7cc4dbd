"""The replies scan: find answers and bounces to drafted or sent emails in the mailbox, and remember them.

A reply is matched by its In-Reply-To/References naming one of our stable Message-IDs (the transport's
`find_replies`), a bounce by the delivery report that quotes one. A reply marks the delivery and the recipient
`replied_at` (Scribe then warns before writing to them again, and history shows who answered); a bounce marks
them `bounced_at` and a sent delivery `bounced`. The student's own address is ignored, so their follow-ups in a
thread are not replies. Only the last `LOOKBACK` of deliveries are asked about, which bounds each scan.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.scribe.mail.accounts import mailbox_config
from scriptorium.scribe.mail.message import normalize_message_id
from scriptorium.scribe.mail.work import MailDeps
from scriptorium.scribe.models import Email, MailAccount, MailDelivery, Recipient

log = logging.getLogger(__name__)

LOOKBACK = timedelta(days=90)
ASKED = ("sent", "drafted", "bounced")


@dataclass(frozen=True)
class ScanResult:
    asked: int
    replied: int
    bounced: int


async def scan_replies(deps: MailDeps, account_id: str) -> ScanResult:
    """Scan one account's mailbox; raises the transport's `MailError` when it cannot be read."""
    now = deps.clock.now()
    async with deps.sessionmaker() as session:
        account = await session.get(MailAccount, account_id)
        if account is None:
            return ScanResult(0, 0, 0)
        config = mailbox_config(deps.settings, account)
        rows = list(
            await session.scalars(
                select(MailDelivery).where(
                    MailDelivery.account_id == account_id,
                    MailDelivery.state.in_(ASKED),
                    MailDelivery.done_at >= now - LOOKBACK,
                )
            )
        )
    if not rows:
        await _scanned(deps, account_id)
        return ScanResult(0, 0, 0)
    since = min(row.done_at for row in rows if row.done_at is not None).date()
    async with deps.mailbox(config.imap) as box:
        found = await box.find_replies(sorted({row.message_id for row in rows}), since, ignore_from=[account.address])
    by_mid: dict[str, list[MailDelivery]] = {}
    for row in rows:
        by_mid.setdefault(normalize_message_id(row.message_id), []).append(row)
    replied = bounced = 0
    async with deps.sessionmaker() as session, session.begin():
        for hit in found:
            for row in by_mid.get(normalize_message_id(hit.message_id_replied_to), []):
                changed = await _mark(session, row.id, bounce=hit.is_bounce, at=hit.received_at)
                replied += int(changed and not hit.is_bounce)
                bounced += int(changed and hit.is_bounce)
        account_row = await session.get(MailAccount, account_id)
        if account_row is not None:
            account_row.replies_scanned_at = now
    if replied or bounced:
        log.info("mail replies scan: %d replied, %d bounced", replied, bounced, extra={"account_id": account_id})
    return ScanResult(len(rows), replied, bounced)


async def _mark(session: AsyncSession, row_id: str, *, bounce: bool, at: datetime) -> bool:
    row = await session.get(MailDelivery, row_id, populate_existing=True)
    if row is None:
        return False
    email = await session.get(Email, row.email_id)
    recipient = await session.get(Recipient, email.recipient_id) if email and email.recipient_id else None
    if bounce:
        if row.bounced_at is not None:
            return False
        row.bounced_at = at
        if row.kind == "send":
            row.state = "bounced"
        if recipient is not None and recipient.bounced_at is None:
            recipient.bounced_at = at
        return True
    if row.replied_at is not None:
        return False
    row.replied_at = at
    if recipient is not None and recipient.replied_at is None:
        recipient.replied_at = at
    return True


async def _scanned(deps: MailDeps, account_id: str) -> None:
    async with deps.sessionmaker() as session, session.begin():
        account = await session.get(MailAccount, account_id)
        if account is not None:
            account.replies_scanned_at = deps.clock.now()
