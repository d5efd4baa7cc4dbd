"""A loopback web site for safe-fetch tests: fixture pages plus the hostile behaviours a crawler meets.

Routes: `/pages/<file>` (from tests/fixtures/web/, `?type=` overrides the Content-Type), `/redirect?to=&status=`,
`/loop/<n>` (redirects forever), `/huge?mb=&declare=` (streamed body), `/gzip-bomb`, `/slow?seconds=`,
`/drip?seconds=` (one byte every 0.1 s), `/status/<code>`, `/echo` (the request headers as JSON) and
`/beacon` (an empty image). Every request is recorded in `requests`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import ssl
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from tests.twins.server import serve_in_thread

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "web"
TYPES = {
    ".html": "text/html",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".pdf": "application/pdf",
}


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]


class WebTwin:
    """The ASGI app; `requests` lists what it received, in order."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._app = Starlette(
            routes=[
                Route("/pages/{name:path}", self.page),
                Route("/redirect", self.redirect),
                Route("/loop/{n:int}", self.loop),
                Route("/huge", self.huge),
                Route("/gzip-bomb", self.gzip_bomb),
                Route("/slow", self.slow),
                Route("/drip", self.drip),
                Route("/status/{code:int}", self.status),
                Route("/echo", self.echo),
                Route("/beacon", self.beacon),
            ]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            query = scope.get("query_string", b"").decode("latin-1")
            self.requests.append(Recorded(scope["method"], scope["path"], query, headers))
        await self._app(scope, receive, send)

    def paths(self) -> list[str]:
        return [request.path for request in self.requests]

    async def page(self, request: Request) -> Response:
        path = (FIXTURES / request.path_params["name"]).resolve()
        if not path.is_relative_to(FIXTURES) or not path.is_file():
            return Response("no such fixture", status_code=404)
        media = request.query_params.get("type") or TYPES.get(path.suffix, "application/octet-stream")
        return Response(path.read_bytes(), headers={"content-type": media})

    async def redirect(self, request: Request) -> Response:
        status = int(request.query_params.get("status", "302"))
        return Response(status_code=status, headers={"location": request.query_params["to"]})

    async def loop(self, request: Request) -> Response:
        return Response(status_code=302, headers={"location": f"/loop/{request.path_params['n'] + 1}"})

    async def huge(self, request: Request) -> Response:
        megabytes = int(request.query_params.get("mb", "20"))
        chunk = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>\n"

        async def body() -> AsyncIterator[bytes]:
            for _ in range(megabytes * 16):
                yield chunk

        headers = {"content-type": "text/html"}
        if request.query_params.get("declare") == "1":
            headers["content-length"] = str(len(chunk) * megabytes * 16)
        return StreamingResponse(body(), headers=headers)

    async def gzip_bomb(self, request: Request) -> Response:
        payload = gzip.compress(b" " * (50 * 1024 * 1024), compresslevel=9)
        return Response(payload, headers={"content-type": "text/html", "content-encoding": "gzip"})

    async def slow(self, request: Request) -> Response:
        await asyncio.sleep(float(request.query_params.get("seconds", "5")))
        return Response("<p>finally</p>", media_type="text/html")

    async def drip(self, request: Request) -> Response:
        seconds = float(request.query_params.get("seconds", "10"))

        async def body() -> AsyncIterator[bytes]:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                yield b"."
                await asyncio.sleep(0.1)

        return StreamingResponse(body(), media_type="text/plain")

    async def status(self, request: Request) -> Response:
        return Response("status page", status_code=request.path_params["code"], media_type="text/html")

    async def echo(self, request: Request) -> Response:
        return JSONResponse(dict(request.headers), headers={"set-cookie": "session=twin; Path=/"})

    async def beacon(self, request: Request) -> Response:
        return Response(b"", media_type="image/gif")


def self_signed_certificate(directory: Path, host: str = "localhost") -> tuple[Path, Path]:
    """A certificate valid only for the name `host` (not for 127.0.0.1), as PEM files (cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def client_context(cert_path: Path) -> ssl.SSLContext:
    """An SSL context that trusts only the twin's self-signed certificate."""
    return ssl.create_default_context(cafile=str(cert_path))


@contextmanager
def serve_tls_in_thread(app: Any, cert_path: Path, key_path: Path) -> Iterator[int]:
    """Serve `app` over HTTPS on 127.0.0.1; yield the port."""
    with serve_in_thread(app, ssl_certfile=str(cert_path), ssl_keyfile=str(key_path)) as url:
        yield int(url.rsplit(":", 1)[1])
