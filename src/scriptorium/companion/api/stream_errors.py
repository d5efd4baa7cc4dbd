"""Refusals on the chat route as an event stream: the status code stays, the body is one `error` frame.

The original companion's client posts a question and reads the response body as a stream without checking the
status, so a JSON error body (a 422 for a too-long message, a 429 over the rate limit) reached it as nothing: an
empty answer bubble. Here every refusal of that route keeps its status code and headers (Retry-After on a 429)
and carries `event: error` with `{code, message}` (the original's frame) plus our error fields (`detail`,
`field`, `request_id`), so both that client and a status-checking one get the reason. No exception text is
sent: messages are the errors' public messages, and anything unexpected is logged and reported generically.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from scriptorium.core.errors import RateLimited, ScriptoriumError
from scriptorium.core.telemetry import request_id_var

log = logging.getLogger(__name__)

STREAM_TYPE = "text/event-stream"
UNEXPECTED = "Something went wrong on our side. It has been logged; quote the request id if it repeats."


def error_frame(code: str, message: str, **extra: Any) -> bytes:
    """One SSE `error` frame (CRLF line ends, as sse-starlette writes them)."""
    data = {"code": code, "message": message, "detail": message, "request_id": request_id_var.get(), **extra}
    return f"event: error\r\ndata: {json.dumps(data, ensure_ascii=False)}\r\n\r\n".encode()


def error_stream(
    status: int, code: str, message: str, *, headers: dict[str, str] | None = None, field: str | None = None
) -> Response:
    """A complete event-stream response holding one `error` frame, with the refusal's status code."""
    return Response(
        error_frame(code, message, **({"field": field} if field else {})),
        status_code=status,
        media_type=STREAM_TYPE,
        headers={"Cache-Control": "no-cache", **(headers or {})},
    )


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    errors = list(exc.errors())
    parts = []
    for error in errors[:5]:
        loc = [str(p) for p in error.get("loc", ())]
        field = ".".join(loc[1:]) or (loc[0] if loc else "body")
        parts.append(f"{field}: {error.get('msg', 'invalid value')}")
    first = [str(p) for p in errors[0].get("loc", ())][1:] if errors else []
    return "; ".join(parts) or "the request is not valid", ".".join(first) or None


def refusal(exc: Exception) -> Response:
    """The event-stream response for an exception raised before the stream started."""
    if isinstance(exc, RequestValidationError):
        message, field = _validation_message(exc)
        return error_stream(422, "validation_error", message, field=field)
    if isinstance(exc, ScriptoriumError):
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        if exc.status_code >= 500:
            log.error("request failed: %s", exc.public_message, exc_info=exc)
        field = getattr(exc, "field", None)
        return error_stream(exc.status_code, exc.code, exc.public_message, headers=headers, field=field)
    if isinstance(exc, StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else "the request was refused"
        return error_stream(exc.status_code, "http_error", message, headers=dict(exc.headers or {}))
    log.error("unhandled error", exc_info=exc)
    return error_stream(500, "internal_error", UNEXPECTED)


class StreamErrorsRoute(APIRoute):
    """An APIRoute whose refusals (validation, domain errors, anything unexpected) become event streams."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:  # every refusal, reported as a frame; unexpected ones are logged
                return refusal(exc)

        return route
