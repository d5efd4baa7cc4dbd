"""How the transport reaches a mail server safely: one resolution, the address policy, and a TLS context.

The host is resolved once and every address it resolves to is classified with the same policy as safe web
fetch (`core.web.policy`): private, loopback, link-local and other non-public addresses are refused unless
FETCH_ALLOW_HOSTS names the host or its network; cloud metadata addresses are refused always. The IMAP and SMTP
sessions then connect to the checked address, never to a second resolution (DNS rebinding), while TLS still
verifies the certificate against the host name. MAIL_CA_FILE adds CAs (a private server; the tests' twins).
A server without TLS ("none") is only reached when FETCH_ALLOW_HOSTS names it: a password is never sent in
clear text over the internet.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from functools import lru_cache

from scriptorium.core.errors import SourceError
from scriptorium.core.settings import Settings
from scriptorium.core.web.policy import AllowList, address_problem, resolve
from scriptorium.scribe.mail.errors import ConnectionFailed, HostRefused, TlsMismatch
from scriptorium.scribe.mail.servers import MailServer


@dataclass(frozen=True)
class Reach:
    """A checked way to one server: connect to `address`, speak TLS to `host`."""

    host: str
    port: int
    address: str
    ssl_context: ssl.SSLContext
    timeout: float


@lru_cache(maxsize=8)
def _tls_context(ca_file: str) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


def tls_context(settings: Settings) -> ssl.SSLContext:
    """A verifying client context: system CAs plus MAIL_CA_FILE (built once per file)."""
    return _tls_context(settings.mail_ca_file)


async def reach(server: MailServer, settings: Settings, protocol: str) -> Reach:
    """Resolve and check `server`'s host; raise `HostRefused` or `ConnectionFailed` (words name `protocol`)."""
    host = server.host.strip().strip("[]").rstrip(".").lower()
    if not host:
        raise ConnectionFailed(f"The {protocol} server has no host name. Fill in the server's address.")
    try:
        addresses = await resolve(host, server.port)
    except SourceError:
        raise ConnectionFailed(
            f"The {protocol} server {host!r} could not be found. Check the host name for typos."
        ) from None
    allow = AllowList.from_settings(settings)
    for ip in addresses:
        problem = address_problem(ip)
        if problem == "cloud metadata" or (problem and not allow.allows(host, ip)):
            raise HostRefused(
                f"The {protocol} server {host!r} is on a {problem} address, which this Scriptorium server does "
                "not connect to. Use your provider's public server name."
            )
    if server.tls == "none" and not all(allow.allows(host, ip) for ip in addresses):
        raise TlsMismatch(
            f"Scribe only signs in to {host!r} over an encrypted connection, so the password cannot be read on the "
            f"way. Choose SSL or STARTTLS for the {protocol} server."
        )
    return Reach(
        host=host,
        port=server.port,
        address=str(addresses[0]),
        ssl_context=tls_context(settings),
        timeout=settings.mail_timeout_seconds,
    )
