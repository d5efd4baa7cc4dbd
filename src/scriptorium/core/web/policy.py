"""Which addresses a server-side fetch may reach: the SSRF guard shared by `fetch` and the browser fallback.

A URL is checked by resolving its host once and classifying every address it resolves to. Anything that is not
a public unicast address (loopback, private, link-local, CGNAT, multicast, reserved, unspecified, documentation
ranges, and IPv6 forms that embed such an IPv4 address) is refused unless FETCH_ALLOW_HOSTS names the host or
a network containing the address. Cloud metadata endpoints are refused even then: no test or intranet needs
them, and they hand out credentials. The caller then connects to the address that was checked, never to a
second resolution of the name (DNS rebinding).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import httpx

from scriptorium.core.errors import FetchRefused, SourceError
from scriptorium.core.settings import Settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

CLOUD_METADATA: frozenset[Address] = frozenset(
    ipaddress.ip_address(text)
    for text in (
        "169.254.169.254",  # AWS, GCP, Azure, OCI, DigitalOcean, OpenStack
        "169.254.170.2",  # AWS ECS task credentials
        "169.254.170.23",  # AWS EKS pod identity
        "168.63.129.16",  # Azure WireServer (a public address)
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud Classic
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd00:ec2::23",  # AWS EKS pod identity over IPv6
        "fd20:ce::254",  # GCP IPv6-only instances
    )
)
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 transition form delivers to (mapped, 6to4, Teredo, NAT64, compatible)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if any(ip in prefix for prefix in _NAT64) or (int(ip) >> 32 == 0 and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_problem(ip: Address) -> str | None:
    """Why `ip` is off-limits (e.g. 'loopback'), or None for a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        ip = ipaddress.IPv6Address(ip.packed)  # drop a zone id: it never changes where a packet goes
        inner = _embedded_ipv4(ip)
        if inner is not None and (problem := address_problem(inner)):
            return problem
    checks = (
        (ip in CLOUD_METADATA, "cloud metadata"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (ip.is_unspecified, "unspecified"),
        (ip.is_reserved, "reserved"),
        (ip.is_private, "private"),
        (not ip.is_global, "non-public"),
    )
    return next((label for failed, label in checks if failed), None)


@dataclass(frozen=True)
class AllowList:
    """FETCH_ALLOW_HOSTS parsed once: exact host names, and networks (a bare IP is a /32 or /128)."""

    hosts: frozenset[str]
    networks: tuple[Network, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> AllowList:
        hosts: set[str] = set()
        networks: list[Network] = []
        for entry in settings.fetch_allow_hosts:
            text = entry.strip().strip("[]").rstrip(".").lower()
            try:
                networks.append(ipaddress.ip_network(text, strict=False))
            except ValueError:
                if text:
                    hosts.add(text)
        return cls(frozenset(hosts), tuple(networks))

    def allows(self, host: str, ip: Address) -> bool:
        return host in self.hosts or any(ip in network for network in self.networks)


@dataclass(frozen=True)
class Target:
    """A checked URL: the normalised host for `Host`/SNI and the addresses that passed the policy."""

    url: httpx.URL
    host: str
    port: int
    addresses: tuple[Address, ...]


def parse_url(url: str | httpx.URL) -> httpx.URL:
    """Parse and refuse anything but plain http(s) URLs with a host and no embedded credentials."""
    text = str(url)
    try:
        parsed = httpx.URL(text)
    except (httpx.InvalidURL, TypeError):
        raise FetchRefused(f"{text[:200]!r} is not a valid URL", url=text) from None
    if parsed.scheme not in {"http", "https"}:
        raise FetchRefused(f"only http:// and https:// URLs are fetched, not {parsed.scheme or 'none'!r}", url=text)
    if not parsed.raw_host:
        raise FetchRefused(f"{text[:200]!r} has no host", url=text)
    if parsed.userinfo:
        raise FetchRefused("URLs with a user name or password in them are not fetched", url=text)
    return parsed


async def resolve(host: str, port: int) -> tuple[Address, ...]:
    """All addresses `host` resolves to, in resolver order (an IP literal resolves to itself)."""
    try:
        return (ipaddress.ip_address(host),)
    except ValueError:
        pass
    try:
        infos = await asyncio.to_thread(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        transient = isinstance(exc, socket.gaierror) and exc.errno == socket.EAI_AGAIN
        raise SourceError(f"could not resolve host {host!r}", service="web", transient=transient) from exc
    addresses: list[Address] = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if ip not in addresses:
            addresses.append(ip)
    return tuple(addresses)


async def check_url(url: str | httpx.URL, allow: AllowList) -> Target:
    """Parse, resolve and apply the address policy; raise FetchRefused when any address is off-limits."""
    parsed = parse_url(url)
    host = parsed.raw_host.decode("ascii").rstrip(".").lower()
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    addresses = await resolve(host, port)
    for ip in addresses:
        problem = address_problem(ip)
        if problem == "cloud metadata" or (problem and not allow.allows(host, ip)):
            raise FetchRefused(
                f"refusing to fetch {str(parsed)[:200]!r}: host {host!r} is off-limits ({problem} address); "
                "server-side fetches only reach public addresses",
                url=str(parsed),
            )
    return Target(url=parsed, host=host, port=port, addresses=addresses)
