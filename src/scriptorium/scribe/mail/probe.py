"""The "test connection" button and `doctor`: log in to IMAP and SMTP and say, in words, what to fix.

Both protocols are tried at the same time and each gets its own verdict, because they fail independently (IMAP
turned off while SMTP works is common on Gmail). Nothing is sent and nothing is written: IMAP logs in and looks
for the Drafts folder (drafts need it) and the Sent folder (an interrupted send is looked for there), SMTP
connects, upgrades to TLS if asked, logs in and quits.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from scriptorium.core.settings import Settings
from scriptorium.scribe.mail.errors import MailError, NoSpecialFolder
from scriptorium.scribe.mail.imap import decode_folder_name, open_mailbox
from scriptorium.scribe.mail.servers import MailboxConfig
from scriptorium.scribe.mail.smtp import open_sender


@dataclass(frozen=True)
class ProtocolCheck:
    ok: bool
    words: str
    kind: str = "ok"
    """"ok", or the failing `MailError.kind` (auth_refused, tls_mismatch, imap_disabled, …)."""


@dataclass(frozen=True)
class ConnectionReport:
    imap: ProtocolCheck
    smtp: ProtocolCheck

    @property
    def ok(self) -> bool:
        return self.imap.ok and self.smtp.ok


async def check_imap(cfg: MailboxConfig, settings: Settings) -> ProtocolCheck:
    sent_note = ""
    try:
        async with open_mailbox(cfg.imap, settings=settings) as box:
            drafts = await box.folder_for("\\Drafts")
            try:
                await box.folder_for("\\Sent")
            except NoSpecialFolder:
                sent_note = (
                    " No folder is marked as Sent, so a send cut off midway cannot be checked there: such an "
                    "email is marked uncertain for you to check."
                )
    except MailError as exc:
        return ProtocolCheck(False, exc.words, exc.kind)
    shown = decode_folder_name(drafts)
    return ProtocolCheck(True, f"IMAP works: signed in, and drafts will go to your “{shown}” folder.{sent_note}")


async def check_smtp(cfg: MailboxConfig, settings: Settings) -> ProtocolCheck:
    try:
        async with open_sender(cfg.smtp, settings=settings):
            pass
    except MailError as exc:
        return ProtocolCheck(False, exc.words, exc.kind)
    return ProtocolCheck(True, "SMTP works: signed in; nothing was sent.")


async def test_connection(cfg: MailboxConfig, *, settings: Settings) -> ConnectionReport:
    """Check IMAP and SMTP for `cfg`; never raises for a mail failure (each verdict carries its words)."""
    imap, smtp = await asyncio.gather(check_imap(cfg, settings), check_smtp(cfg, settings))
    return ConnectionReport(imap=imap, smtp=smtp)


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test, despite its name
