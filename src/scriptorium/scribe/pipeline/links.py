"""Finding every link and address in prose: URLs with or without a scheme, bare domains, obfuscated addresses.

A draft must not carry a link the user did not put in the template and no source supplied, so the finder has to
see what a reader would follow, not only `http://...`: `bit.ly/x`, `soildata.ru/samples`, `name [at] host (dot)
edu`. Whether `word.word` is a domain is decided by the Public Suffix List bundled inside `publicsuffixlist`
(no network fetch; ~2 MB RSS, lighter than `tld` at ~13 MB or `tldextract` at ~25 MB when loaded alone), so a
domain on any of the ~9,000 public suffixes counts, plus the names reserved for documentation and testing
(`.example`, `.test`) that the PSL leaves out.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

LinkKind = Literal["url", "domain", "email", "obfuscated"]

_RESERVED_TLDS = frozenset({"example", "test", "invalid", "localhost", "local", "onion", "internal", "lan", "arpa"})
_URL = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]{1,15}://|www\.)[^\s<>()\"'\]\[{}]+")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
# Any letter, not only ASCII: `fоldnotes.net` with a Cyrillic `о` is a different site a reader follows all the same.
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_DOMAIN = re.compile(
    rf"(?<![\w@.-])(?:{_LABEL}\.)+(?P<tld>[A-Za-z][A-Za-z0-9-]{{1,62}})(?![\w-])(?P<path>/[^\s<>()\"'\]\[{{}}]*)?"
)
_AT = r"(?:\s*[\[\(\{<]\s*(?:at|@)\s*[\]\)\}>]\s*|\s+(?:at|AT)\s+|\s+@\s+|\s*@\s*)"
_DOT = r"(?:\s*[\[\(\{<]\s*(?:dot|\.)\s*[\]\)\}>]\s*|\s+(?:dot|DOT)\s+|\.)"
_OBFUSCATED = re.compile(rf"(?<![\w.+-])(?P<user>[\w.+-]{{1,64}}){_AT}(?P<host>[\w-]{{1,63}}(?:{_DOT}[\w-]{{1,63}})+)")
_DOT_SPLIT = re.compile(_DOT)
# A site spelled out for a reader to retype: `samlee dot org`, `fold notes dot co dot uk` (any public suffix).
_WORDED_DOMAIN = re.compile(r"(?i)(?<![\w.@-])(?P<labels>[a-z0-9-]{2,63}(?:\s+dot\s+[a-z0-9-]{1,63})+)(?![\w-])")
# Function words never open a domain: "the dot com bubble" is not `the.com`.
_NOT_A_LABEL = frozenset(
    re.findall(
        r"\w+",
        "a an the this that these those of in on at to for by with from and or but is was be its it their our my",
    )
)
_TRAILING = ".,;:!?'\")]}"
_IDEOGRAPHIC_DOTS = frozenset("\u3002\uff0e\uff61")  # what IDNA treats as a label separator, like "."


@dataclass(frozen=True)
class Link:
    """A link or address found in text: as written (`text`), its span there, and a comparable `key`."""

    text: str
    kind: LinkKind
    start: int
    end: int
    key: str


@cache
def _psl() -> PublicSuffixList:
    """Loaded on first use: the list is parsed once per process (~0.1 s)."""
    return PublicSuffixList(accept_unknown=False)


@lru_cache(maxsize=4096)
def is_domain(host: str) -> bool:
    """`bit.ly`, `soildata.ru`, `a.b.co.uk`, `evil.example`: a registrable name under a public or reserved suffix."""
    host = host.lower().rstrip(".")
    labels = host.split(".")
    if len(labels) < 2 or not all(labels):
        return False
    if labels[-1] in _RESERVED_TLDS:
        return True
    return _psl().privatesuffix(host) is not None


def url_key(url: str) -> str:
    """A URL or bare domain folded for comparison: no scheme, no `www.`, no trailing slash, arXiv versions dropped."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    host = (parts.hostname or "").removeprefix("www.")
    path = parts.path.rstrip("/")
    if "arxiv" in host:
        path = re.sub(r"v\d+$", "", path)
    return f"{host}{path}{'?' + parts.query if parts.query else ''}".lower()


def host_of(key: str) -> str:
    return key.split("/")[0]


def _obfuscated_key(user: str, host: str) -> str | None:
    labels = [label for label in _DOT_SPLIT.split(host) if label]
    domain = ".".join(labels).lower()
    return f"{user.lower()}@{domain}" if is_domain(domain) else None


def _visible(text: str) -> tuple[str, list[int]]:
    """`text` without invisible format characters (zero-width space, joiner, soft hyphen, direction marks: Unicode
    category Cf), and for each kept character its index in `text`.

    A reader's browser or mail client drops them, so `foldposter\u200b.net` is followed as `foldposter.net`; the
    finder must see the link the reader sees.
    """
    kept = [i for i, c in enumerate(text) if unicodedata.category(c) != "Cf"]
    return "".join(_folded_char(text[i]) for i in kept), kept


