"""Mail accounts: create, read, change and delete a user's mailboxes, and turn one into a transport config.

Every read filters on the owner, so someone else's account is "not found". The password is encrypted on the way
in (`secrets.py`) and only decrypted to build a `MailboxConfig` for a connection; it never leaves in a response.
Changing a server or the address forgets the last deliverability verdict: it was about the old settings.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.core.db import utcnow
from scriptorium.core.errors import NotFound
from scriptorium.core.settings import Settings
from scriptorium.scribe.mail.queries import has_sent, sent_last_day
from scriptorium.scribe.mail.schemas import MailAccountIn, MailAccountOut, MailAccountPatch, ServerOut
from scriptorium.scribe.mail.secrets import decrypt_password, encrypt_password
from scriptorium.scribe.mail.servers import MailboxConfig, MailServer, TlsMode
from scriptorium.scribe.models import MailAccount

log = logging.getLogger(__name__)

NOT_FOUND = "No such mail account."


async def owned_account(session: AsyncSession, *, user_id: str, account_id: str, lock: bool = False) -> MailAccount:
    query = select(MailAccount).where(MailAccount.id == account_id, MailAccount.user_id == user_id)
    if lock:
        query = query.with_for_update()
    account = await session.scalar(query)
    if account is None:
        raise NotFound(NOT_FOUND)
    return account


async def list_accounts(session: AsyncSession, *, user_id: str) -> list[MailAccount]:
    return list(
        await session.scalars(
            select(MailAccount).where(MailAccount.user_id == user_id).order_by(MailAccount.created_at)
        )
    )


def create_account(session: AsyncSession, *, settings: Settings, user_id: str, body: MailAccountIn) -> MailAccount:
    account = MailAccount(
        user_id=user_id,
        label=body.label,
        address=body.address.strip(),
        display_name=body.display_name,
        imap_host=body.imap.host,
        imap_port=body.imap.port,
        imap_tls=body.imap.tls,
        imap_username=body.imap.username,
        smtp_host=body.smtp.host,
        smtp_port=body.smtp.port,
        smtp_tls=body.smtp.tls,
        smtp_username=body.smtp.username,
        password_ciphertext=encrypt_password(settings, body.password),
        sending_enabled=False,
        rate_per_minute=settings.mail_rate_per_minute,
        daily_cap=settings.mail_daily_cap,
        first_send_limit=settings.mail_first_send_limit,
        dkim_selector=body.dkim_selector or None,
    )
    session.add(account)
    log.info(
        "mail account added for %s (IMAP %s:%d, SMTP %s:%d)",
        account.address,
        account.imap_host,
        account.imap_port,
        account.smtp_host,
        account.smtp_port,
        extra={"user_id": user_id},
    )
    return account


def update_account(account: MailAccount, *, settings: Settings, body: MailAccountPatch) -> None:
    """Apply the fields the request set; a changed server, address or selector voids the deliverability verdict."""
    fields = body.model_fields_set
    reset_verdict = False
    for name in ("label", "display_name", "sending_enabled", "rate_per_minute", "daily_cap", "first_send_limit"):
        if name in fields and getattr(body, name) is not None:
            setattr(account, name, getattr(body, name))
    if "address" in fields and body.address is not None and body.address.strip() != account.address:
        account.address = body.address.strip()
        reset_verdict = True
    if "dkim_selector" in fields and (body.dkim_selector or None) != account.dkim_selector:
        account.dkim_selector = body.dkim_selector or None
        reset_verdict = True
    if "deliverability_override_reason" in fields:
        account.deliverability_override_reason = (body.deliverability_override_reason or "").strip() or None
    for protocol in ("imap", "smtp"):
        patch = getattr(body, protocol)
        if patch is None:
            continue
        for part in ("host", "port", "tls", "username"):
            value = getattr(patch, part)
            if value is not None and value != getattr(account, f"{protocol}_{part}"):
                setattr(account, f"{protocol}_{part}", value)
                reset_verdict = reset_verdict or protocol == "smtp"
    if "password" in fields and body.password:
        account.password_ciphertext = encrypt_password(settings, body.password)
    if reset_verdict:
        account.deliverability = None
        account.deliverability_checked_at = None
    account.updated_at = utcnow()
    log.info("mail account %s changed: %s", account.id, ", ".join(sorted(fields)), extra={"user_id": account.user_id})


def mailbox_config(settings: Settings, account: MailAccount) -> MailboxConfig:
    """The transport's view of the account, with the password decrypted (keep it in memory only)."""
    password = decrypt_password(settings, account.password_ciphertext)

    def server(protocol: str) -> MailServer:
        tls: TlsMode = getattr(account, f"{protocol}_tls")
        return MailServer(
            host=getattr(account, f"{protocol}_host"),
            port=getattr(account, f"{protocol}_port"),
            tls=tls,
            username=getattr(account, f"{protocol}_username"),
            password=password,
        )

    return MailboxConfig(
        imap=server("imap"), smtp=server("smtp"), address=account.address, display_name=account.display_name
    )


async def account_out(session: AsyncSession, account: MailAccount) -> MailAccountOut:
    return MailAccountOut(
        id=account.id,
        label=account.label,
        address=account.address,
        display_name=account.display_name,
        imap=ServerOut(
            host=account.imap_host,
            port=account.imap_port,
            tls=account.imap_tls,
            username=account.imap_username,
        ),
        smtp=ServerOut(
            host=account.smtp_host,
            port=account.smtp_port,
            tls=account.smtp_tls,
            username=account.smtp_username,
        ),
        has_password=bool(account.password_ciphertext),
        dkim_selector=account.dkim_selector,
        sending_enabled=account.sending_enabled,
        rate_per_minute=account.rate_per_minute,
        daily_cap=account.daily_cap,
        first_send_limit=account.first_send_limit,
        has_sent=await has_sent(session, account_id=account.id),
        sent_last_24h=await sent_last_day(session, account_id=account.id, now=utcnow()),
        deliverability=account.deliverability,
        deliverability_checked_at=account.deliverability_checked_at,
        deliverability_override_reason=account.deliverability_override_reason,
        replies_scanned_at=account.replies_scanned_at,
        created_at=account.created_at,
        updated_at=account.updated_at,
    )
