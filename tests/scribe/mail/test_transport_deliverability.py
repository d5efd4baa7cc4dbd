"""SPF, DKIM and DMARC against the DNS twin: each record explained, and each branch of the would-fail rule."""

from __future__ import annotations

import pytest

from scriptorium.core.settings import Settings
from scriptorium.scribe.mail.deliverability import DnsResolver, check_domain, organisational_domain
from scriptorium.scribe.mail.errors import ConnectionFailed
from tests.twins.dns import DnsTwin

GOOGLE_SPF = "v=spf1 include:_spf.google.com -all"
DKIM_KEY = "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC"


async def test_all_good_for_gmail_workspace(dns_twin: DnsTwin, mail_settings: Settings) -> None:
    dns_twin.records.update(
        {
            "uni.test": ["google-site-verification=abc", GOOGLE_SPF],
            "google._domainkey.uni.test": [DKIM_KEY],
            "_dmarc.uni.test": ["v=DMARC1; p=reject; rua=mailto:dmarc@uni.test"],
        }
    )
    report = await check_domain(
        "Uni.Test", "google", DnsResolver.from_settings(mail_settings), smtp_host="smtp.gmail.com"
    )
    assert report.domain == "uni.test" and not report.would_fail
    assert report.spf.found and report.spf.ok and report.spf.record == GOOGLE_SPF
    assert "includes Gmail" in report.spf.words and "(-all)" in report.spf.words
    assert report.dkim.found and report.dkim.ok and "google._domainkey.uni.test" in report.dkim.words
    assert report.dmarc_policy == "reject" and "refuse failing mail" in report.dmarc.words
    assert report.words == "Mail from uni.test should be accepted."
    assert "TXT google._domainkey.uni.test" in dns_twin.queries


@pytest.mark.parametrize("policy", ["reject", "quarantine"])
async def test_enforcing_dmarc_without_spf_or_dkim_would_fail(
    dns_twin: DnsTwin, mail_settings: Settings, policy: str
) -> None:
    dns_twin.records.update({"uni.test": ["some-verification=1"], "_dmarc.uni.test": [f"v=DMARC1; p={policy}"]})
    report = await check_domain("uni.test", None, DnsResolver.from_settings(mail_settings), smtp_host="smtp.gmail.com")
    assert report.would_fail
    assert not report.spf.found and "no SPF record" in report.spf.words
    assert not report.dkim.found and "No DKIM selector" in report.dkim.words
    assert ("refused" if policy == "reject" else "put in spam") in report.words


async def test_spf_hard_fail_without_the_providers_include_would_fail(
    dns_twin: DnsTwin, mail_settings: Settings
) -> None:
    dns_twin.records.update({"uni.test": [GOOGLE_SPF], "_dmarc.uni.test": ["v=DMARC1; p=quarantine"]})
    resolver = DnsResolver.from_settings(mail_settings)
    report = await check_domain("uni.test", None, resolver, smtp_host="smtp.fastmail.com")
    assert report.would_fail and not report.spf.ok
    assert "add include:spf.messagingengine.com" in report.spf.words
    # the same domain with a published DKIM key: DKIM can pass, so DMARC can pass
    dns_twin.records["fm1._domainkey.uni.test"] = [DKIM_KEY]
    assert not (await check_domain("uni.test", "fm1", resolver, smtp_host="smtp.fastmail.com")).would_fail


async def test_spf_hard_fail_without_dmarc_would_fail_but_soft_fail_would_not(
    dns_twin: DnsTwin, mail_settings: Settings
) -> None:
    resolver = DnsResolver.from_settings(mail_settings)
    dns_twin.records["uni.test"] = ["v=spf1 ip4:192.0.2.0/24 -all"]
    hard = await check_domain("uni.test", None, resolver, smtp_host="smtp.office365.com")
    assert hard.would_fail and hard.dmarc_policy is None and not hard.dmarc.found
    assert "refuses other servers (-all)" in hard.words
    dns_twin.records["uni.test"] = ["v=spf1 ip4:192.0.2.0/24 ~all"]
    soft = await check_domain("uni.test", None, resolver, smtp_host="smtp.office365.com")
    assert not soft.would_fail and "suspicious (~all)" in soft.spf.words
    assert "To improve:" in soft.words and "no DMARC policy" in soft.dmarc.words


async def test_dmarc_none_never_fails(dns_twin: DnsTwin, mail_settings: Settings) -> None:
    dns_twin.records.update({"uni.test": ["nothing"], "_dmarc.uni.test": ["v=DMARC1; p=none"]})
    report = await check_domain("uni.test", None, DnsResolver.from_settings(mail_settings), smtp_host="smtp.gmail.com")
    assert not report.would_fail and report.dmarc_policy == "none" and "only asks for reports" in report.dmarc.words


