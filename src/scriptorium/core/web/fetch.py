"""`fetch`: one GET of an untrusted URL, safe to run on a server next to private services.

Every hop (the first URL and each redirect) is parsed, resolved once and checked by `policy.check_url`; the
request then goes to the checked IP with the original `Host` header and TLS SNI, so a second DNS answer can
never redirect it. Redirects are followed by hand (at most five), credentials are dropped when a hop changes
origin, the body is streamed and cut off at `max_bytes` (gzip is inflated under the same cap), and one deadline
covers the whole exchange, because per-read timeouts never stop a server that drips a byte a second.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import httpx

from scriptorium.core.errors import FetchRefused, SourceError
from scriptorium.core.settings import Settings
from scriptorium.core.web.policy import AllowList, Target, check_url, parse_url

DEFAULT_ACCEPT: tuple[str, ...] = (
    "text/html",
    "application/xhtml+xml",
    "text/plain",
    "application/pdf",
    "application/json",
    "application/atom+xml",
    "application/xml",
    "text/xml",
)
MAX_REDIRECTS = 5
SENSITIVE_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
_TEXTUAL = ("text/", "application/json", "application/xml", "application/xhtml+xml", "application/atom+xml")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9._:-]+)""", re.IGNORECASE)
# WHATWG Encoding: these labels mean windows-1252 on the web, whatever the header says.
_WEB_ALIASES = dict.fromkeys(("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"), "cp1252")


@dataclass(frozen=True)
class FetchedPage:
    """A fetched response. `text` is the decoded body for textual types, empty for PDF and other binaries."""

    url: str
    final_url: str
    status: int
    content_type: str
    body: bytes
    text: str


async def fetch(
    http: httpx.AsyncClient,
    url: str,
    *,
    settings: Settings,
    max_bytes: int | None = None,
    timeout: float | None = None,  # noqa: ASYNC109 -- one deadline for all hops, applied with asyncio.timeout
    accept: Sequence[str] = DEFAULT_ACCEPT,
    headers: Mapping[str, str] | None = None,
) -> FetchedPage:
    """GET `url` under the address policy; raise FetchRefused (policy, size, type) or SourceError (network, HTTP)."""
    limit = max_bytes or settings.fetch_max_bytes
    deadline = timeout or settings.fetch_timeout_seconds
    allow = AllowList.from_settings(settings)
    try:
        async with asyncio.timeout(deadline):
            return await _follow(http, url, settings=settings, allow=allow, limit=limit, accept=accept, headers=headers)
    except TimeoutError:
        raise SourceError(
            f"fetching {url[:200]!r} took longer than {deadline:g} s", service="web", transient=True
        ) from None


async def _follow(
    http: httpx.AsyncClient,
    url: str,
    *,
    settings: Settings,
    allow: AllowList,
    limit: int,
    accept: Sequence[str],
    headers: Mapping[str, str] | None,
) -> FetchedPage:
    current = parse_url(url)
    carried = {name: value for name, value in (headers or {}).items() if name.lower() != "host"}
    for _ in range(MAX_REDIRECTS + 1):
        target = await check_url(current, allow)
        response = await _send(http, target, carried, settings=settings, accept=accept)
        try:
            location = response.headers.get("location") if response.is_redirect else None
            if location is None:
                return await _finish(url, target, response, limit=limit, accept=accept)
        finally:
            await response.aclose()
        try:
            following = current.join(location)
        except httpx.InvalidURL:
            raise SourceError(f"{str(current)[:200]!r} redirected to an invalid URL", service="web") from None
        if _origin(following) != _origin(current):
            carried = {name: value for name, value in carried.items() if name.lower() not in SENSITIVE_HEADERS}
        current = following
    raise FetchRefused(f"{url[:200]!r} redirected more than {MAX_REDIRECTS} times", url=url)


def _origin(url: httpx.URL) -> tuple[str, bytes, int | None]:
    return url.scheme, url.raw_host.lower(), url.port


