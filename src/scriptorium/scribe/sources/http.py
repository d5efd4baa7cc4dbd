"""JSON and text requests to scholarly APIs with classified retries.

Retries only help with 429, 5xx and broken connections, so only those are retried, with exponential backoff
(honouring Retry-After up to a cap). The caller bounds the whole exchange with the research timeout, so retries can
never make one source outlast it. Anything else becomes a `SourceError` whose message is safe to show.
"""

from __future__ import annotations

from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from scriptorium.core.errors import SourceError
from scriptorium.core.settings import Settings

RETRY_ATTEMPTS = 3
_RETRY_AFTER_CAP = 4.0
_backoff = wait_exponential_jitter(multiplier=0.25, max=2.0, jitter=0.25)


class _Transient(Exception):
    def __init__(self, status: int | None, retry_after: float | None) -> None:
        super().__init__(f"transient upstream status {status}")
        self.status = status
        self.retry_after = retry_after


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        return min(float(value), _RETRY_AFTER_CAP)
    except ValueError:
        return None


def _wait(state: RetryCallState) -> float:
    outcome = state.outcome
    error = outcome.exception() if outcome is not None else None
    if isinstance(error, _Transient) and error.retry_after is not None:
        return error.retry_after
    return float(_backoff(state))


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
    """Send with retries on 429/5xx/transport errors; raise SourceError on a final failure or a 4xx."""

    async def once() -> httpx.Response:
        try:
            response = await http.request(method, url, params=params, json=json, headers=headers, timeout=per_request)
        except httpx.TimeoutException:
            raise
        except httpx.TransportError as exc:
            raise _Transient(None, None) from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise _Transient(response.status_code, _retry_after(response))
        return response

    try:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(lambda exc: isinstance(exc, _Transient)),
            stop=stop_after_attempt(RETRY_ATTEMPTS),
            wait=_wait,
            reraise=True,
        ):
            with attempt:
                response = await once()
    except _Transient as exc:
        status = f"HTTP {exc.status}" if exc.status else "connection failed"
        message = f"{service}: {status} after {RETRY_ATTEMPTS} attempts"
        raise SourceError(message, service=service, status=exc.status, transient=True) from exc
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
