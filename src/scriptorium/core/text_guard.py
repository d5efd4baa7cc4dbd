"""Control characters in a URL's path or query are a 422 before any route runs.

Request bodies are checked field by field (`core.text_fields`), but a search term (`?q=`), a filter
(`?batch_id=`) or an id in the path reach SQL too, and PostgreSQL answers a NUL there with an error that became a
500 (SQLite quietly matched nothing). One middleware covers every route, present and future, with the same
error shape as the validation handler: `{"detail": [{"loc", "field", "msg", "type"}], "code": "validation_error"}`.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from scriptorium.core.telemetry import request_id_var
from scriptorium.core.text_fields import MULTI_LINE_ALLOWED, control_character


def _problem(where: str, name: str, value: str, allowed: frozenset[str]) -> dict[str, object] | None:
    found = control_character(value, allowed)
    if found is None:
        return None
    index, char = found
    kind = "a NUL byte" if char == "\x00" else f"a control character (U+{ord(char):04X})"
    return {
        "loc": [where, name] if where == "query" else [where],
        "field": name,
        "msg": f"must not contain {kind}; found at position {index + 1}",
        "type": "value_error",
    }


def url_problems(path: str, query_string: bytes) -> list[dict[str, object]]:
    """One error per offending part: the path (no control characters at all) and each query value."""
    problems = []
    if (in_path := _problem("path", "path", path, frozenset())) is not None:
        problems.append(in_path)
    query = query_string.decode("ascii", errors="replace")
    for name, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
        found = _problem("query", name, value, MULTI_LINE_ALLOWED) or _problem("query", name, name, frozenset())
        if found is not None:
            problems.append(found)
    return problems


class ControlCharacterMiddleware:
    """Answers 422 for a path or query carrying control characters; everything else passes untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problems = url_problems(str(scope.get("path", "")), bytes(scope.get("query_string", b"")))
        if not problems:
            await self.app(scope, receive, send)
            return
        summary = "; ".join(f"{p['field']}: {p['msg']}" for p in problems[:5])
        body = json.dumps(
            {"detail": problems, "code": "validation_error", "request_id": request_id_var.get(), "message": summary}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 422,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
