"""How `scriptorium serve` runs uvicorn: connection caps and timeouts that keep a Pi up under slow clients.

uvicorn closes idle kept-alive connections, but a connection that sends nothing, or a request whose headers
never finish (slowloris), is held open forever: each costs a socket and a little memory, and enough of them use
up the process's file descriptors. `HeaderTimeoutProtocol` gives every request `HTTP_HEADER_TIMEOUT_SECONDS` from
its first byte (or from the connection, for the first request) to finish its headers, then closes it. Slow bodies
are the body cap's business (`core/middleware.py`: a gap longer than `HTTP_BODY_TIMEOUT_SECONDS` is a 408).
Behind a reverse proxy set its own limits too (docs/deploy/pi.md).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from scriptorium.core.settings import Settings


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing connections whose request headers take too long to arrive."""

    header_timeout: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_timer: asyncio.TimerHandle | None = None
        self._start_header_timer()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._start_header_timer()

    def on_headers_complete(self) -> None:
        self._cancel_header_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _start_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _cancel_header_timer(self) -> None:
        timer = getattr(self, "_header_timer", None)
        if timer is not None:
            timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.run`/`uvicorn.Config` beyond the app, host and port."""
    timeout = {"header_timeout": settings.http_header_timeout_seconds}
    protocol = type("HeaderTimeoutProtocol", (HeaderTimeoutProtocol,), timeout)
    return {
        "http": protocol,
        "timeout_keep_alive": settings.http_keep_alive_seconds,
        "limit_concurrency": settings.http_max_connections,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
    }
