"""Fixtures that start the mail twins and point the transport at them (used by transport and product tests).

Names are stable; the product layer's tests use them:
- `twin_ca`: the throwaway CA (tests/twins/tls.py) the twins' certificates are signed with.
- `imap_twin`: a started `ImapTwin` (implicit TLS, folders "Brouillons" \\Drafts, decoy "Drafts", "Envoy&AOk-s"
  \\Sent), login `twin.username` / `twin.password`.
- `smtp_twin`: a started `SmtpTwin` (STARTTLS, AUTH required) that files each accepted message in the IMAP
  twin's \\Sent folder, like Gmail.
- `dns_twin`: a started `DnsTwin` with no records (set `dns_twin.records[...]` in the test).
- `mail_overrides`: the settings overrides the transport needs to reach the twins: FETCH_ALLOW_HOSTS=127.0.0.1,
  MAIL_CA_FILE=the twin CA, a short MAIL_TIMEOUT_SECONDS, MAIL_DNS_NAMESERVER/PORT=the DNS twin. Merge it into
  any app settings: `make_settings(**mail_overrides)`.
- `mail_settings`: `make_settings(**mail_overrides)`.
- `mail_twins`: a `MailboxConfig` for the twins (address student@uni.test, display name "Ana Student").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from scriptorium.core.settings import Settings
from scriptorium.scribe.mail.servers import MailboxConfig, MailServer
from tests.twins.dns import DnsTwin
from tests.twins.imap import ImapTwin
from tests.twins.smtp import SmtpTwin
from tests.twins.tls import TestCA, test_ca


@pytest.fixture(scope="session")
def twin_ca() -> TestCA:
    return test_ca()


@pytest.fixture
def imap_twin(twin_ca: TestCA) -> Iterator[ImapTwin]:
    with ImapTwin(ca=twin_ca, tls="ssl") as twin:
        yield twin


@pytest.fixture
def smtp_twin(twin_ca: TestCA, imap_twin: ImapTwin) -> Iterator[SmtpTwin]:
    with SmtpTwin(ca=twin_ca, tls="starttls", deliver_to=imap_twin) as twin:
        yield twin


@pytest.fixture
def dns_twin() -> Iterator[DnsTwin]:
    with DnsTwin() as twin:
        yield twin


@pytest.fixture
def mail_overrides(twin_ca: TestCA, dns_twin: DnsTwin) -> dict[str, Any]:
    return {
        "fetch_allow_hosts": ["127.0.0.1"],
        "mail_ca_file": str(twin_ca.ca_file),
        "mail_timeout_seconds": 5.0,
        "mail_dns_nameserver": dns_twin.host,
        "mail_dns_port": dns_twin.port,
    }


@pytest.fixture
def mail_settings(make_settings: Callable[..., Settings], mail_overrides: dict[str, Any]) -> Settings:
    return make_settings(**mail_overrides)


def twin_server(twin: ImapTwin | SmtpTwin, **changes: Any) -> MailServer:
    """A `MailServer` for `twin` with its TLS mode and login; `changes` override any field."""
    values: dict[str, Any] = {
        "host": twin.host,
        "port": twin.port,
        "tls": twin.tls,
        "username": twin.username,
        "password": twin.password,
    }
    values.update(changes)
    return MailServer(**values)


@pytest.fixture
def mail_twins(imap_twin: ImapTwin, smtp_twin: SmtpTwin) -> MailboxConfig:
    return MailboxConfig(
        imap=twin_server(imap_twin),
        smtp=twin_server(smtp_twin),
        address="student@uni.test",
        display_name="Ana Student",
    )