async def test_spf_include_followed_through_nested_records(dns_twin: DnsTwin, mail_settings: Settings) -> None:
    dns_twin.records.update(
        {
            "uni.test": ["v=spf1 include:mail.uni.test -all"],
            "mail.uni.test": ["v=spf1 redirect=relay.uni.test"],
            "relay.uni.test": ["v=spf1 include:spf.protection.outlook.com ~all"],
            "_dmarc.uni.test": ["v=DMARC1; p=reject"],
        }
    )
    report = await check_domain(
        "uni.test", None, DnsResolver.from_settings(mail_settings), smtp_host="smtp.office365.com"
    )
    assert report.spf.ok and not report.would_fail


async def test_unknown_smtp_provider_trusts_an_existing_spf_record(dns_twin: DnsTwin, mail_settings: Settings) -> None:
    dns_twin.records.update({"uni.test": ["v=spf1 mx -all"], "_dmarc.uni.test": ["v=DMARC1; p=reject"]})
    report = await check_domain("uni.test", None, DnsResolver.from_settings(mail_settings), smtp_host="mail.uni.test")
    assert report.spf.ok and not report.would_fail and "cannot tell" in report.spf.words


async def test_two_spf_records_and_revoked_dkim_key(dns_twin: DnsTwin, mail_settings: Settings) -> None:
    dns_twin.records.update(
        {
            "uni.test": [GOOGLE_SPF, "v=spf1 -all"],
            "s1._domainkey.uni.test": ["v=DKIM1; p="],
            "_dmarc.uni.test": ["v=DMARC1; p=reject"],
        }
    )
    report = await check_domain("uni.test", "s1", DnsResolver.from_settings(mail_settings), smtp_host="smtp.gmail.com")
    assert not report.spf.ok and "2 SPF records" in report.spf.words
    assert report.dkim.found and not report.dkim.ok and "revoked" in report.dkim.words
    assert report.would_fail


async def test_subdomain_uses_the_organisational_dmarc_record(dns_twin: DnsTwin, mail_settings: Settings) -> None:
    dns_twin.records.update({"_dmarc.uni.ac.uk": ["v=DMARC1; p=none; sp=reject"], "lab.uni.ac.uk": ["x"]})
    assert organisational_domain("lab.uni.ac.uk") == "uni.ac.uk"
    report = await check_domain("lab.uni.ac.uk", None, DnsResolver.from_settings(mail_settings))
    assert report.dmarc_policy == "reject" and report.dmarc.record == "v=DMARC1; p=none; sp=reject"
    assert report.would_fail  # no SPF at lab.uni.ac.uk, no DKIM


async def test_the_providers_own_domain_is_signed_by_the_provider(dns_twin: DnsTwin, mail_settings: Settings) -> None:
    dns_twin.records.update(
        {"gmail.com": ["v=spf1 redirect=_spf.google.com"], "_dmarc.gmail.com": ["v=DMARC1; p=reject"]}
    )
    report = await check_domain("gmail.com", None, DnsResolver.from_settings(mail_settings), smtp_host="smtp.gmail.com")
    assert report.dkim.ok and not report.would_fail


async def test_dns_server_failure_is_an_error_not_a_verdict(dns_twin: DnsTwin, mail_settings: Settings) -> None:
    dns_twin.records["uni.test"] = [GOOGLE_SPF]
    dns_twin.failing.add("uni.test")
    with pytest.raises(ConnectionFailed) as caught:
        await check_domain("uni.test", None, DnsResolver.from_settings(mail_settings), smtp_host="smtp.gmail.com")
    assert "did not get an answer" in caught.value.words


@pytest.mark.parametrize(
    ("record", "can_pass", "said"),
    [
        ("v=spf1 +all", True, "allows every server"),
        ("v=spf1 include:_spf.google.com ?all", True, "says nothing"),
        ("v=spf1 a mx", False, "does not say"),
    ],
)
async def test_spf_endings_explained(
    dns_twin: DnsTwin, mail_settings: Settings, record: str, can_pass: bool, said: str
) -> None:
    dns_twin.records.update({"uni.test": [record], "_dmarc.uni.test": ["v=DMARC1; p=reject"]})
    report = await check_domain("uni.test", None, DnsResolver.from_settings(mail_settings), smtp_host="smtp.gmail.com")
    assert report.spf.ok is can_pass and said in report.spf.words
    assert report.would_fail is not can_pass


async def test_spf_include_loops_end(dns_twin: DnsTwin, mail_settings: Settings) -> None:
    dns_twin.records.update(
        {
            "uni.test": ["v=spf1 include:a.uni.test -all"],
            "a.uni.test": ["v=spf1 include:b.uni.test -all"],
            "b.uni.test": ["v=spf1 include:a.uni.test -all"],
        }
    )
    report = await check_domain("uni.test", None, DnsResolver.from_settings(mail_settings), smtp_host="smtp.gmail.com")
    assert not report.spf.ok and report.would_fail
    assert dns_twin.queries.count("TXT a.uni.test") == 1