async def _send(
    http: httpx.AsyncClient,
    target: Target,
    carried: Mapping[str, str],
    *,
    settings: Settings,
    accept: Sequence[str],
) -> httpx.Response:
    """Send to each checked address in turn until one accepts the connection."""
    default_port = 443 if target.url.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    headers = {
        "User-Agent": settings.fetch_user_agent,
        "Accept": ", ".join([*accept, "*/*;q=0.1"]),
        "Accept-Encoding": "gzip",
        **carried,
        "Host": host if target.port == default_port else f"{host}:{target.port}",
    }
    extensions: dict[str, object] = {"timeout": http.timeout.as_dict()}
    if target.url.scheme == "https":
        extensions["sni_hostname"] = target.host
        # The pool keys connections by IP, so a TLS session verified for one host must not be reused for
        # another host on the same IP: close it after this response.
        headers["Connection"] = "close"
    failure: Exception | None = None
    for address in target.addresses:
        request = httpx.Request("GET", target.url.copy_with(host=str(address)), headers=headers, extensions=extensions)
        try:
            response = await http.send(request, stream=True, follow_redirects=False)
        except httpx.ConnectError as exc:
            failure = exc
            continue
        except httpx.HTTPError as exc:
            raise SourceError(
                f"fetching {target.host!r} failed: {type(exc).__name__}", service="web", transient=True
            ) from exc
        _forget_cookies(http, str(address))
        return response
    raise SourceError(f"could not connect to {target.host!r}", service="web", transient=True) from failure


def _forget_cookies(http: httpx.AsyncClient, address: str) -> None:
    """Drop cookies the shared client stored under a bare IP: fetches never send cookies from its jar."""
    for cookie in list(http.cookies.jar):
        if cookie.domain.strip("[].").removesuffix(".local") == address:
            with contextlib.suppress(KeyError):
                http.cookies.jar.clear(cookie.domain, cookie.path, cookie.name)


async def _finish(
    url: str, target: Target, response: httpx.Response, *, limit: int, accept: Sequence[str]
) -> FetchedPage:
    final_url = str(target.url)
    if not 200 <= response.status_code < 300:
        status = response.status_code
        raise SourceError(
            f"{final_url[:200]!r} answered HTTP {status}",
            service="web",
            status=status,
            transient=status >= 500 or status in {408, 429},
        )
    header = response.headers.get("content-type", "")
    media = header.split(";", 1)[0].strip().lower()
    if not _accepted(media, accept):
        raise FetchRefused(
            f"{final_url[:200]!r} is {media or 'of no declared type'!r}, not one of {list(accept)}", url=url
        )
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FetchRefused(f"{final_url[:200]!r} is larger than the {limit}-byte limit", url=url)
    body = await _read_capped(response, limit, url=url)
    text = decode_text(body, header) if media.startswith(_TEXTUAL) or media.endswith(("+xml", "+json")) else ""
    return FetchedPage(
        url=url, final_url=final_url, status=response.status_code, content_type=media, body=body, text=text
    )


def _accepted(media: str, accept: Sequence[str]) -> bool:
    for pattern in accept:
        pattern = pattern.lower()
        if media == pattern or (pattern.endswith("/*") and media.startswith(pattern[:-1])) or pattern == "*/*":
            return True
    return False


async def _read_capped(response: httpx.Response, limit: int, *, url: str) -> bytes:
    """Stream the body, inflating gzip with a bounded output, and refuse it as soon as it passes `limit`."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in {"", "identity", "gzip", "x-gzip"}:
        raise FetchRefused(f"unsupported content-encoding {encoding!r}", url=url)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding in {"gzip", "x-gzip"} else None
    body = bytearray()
    received = 0
    try:
        async for chunk in response.aiter_raw():
            received += len(chunk)
            if inflater is not None:
                # max_length bounds the output of this step, so a small gzip bomb cannot expand in memory.
                chunk = b"" if inflater.eof else inflater.decompress(chunk, limit - len(body) + 1)
            body += chunk
            if len(body) > limit or received > limit:
                raise FetchRefused(f"{url[:200]!r} is larger than the {limit}-byte limit", url=url)
        if inflater is not None and received and not inflater.eof:
            raise SourceError(f"{url[:200]!r} sent an incomplete gzip body", service="web", transient=True)
    except zlib.error as exc:
        raise SourceError(f"{url[:200]!r} sent a corrupt gzip body", service="web") from exc
    except httpx.HTTPError as exc:
        raise SourceError(f"reading {url[:200]!r} failed: {type(exc).__name__}", service="web", transient=True) from exc
    return bytes(body)


def decode_text(body: bytes, content_type: str = "") -> str:
    """Decode with the header's charset, else a BOM, a `<meta charset>` or XML declaration, else UTF-8/cp1252."""
    match = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", content_type, re.IGNORECASE)
    label = match.group(1) if match else None
    if body.startswith(codecs.BOM_UTF8):
        label = "utf-8-sig"
    elif body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        label = "utf-16"
    elif label is None:
        head = body[:4096]
        sniffed = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
        label = sniffed.group(1).decode("ascii") if sniffed else None
    codec = _codec(label)
    if codec is not None:
        return body.decode(codec, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = _WEB_ALIASES.get(label.lower(), label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None
