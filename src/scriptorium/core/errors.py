"""The error tree every layer raises and the HTTP layer maps to one JSON shape.

ScriptoriumError                 root; never shown to clients as raw text
├── ConfigurationError           an operator mistake in settings (startup refuses to run)
├── ValidationFailed             input that passed the schema but breaks a rule (400/422)
├── NotFound                     missing, or belongs to someone else (404: never reveal which)
├── Forbidden                    authenticated but not allowed (403)
├── Unauthorized                 no or bad credentials (401)
├── Conflict                     state does not allow the action (409)
├── RateLimited                  quota or rate exhausted; carries retry_after seconds (429)
└── UpstreamError                an outside service failed; carries the service name
    ├── ModelError               a chat or embedding provider failed
    ├── SourceError              a research source failed
    └── FetchRefused             safe fetch refused a URL (private address, size, type)
"""

from __future__ import annotations


class ScriptoriumError(Exception):
    """Root of everything Scriptorium raises on purpose. `public_message` is safe to show a user."""

    status_code = 500
    code = "internal_error"

    def __init__(self, public_message: str, *, detail: str | None = None) -> None:
        super().__init__(public_message)
        self.public_message = public_message
        self.detail = detail


class ConfigurationError(ScriptoriumError):
    """Settings are missing or inconsistent; the message names the variable and what is expected."""

    code = "configuration_error"


class ValidationFailed(ScriptoriumError):
    """Input is well-formed but breaks a rule of the domain."""

    status_code = 422
    code = "validation_error"

    def __init__(self, public_message: str, *, field: str | None = None) -> None:
        super().__init__(public_message)
        self.field = field


class NotFound(ScriptoriumError):
    """The resource does not exist for this caller (other users' resources look missing too)."""

    status_code = 404
    code = "not_found"


class Unauthorized(ScriptoriumError):
    """Credentials are missing, expired or invalid."""

    status_code = 401
    code = "unauthorized"


class Forbidden(ScriptoriumError):
    """The caller is known but lacks the role for this action."""

    status_code = 403
    code = "forbidden"


class Conflict(ScriptoriumError):
    """The resource's state does not allow this action now."""

    status_code = 409
    code = "conflict"


class RateLimited(ScriptoriumError):
    """A quota or rate limit is exhausted; retry after `retry_after` seconds."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, public_message: str, *, retry_after: int) -> None:
        super().__init__(public_message)
        self.retry_after = retry_after


class UpstreamError(ScriptoriumError):
    """An outside service failed; `transient` says whether retrying may help."""

    status_code = 502
    code = "upstream_error"

    def __init__(
        self, public_message: str, *, service: str, status: int | None = None, transient: bool = False
    ) -> None:
        super().__init__(public_message)
        self.service = service
        self.status = status
        self.transient = transient


class ModelError(UpstreamError):
    """A chat or embedding provider failed after retries."""

    code = "model_error"


class SourceError(UpstreamError):
    """A research source (OpenAlex, arXiv, a web page, ...) failed."""

    code = "source_error"


class FetchRefused(UpstreamError):
    """Safe fetch refused a URL: private address, bad scheme, too large or wrong content type."""

    status_code = 400
    code = "fetch_refused"

    def __init__(self, public_message: str, *, url: str) -> None:
        super().__init__(public_message, service="web", transient=False)
        self.url = url
