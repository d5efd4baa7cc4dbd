"""The deliverability verdict for an account's domain: run the transport's SPF/DKIM/DMARC check and keep it.

The verdict is stored on the account (`deliverability`, `deliverability_checked_at`) in the shape the API returns,
so the first send from a domain runs the check once and later sends read the kept verdict; changing the address,
the SMTP server or the DKIM selector forgets it (`accounts.update_account`), and the user can re-run it any time.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from scriptorium.core.db import utcnow
from scriptorium.core.settings import Settings
from scriptorium.scribe.models import MailAccount

if TYPE_CHECKING:
    from scriptorium.scribe.mail.deliverability import Resolver


async def check_account_domain(
    settings: Settings, account: MailAccount, *, resolver: Resolver | None = None
) -> dict[str, Any]:
    """Check the account's From domain and store the verdict on `account` (the caller commits)."""
    from scriptorium.scribe.mail.deliverability import DnsResolver, check_domain  # dnspython: on first use only

    domain = account.address.rpartition("@")[2].lower()
    report = await check_domain(
        domain, account.dkim_selector, resolver or DnsResolver.from_settings(settings), smtp_host=account.smtp_host
    )
    checked_at = utcnow()
    verdict: dict[str, Any] = {
        "domain": report.domain,
        "spf": _record(report.spf),
        "dkim": _record(report.dkim),
        "dmarc": _record(report.dmarc),
        "would_fail": report.would_fail,
        "words": report.words,
    }
    account.deliverability = verdict
    account.deliverability_checked_at = checked_at
    return verdict | {"override_reason": account.deliverability_override_reason, "checked_at": checked_at}


def _record(verdict: object) -> dict[str, Any]:
    values = asdict(verdict)  # type: ignore[call-overload]
    return {key: values[key] for key in ("found", "ok", "record", "words")}
