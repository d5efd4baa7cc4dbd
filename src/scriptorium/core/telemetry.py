"""Logging and tracing: JSON logs in production, readable ones in development, a request id on every line.

Secrets never reach a log line: every record passes a filter that replaces the values of configured secrets
and anything shaped like a bearer token or a password in a URL. Logfire/OpenTelemetry start only when a token
or an OTLP endpoint is configured, and then with no network attempt until there is something to send.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import uuid
from typing import Any

from pydantic import SecretStr
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scriptorium.core.settings import Settings

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)((?:api[_-]?key|token|secret|password|passwd)[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,]{4,}"),
    re.compile(r"(://[^:/@\s]+:)[^@/\s]+(@)"),
]


class RedactSecrets(logging.Filter):
    """Replace configured secret values and secret-shaped substrings in every record."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        text = _PATTERNS[0].sub(r"\1***", text)
        text = _PATTERNS[1].sub(r"\1***", text)
        return _PATTERNS[2].sub(r"\1***\2", text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        for key, value in list(record.__dict__.items()):
            if isinstance(value, str) and key not in {"msg", "levelname", "name", "pathname", "filename"}:
                record.__dict__[key] = self.redact(value)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        record.request_id = request_id_var.get()
        return True


class _TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s", "%H:%M:%S")


def configure_logging(settings: Settings, *, stream: Any = None) -> None:
    """Install one handler on the root logger (idempotent: safe to call per app in tests)."""
    secrets = [
        getattr(settings, name).get_secret_value()
        for name in type(settings).model_fields
        if isinstance(getattr(settings, name), SecretStr)
    ]
    # LLM_EXTRA_HEADERS carries a proxy's credentials (Modal-Key/Modal-Secret) in plain values.
    secrets += list(settings.llm_extra_headers.values())
    json_logs = settings.log_format == "json" or (
        settings.log_format == "auto" and settings.environment == "production"
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactSecrets(secrets))
    if json_logs:
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(
            JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s", timestamp=True)
        )
    else:
        handler.setFormatter(_TextFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_scriptorium", False)]:
        root.removeHandler(old)
    handler._scriptorium = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for noisy in ("huey", "httpx", "httpcore", "aiosqlite"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(settings.log_level)))


def configure_tracing(settings: Settings) -> bool:
    """Start Logfire/OTel only when configured; returns whether tracing is on. Never raises."""
    token = settings.logfire_token.get_secret_value()
    if not token and not settings.otel_exporter_otlp_endpoint:
        return False
    try:
        import logfire

        logfire.configure(
            token=token or None, send_to_logfire="if-token-present", console=False, service_name="scriptorium"
        )
        return True
    except Exception:
        logging.getLogger(__name__).warning("tracing not started: logfire is not installed or misconfigured")
        return False


class RequestIdMiddleware:
    """Give every request an id (or keep a sane incoming `X-Request-ID`) and echo it in the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if re.fullmatch(r"[A-Za-z0-9._-]{8,64}", incoming) else uuid.uuid4().hex[:16]
        token = request_id_var.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", rid.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)