def _folded_char(char: str) -> str:
    """A compatibility form read as the character it stands for (`．` and `。` are dots in a domain name, `ｅ` is
    `e`), one character for one so spans still line up."""
    if char in _IDEOGRAPHIC_DOTS:
        return "."
    folded = unicodedata.normalize("NFKC", char)
    return folded if len(folded) == 1 else char


def find_links(text: str) -> list[Link]:
    """Every URL, address, obfuscated address and bare domain in `text`, in order, none inside another.

    Spans and `text` refer to the input as given, invisible characters included; keys are built without them.
    """
    visible, index = _visible(text)
    if visible == text:
        return _find_links(text)
    index.append(len(text))
    return [
        Link(text[index[link.start] : index[link.end - 1] + 1], link.kind, index[link.start],
             index[link.end - 1] + 1, link.key)
        for link in _find_links(visible)
    ]  # fmt: skip


def _find_links(text: str) -> list[Link]:
    found: list[Link] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    def add(link: Link) -> None:
        found.append(link)
        taken.append((link.start, link.end))

    for match in _URL.finditer(text):
        raw = match.group(0).rstrip(_TRAILING)
        add(Link(raw, "url", match.start(), match.start() + len(raw), url_key(raw)))
    for match in _EMAIL.finditer(text):
        raw = match.group(0).rstrip(_TRAILING)
        if free(match.start(), match.start() + len(raw)):
            add(Link(raw, "email", match.start(), match.start() + len(raw), raw.lower()))
    position = 0
    while (candidate := _OBFUSCATED.search(text, position)) is not None:
        key = _obfuscated_key(candidate.group("user"), candidate.group("host"))
        start, end = candidate.span()
        if key is None or not _looks_obfuscated(candidate.group(0)) or not free(start, end):
            # Not an address ("reach me at sam.lee [at] ..." first matches "me at sam.lee"): retry one word on.
            position = start + 1
            continue
        add(Link(candidate.group(0), "obfuscated", start, end, key))
        position = end
    for match in _WORDED_DOMAIN.finditer(text):
        labels = re.split(r"(?i)\s+dot\s+", match.group("labels"))
        domain = ".".join(labels).lower()
        if labels[0].lower() in _NOT_A_LABEL or not is_domain(domain) or not free(*match.span()):
            continue
        add(Link(match.group(0), "domain", match.start(), match.end(), url_key(domain)))
    for match in _DOMAIN.finditer(text):
        raw = match.group(0).rstrip(_TRAILING)
        tld = match.group("tld")
        if not free(match.start(), match.start() + len(raw)):
            continue
        if tld[0].isupper() and not tld.isupper():
            continue  # `week.Best`: a missing space after a full stop, not a `.best` domain
        host = raw.split("/")[0]
        if is_domain(host):
            add(Link(raw, "domain", match.start(), match.start() + len(raw), url_key(raw)))
    return sorted(found, key=lambda link: link.start)


def _looks_obfuscated(raw: str) -> bool:
    """`a [at] b (dot) edu`, `a at b dot edu`, `a @ b.edu`: an address a reader can reassemble.

    A plain " at " needs a worded "dot" too: "slides are at bit.ly/x" is a domain after a preposition.
    """
    lowered = raw.lower()
    bracketed = re.search(r"[\[\(\{<]\s*(?:at|@|dot|\.)\s*[\]\)\}>]", lowered) is not None
    worded = re.search(r"\sat\s", lowered) is not None and re.search(r"\sdot\s|[\[\(\{<]\s*dot", lowered) is not None
    spaced_at = re.search(r"\s@|@\s", raw) is not None
    return bracketed or worded or spaced_at


@dataclass(frozen=True)
class Allowed:
    """The links a draft may carry: the template's own, the sources' URLs and hosts, the recipient's address."""

    keys: frozenset[str]
    hosts: frozenset[str]
    emails: frozenset[str]

    @classmethod
    def build(cls, template: str, source_urls: list[str], recipient_email: str | None) -> Allowed:
        template_links = find_links(template)
        keys = {link.key for link in template_links if link.kind in ("url", "domain")}
        keys |= {url_key(url) for url in source_urls if url}
        hosts = {host_of(key) for key in keys}
        emails = {link.key for link in template_links if link.kind in ("email", "obfuscated")}
        if recipient_email:
            emails.add(recipient_email.strip().lower())
            hosts.add(recipient_email.strip().lower().rsplit("@", 1)[-1])
        hosts |= {email.rsplit("@", 1)[-1] for email in emails}
        return cls(frozenset(keys), frozenset(hosts), frozenset(emails))

    def permits(self, link: Link) -> bool:
        if link.kind in ("email", "obfuscated"):
            return link.key in self.emails
        if link.key in self.keys:
            return True
        return "/" not in link.key and link.key in self.hosts  # a bare host: the site of a source or the template


def stray_links(text: str, allowed: Allowed) -> list[Link]:
    """Links in `text` that `allowed` does not permit."""
    return [link for link in find_links(text) if not allowed.permits(link)]


def carries_link(text: str) -> bool:
    """True when `text` (a title, a fact) contains anything `find_links` would report."""
    return bool(find_links(text))
