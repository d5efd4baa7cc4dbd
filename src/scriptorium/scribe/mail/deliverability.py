"""Before the first send from a domain: would receivers accept mail From it? SPF, DKIM and DMARC, explained.

Three TXT lookups (dnspython, against MAIL_DNS_NAMESERVER or the system resolver):
- SPF at `<domain>`: the one `v=spf1` record. It *can pass* when it authorises the SMTP provider: for a preset's
  SMTP host (Gmail, Outlook, Fastmail) its include (e.g. `_spf.google.com`) must be reached through `include:`
  or `redirect=` (followed up to SPF's own limit of 10 lookups); for any other server the record is taken on
  trust (Scribe cannot know that server's addresses), and `+all` passes anything. Two records are an error.
- DKIM at `<selector>._domainkey.<domain>`, only when a selector is given: it *can pass* when the key is
  published with a non-empty `p=` (an empty `p=` is a revoked key). An address on the provider's own domain
  (gmail.com through Gmail) is signed by the provider: DKIM can pass without a selector.
- DMARC at `_dmarc.<domain>`, or for a subdomain without its own record, the organisational domain's record
  (its `sp=`, else `p=`), found with the Public Suffix List: the policy is none, quarantine or reject.

`would_fail` is true exactly when
1. the DMARC policy is quarantine or reject, and neither SPF nor DKIM can pass; or
2. there is no enforcing DMARC policy, but the SPF record ends in `-all` (hard fail), SPF cannot pass, and DKIM
   cannot pass (receivers reject SPF hard fails on their own).
Everything else is sendable; the words still say what is missing (no DMARC record, `~all`, no selector). A DNS
server that does not answer raises `ConnectionFailed` (nothing is concluded from a failed lookup).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from scriptorium.core.settings import Settings
from scriptorium.scribe.mail.errors import ConnectionFailed
from scriptorium.scribe.mail.servers import PRESETS, Preset, preset_for_smtp_host
from scriptorium.scribe.pipeline.links import _psl

SPF_LOOKUP_LIMIT = 10
_TAG = re.compile(r"\s*([A-Za-z]+)\s*=\s*([^;]*)")


class Resolver(Protocol):
    """What the check needs from DNS: the TXT strings at a name ([] when there are none)."""

    async def txt(self, name: str) -> list[str]: ...


class DnsResolver:
    """`Resolver` over dnspython: a given nameserver and port, or the system's resolver."""

    def __init__(self, nameserver: str = "", port: int = 53, timeout: float = 5.0) -> None:
        import dns.asyncresolver  # ~0.3 s of imports: paid on the first check, not at server start
        import dns.resolver

        try:
            resolver = dns.asyncresolver.Resolver(configure=not nameserver)
        except dns.resolver.NoResolverConfiguration:
            resolver = dns.asyncresolver.Resolver(configure=False)
        if nameserver:
            resolver.nameservers = [nameserver]
            resolver.port = port
        resolver.lifetime = timeout
        self._resolver = resolver

    @classmethod
    def from_settings(cls, settings: Settings) -> DnsResolver:
        return cls(settings.mail_dns_nameserver, settings.mail_dns_port, min(settings.mail_timeout_seconds, 10.0))

    async def txt(self, name: str) -> list[str]:
        import dns.exception
        import dns.resolver

        try:
            answer = await self._resolver.resolve(name, "TXT")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except (dns.exception.DNSException, OSError):
            raise ConnectionFailed(
                f"The DNS lookup for {name} did not get an answer, so the domain's records could not be "
                "checked. Try again in a few minutes."
            ) from None
        return [b"".join(rdata.strings).decode("utf-8", "replace") for rdata in answer]


@dataclass(frozen=True)
class RecordVerdict:
    found: bool
    record: str | None
    ok: bool
    words: str


@dataclass(frozen=True)
class DeliverabilityReport:
    domain: str
    spf: RecordVerdict
    dkim: RecordVerdict
    dmarc: RecordVerdict
    dmarc_policy: str | None
    """"none", "quarantine", "reject", or None without a record."""
    would_fail: bool
    words: str


