"""What a mail server is (host, port, TLS mode, login) and the presets for the providers students use.

A mailbox is reached twice: IMAP to read folders and put drafts, SMTP to send. `MailServer` holds one of them with
its secret; its `repr` leaves the password out so a logged or printed config never leaks it. A `Preset` fills
in hosts, ports and TLS modes for Gmail, Outlook and Fastmail, says where to make an app password (all three
refuse the account password for IMAP/SMTP), and names the SPF include of the provider's outgoing servers, which
the deliverability check looks for in a custom domain's SPF record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

TlsMode = Literal["ssl", "starttls", "none"]
TLS_MODES: tuple[TlsMode, ...] = ("ssl", "starttls", "none")


@dataclass(frozen=True)
class MailServer:
    """One IMAP or SMTP server and the login for it. `tls`: "ssl" from the first byte, "starttls" after the
    greeting, "none" never (only for a local test server)."""

    host: str
    port: int
    tls: TlsMode
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class MailboxConfig:
    """A student's mailbox: where to read (IMAP), where to send (SMTP), and who the mail is from."""

    imap: MailServer
    smtp: MailServer
    address: str
    display_name: str

    @property
    def domain(self) -> str:
        """The domain of the From address (what SPF, DKIM and DMARC are looked up for)."""
        return self.address.rpartition("@")[2].lower()


@dataclass(frozen=True)
class Endpoint:
    """A server without a login: what a preset fills in."""

    host: str
    port: int
    tls: TlsMode


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    imap: Endpoint
    smtp: Endpoint
    help_url: str
    """Where the provider explains app passwords."""
    spf_include: str
    """The SPF include that covers the provider's outgoing servers (for a custom domain sending through it)."""
    domains: tuple[str, ...] = ()
    """The provider's own address domains (their SPF/DKIM/DMARC are the provider's business)."""


PRESETS: dict[str, Preset] = {
    "gmail": Preset(
        key="gmail",
        label="Gmail / Google Workspace",
        imap=Endpoint("imap.gmail.com", 993, "ssl"),
        smtp=Endpoint("smtp.gmail.com", 465, "ssl"),
        help_url="https://support.google.com/accounts/answer/185833",
        spf_include="_spf.google.com",
        domains=("gmail.com", "googlemail.com"),
    ),
    "outlook": Preset(
        key="outlook",
        label="Outlook / Microsoft 365",
        imap=Endpoint("outlook.office365.com", 993, "ssl"),
        smtp=Endpoint("smtp.office365.com", 587, "starttls"),
        help_url="https://support.microsoft.com/en-us/account-billing/how-to-get-and-use-app-passwords-5896ed9b-4263-e681-128a-a6f2979a7944",
        spf_include="spf.protection.outlook.com",
        domains=("outlook.com", "hotmail.com", "live.com"),
    ),
    "fastmail": Preset(
        key="fastmail",
        label="Fastmail",
        imap=Endpoint("imap.fastmail.com", 993, "ssl"),
        smtp=Endpoint("smtp.fastmail.com", 465, "ssl"),
        help_url="https://www.fastmail.help/hc/en-us/articles/360058752854-App-passwords",
        spf_include="spf.messagingengine.com",
        domains=("fastmail.com", "fastmail.fm"),
    ),
}


def preset_for_smtp_host(host: str) -> Preset | None:
    """The preset whose SMTP host is `host` (case-insensitive), or None for any other server."""
    wanted = host.rstrip(".").lower()
    return next((preset for preset in PRESETS.values() if preset.smtp.host == wanted), None)
