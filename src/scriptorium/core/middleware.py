"""Pure-ASGI guards every request passes through: a body cap, security headers, and the last-resort answer.

Both are ASGI middleware rather than FastAPI dependencies because they must act before anything parses the body:
a 200 MB JSON body to a public route would otherwise be buffered whole by the framework (measured: `serve` went
from 118 to 539 MB peak), which ends the process on a 1 GB Pi.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scriptorium.core.outages import outage_of, state_of
from scriptorium.core.telemetry import request_id_var

log = logging.getLogger("scriptorium.app")

UPLOAD_TYPES = (b"multipart/form-data",)


class BodyTooLarge(HTTPException):
    """Raised inside `receive` when a streamed (chunked) body passes the cap mid-way.

    An `HTTPException` because FastAPI turns any other exception raised while it reads a body into a 400; this one
    it re-raises, and the app's handler answers 413 in the one error shape.
    """

    def __init__(self, cap: int) -> None:
        super().__init__(413, f"The request body is larger than the {_size(cap)} allowed here.")


class BodyLimitMiddleware:
    """Refuse request bodies over a cap with 413 in the one error shape, before any byte is parsed.

    A declared `Content-Length` over the cap is refused at once, without reading the body. A body sent without a
    length (chunked) is counted as it arrives and refused the moment it passes the cap, so memory stays bounded
    either way. Uploads (`multipart/form-data`) get their own, larger cap: the résumé PDF and the recipients CSV.
    """

    def __init__(
        self, app: ASGIApp, *, json_max_bytes: int, upload_max_bytes: int, pause_seconds: float = 30.0
    ) -> None:
        self.app = app
        self.json_max_bytes = json_max_bytes
        self.upload_max_bytes = upload_max_bytes
        self.pause_seconds = pause_seconds

    def _cap(self, headers: dict[bytes, bytes]) -> int:
        content_type = headers.get(b"content-type", b"").lower()
        return self.upload_max_bytes if content_type.startswith(UPLOAD_TYPES) else self.json_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        cap = self._cap(headers)
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > cap
            except ValueError:
                await _send_error(send, 400, "bad_request", "Content-Length is not a number")
                return
            if too_big:
                await _send_error(send, 413, "payload_too_large", BodyTooLarge(cap).detail)
                return
        received = 0
        body_done = False

        async def counting_receive() -> Message:
            nonlocal received, body_done
            if body_done:
                # The body is in; from here on the app only waits for `http.disconnect` (an SSE stream listens for
                # it for as long as the stream lasts): no pause limit and nothing left to count.
                return await receive()
            # asyncio.timeout, not wait_for: wait_for runs receive() in a task of its own, so a caller that cancels
            # at once (Starlette's `is_disconnected`) could lose a message receive() had already taken.
            try:
                async with asyncio.timeout(self.pause_seconds):
                    message = await receive()
            except TimeoutError:
                raise BodyTooSlow(self.pause_seconds) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise BodyTooLarge(cap)
                body_done = not message.get("more_body", False)
            return message

        response = _ResponseTracker(send)
        try:
            await self.app(scope, counting_receive, response.send)
        except (BodyTooLarge, BodyTooSlow) as refused:
            if not response.started:
                await _send_error(send, refused.status_code, _REFUSAL_CODES[refused.status_code], refused.detail)


class BodyTooSlow(HTTPException):
    """The client paused longer than HTTP_BODY_TIMEOUT_SECONDS while sending a body (a slow-body attack or a
    dead link): 408 instead of holding a connection and a request's memory open indefinitely."""

    def __init__(self, seconds: float) -> None:
        super().__init__(408, f"The request body stopped arriving for {seconds:g} s; send it again.")


def _size(cap: int) -> str:
    return f"{cap / 1_000_000:.1f} MB" if cap >= 1_000_000 else f"{cap // 1000} kB"


_REFUSAL_CODES = {408: "request_timeout", 413: "payload_too_large"}


class _ResponseTracker:
    """Passes messages on and remembers whether the response has started (after that, no error can be sent)."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


async def _send_error(
    send: Send,
    status: int,
    code: str,
    detail: str,
    *,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
    close: bool = True,
) -> None:
    """Send the one error shape. `close` for refusals whose body was never read (the connection is spent)."""
    body = json.dumps({"detail": detail, "code": code, "request_id": request_id_var.get()}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra_headers or [])})
    await send({"type": "http.response.body", "body": body})


# Sent on every response unless the route set its own (the media route keeps its stricter CSP).
# No Cross-Origin-Resource-Policy: the original companion client loads page images from another origin.
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'; base-uri 'self'; object-src 'none'"),
)


class SecurityHeadersMiddleware:
    """Add `SECURITY_HEADERS` to each response that does not already carry the header.

    `frame-ancestors 'none'` (and `X-Frame-Options` for old browsers) stops another site from framing the UI with
    a signed-in user behind it; `nosniff` stops a browser from running an upload or an export as script.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _with_defaults(list(message.get("headers") or []), SECURITY_HEADERS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _with_defaults(
    headers: list[tuple[bytes, bytes]], defaults: Iterable[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in headers}
    return headers + [(name, value) for name, value in defaults if name not in present]


OUTAGE_RETRY_AFTER_SECONDS = 5


class UnhandledErrorMiddleware:
    """Answer what no route handled inside the request-id middleware, and never re-raise.

    Starlette's own last-resort handler runs outside every middleware (so its 500 said `request_id: "-"`) and
    re-raises after answering, so uvicorn logged a second traceback and dropped the kept-alive connection, failing
    the client's next request too. Here a dependency outage becomes a 503 naming it, anything else a 500 with the
    real request id, and the exception ends here.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response = _ResponseTracker(send)
        try:
            await self.app(scope, receive, response.send)
        except Exception as exc:
            dependency = outage_of(exc)
            if dependency is not None:
                # Not a bug: the operator's to fix and the client's cue to retry. One log line per change of the
                # dependency's state (core/outages.py), not a traceback per request.
                state_of(dependency).failed(exc, during=f"{scope.get('method', '')} {scope['path']}")
            else:
                log.error("unhandled error", exc_info=exc)
            if response.started:
                return  # a stream already under way: the server ends it; nothing more can be said
            if dependency is not None:
                await _send_error(
                    send,
                    503,
                    f"{dependency}_unavailable",
                    f"The {dependency} is not reachable right now; try again in a few seconds.",
                    extra_headers=[(b"retry-after", str(OUTAGE_RETRY_AFTER_SECONDS).encode())],
                    close=False,
                )
            else:
                await _send_error(send, 500, "internal_error", INTERNAL_ERROR_MESSAGE, close=False)


INTERNAL_ERROR_MESSAGE = "Something went wrong on our side. It has been logged; quote the request id if it repeats."