@dataclass(frozen=True)
class _Spf:
    verdict: RecordVerdict
    can_pass: bool
    hard_fail: bool


def _spf_records(texts: list[str]) -> list[str]:
    return [t.strip() for t in texts if t.strip().lower() == "v=spf1" or t.strip().lower().startswith("v=spf1 ")]


def _spf_targets(record: str) -> tuple[list[str], str | None]:
    """(domains named by include:/redirect=, the qualifier of `all` or None)."""
    targets: list[str] = []
    all_qualifier: str | None = None
    for term in record.split()[1:]:
        qualifier, body = (term[0], term[1:]) if term[0] in "+-~?" else ("+", term)
        lower = body.lower()
        if lower.startswith("include:"):
            targets.append(lower[8:].rstrip("."))
        elif lower.startswith("redirect="):
            targets.append(lower[9:].rstrip("."))
        elif lower == "all":
            all_qualifier = qualifier
    return targets, all_qualifier


async def _reaches(resolver: Resolver, start: list[str], wanted: str) -> bool:
    """Whether `wanted` is reached from `start` through include/redirect, within SPF's lookup limit."""
    queue, seen = list(start), set[str]()
    while queue and len(seen) < SPF_LOOKUP_LIMIT:
        name = queue.pop(0)
        if name == wanted:
            return True
        if name in seen:
            continue
        seen.add(name)
        records = _spf_records(await resolver.txt(name))
        if len(records) == 1:
            queue.extend(_spf_targets(records[0])[0])
    return False


async def _check_spf(domain: str, resolver: Resolver, preset: Preset | None) -> _Spf:
    records = _spf_records(await resolver.txt(domain))
    if not records:
        words = f"{domain} publishes no SPF record, so no server is authorised to send its mail."
        return _Spf(RecordVerdict(False, None, False, words), can_pass=False, hard_fail=False)
    if len(records) > 1:
        words = f"{domain} publishes {len(records)} SPF records; receivers treat that as an error. Keep one."
        return _Spf(RecordVerdict(True, records[0], False, words), can_pass=False, hard_fail=False)
    record = records[0]
    targets, all_qualifier = _spf_targets(record)
    hard = all_qualifier == "-"
    ending = {
        "-": "refuses every other server (-all)",
        "~": "marks other servers as suspicious (~all)",
        "?": "says nothing about other servers (?all)",
        "+": "allows every server in the world (+all), which receivers distrust",
        None: "does not say what happens to other servers",
    }[all_qualifier]
    if all_qualifier == "+":
        can_pass, covers = True, ""
    elif preset is not None:
        can_pass = await _reaches(resolver, targets, preset.spf_include)
        covers = (
            f" and includes {preset.label}'s servers ({preset.spf_include})"
            if can_pass
            else f" but does not include {preset.label}'s servers (add include:{preset.spf_include})"
        )
    else:
        can_pass = True
        covers = " (Scribe cannot tell whether it covers your SMTP server; your provider's help says what to add)"
    words = f"{domain}'s SPF record {ending}{covers}."
    return _Spf(RecordVerdict(True, record, can_pass, words), can_pass=can_pass, hard_fail=hard)


async def _check_dkim(domain: str, selector: str | None, resolver: Resolver, provider_signs: bool) -> RecordVerdict:
    if not selector:
        if provider_signs:
            return RecordVerdict(False, None, True, "Your provider signs mail from its own domain (DKIM).")
        return RecordVerdict(
            False,
            None,
            False,
            "No DKIM selector was given, so DKIM was not checked. Your provider's DKIM settings show it "
            "(Google Workspace: usually 'google'; Microsoft 365: 'selector1'; Fastmail: 'fm1').",
        )
    name = f"{selector}._domainkey.{domain}"
    records = [t for t in await resolver.txt(name) if "p=" in t.replace(" ", "").lower() or "v=dkim1" in t.lower()]
    if not records:
        return RecordVerdict(False, None, False, f"No DKIM key is published at {name}: check the selector.")
    tags = {k.lower(): v.strip() for k, v in _TAG.findall(records[0])}
    if not tags.get("p"):
        return RecordVerdict(True, records[0], False, f"The DKIM key at {name} is empty (revoked).")
    return RecordVerdict(True, records[0], True, f"A DKIM key is published at {name}: signed mail can pass.")


