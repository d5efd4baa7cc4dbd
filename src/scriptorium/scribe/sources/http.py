"""JSON and text requests to scholarly APIs with classified retries.

Retries use the shared policy (`core.http_retry`: 408, 425, 429, 5xx and broken connections, honouring
Retry-After), with short waits: the caller bounds the whole exchange with the research timeout, so retries can
never make one source outlast it. Anything else becomes a `SourceError` whose message is safe to show.
"""

from __future__ import annotations

from typing import Any

import httpx

from scriptorium.core.errors import SourceError
from scriptorium.core.http_retry import RetryPolicy, raise_for_retryable_status
from scriptorium.core.settings import Settings

RETRY_ATTEMPTS = 3
#: Research has seconds, not minutes: waits of about 0.25 and 0.5 s, and a server's Retry-After cut to 4 s.
SOURCE_RETRY = RetryPolicy(attempts=RETRY_ATTEMPTS, backoff_initial=0.25, backoff_max=2.0, retry_after_cap=4.0)


def headers_for(settings: Settings, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The research User-Agent plus per-service headers (API keys)."""
    return {"User-Agent": settings.fetch_user_agent, "Accept": "application/json", **(extra or {})}


async def request(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    service: str,
    per_request: float,
    params: dict[str, Any] | None = None,
    json: Any = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Send with retries on transient failures; raise SourceError on a final failure or a 4xx.

    A request that times out leaves as `httpx.TimeoutException` (after its retries), for the caller's deadline.
    """

    async def once() -> httpx.Response:
        response = await http.request(method, url, params=params, json=json, headers=headers, timeout=per_request)
        raise_for_retryable_status(response)
        return response

    try:
        response = await SOURCE_RETRY.call(once)
    except httpx.HTTPStatusError as exc:
        status = exc.response.status_code
        message = f"{service}: HTTP {status} after {RETRY_ATTEMPTS} attempts"
        raise SourceError(message, service=service, status=status, transient=True) from exc
    except httpx.TimeoutException:
        raise
    except httpx.TransportError as exc:
        message = f"{service}: connection failed after {RETRY_ATTEMPTS} attempts"
        raise SourceError(message, service=service, transient=True) from exc
    if response.status_code >= 400:
        raise SourceError(f"{service}: HTTP {response.status_code}", service=service, status=response.status_code)
    return response


async def get_json(
    http: httpx.AsyncClient,
    url: str,
    *,
    service: str,
    per_request: float,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """GET and decode JSON; a body that is not JSON is a SourceError, not a crash."""
    response = await request(http, "GET", url, service=service, per_request=per_request, params=params, headers=headers)
    try:
        return response.json()
    except ValueError as exc:
        raise SourceError(f"{service}: the response was not JSON", service=service) from exc