def organisational_domain(domain: str) -> str:
    """The registrable domain (uni.ac.uk for lab.uni.ac.uk), as DMARC uses it (the list Scribe's links use)."""
    return _psl().privatesuffix(domain) or domain


async def _check_dmarc(domain: str, resolver: Resolver) -> tuple[RecordVerdict, str | None]:
    name = f"_dmarc.{domain}"
    records = [t.strip() for t in await resolver.txt(name) if t.strip().lower().startswith("v=dmarc1")]
    tag = "p"
    org = organisational_domain(domain)
    if not records and org != domain:
        name, tag = f"_dmarc.{org}", "sp"
        records = [t.strip() for t in await resolver.txt(name) if t.strip().lower().startswith("v=dmarc1")]
    if not records:
        return RecordVerdict(
            False,
            None,
            True,
            f"{domain} publishes no DMARC policy: receivers decide on their own. Large senders are asked to "
            "publish one, but a few emails a day do not need it.",
        ), None
    tags = {k.lower(): v.strip().lower() for k, v in _TAG.findall(records[0])}
    policy = tags.get(tag) or tags.get("p") or ""
    meaning = {
        "none": "only asks for reports (p=none): failing mail is still delivered",
        "quarantine": "asks receivers to put failing mail in spam (p=quarantine)",
        "reject": "asks receivers to refuse failing mail (p=reject)",
    }.get(policy)
    if meaning is None:
        return RecordVerdict(True, records[0], False, f"The DMARC record at {name} has no valid policy."), None
    return RecordVerdict(True, records[0], True, f"{domain}'s DMARC policy {meaning}."), policy


async def check_domain(
    domain: str, dkim_selector: str | None, resolver: Resolver, *, smtp_host: str | None = None
) -> DeliverabilityReport:
    """Look up and explain SPF, DKIM and DMARC for `domain` (see the module docstring for `would_fail`).

    `smtp_host`: the account's SMTP server; a preset's host (smtp.gmail.com…) lets SPF be checked for its include.
    """
    domain = domain.strip().rstrip(".").lower()
    preset = preset_for_smtp_host(smtp_host) if smtp_host else None
    provider_signs = any(domain in p.domains for p in ([preset] if preset else PRESETS.values()))
    spf = await _check_spf(domain, resolver, preset)
    dkim = await _check_dkim(domain, dkim_selector, resolver, provider_signs)
    dmarc, policy = await _check_dmarc(domain, resolver)
    dkim_can_pass = dkim.ok
    can_pass = spf.can_pass or dkim_can_pass
    enforcing = policy in ("quarantine", "reject")
    if enforcing and not can_pass:
        would_fail = True
        words = (
            f"Mail from {domain} would likely be {'refused' if policy == 'reject' else 'put in spam'}: its DMARC "
            "policy needs SPF or DKIM to pass, and neither can. Fix the SPF record or give the DKIM selector."
        )
    elif not enforcing and spf.hard_fail and not can_pass:
        would_fail = True
        words = (
            f"Mail from {domain} would likely be refused: its SPF record refuses other servers (-all) and does "
            "not list yours, and no DKIM key can vouch for it. Fix the SPF record or give the DKIM selector."
        )
    else:
        would_fail = False
        missing = [v.words for v in (spf.verdict, dkim, dmarc) if not v.ok]
        words = f"Mail from {domain} should be accepted." + (f" To improve: {' '.join(missing)}" if missing else "")
    return DeliverabilityReport(domain, spf.verdict, dkim, dmarc, policy, would_fail, words)
