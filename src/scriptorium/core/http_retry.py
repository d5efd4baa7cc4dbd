"""The one retry policy for every call this server makes to another service, and the one `Retry-After` reader.

Chat models (the SDK transport and the hand-written stream), remote embedders and Scribe's scholarly sources
all retry the same failures the same way, so a provider's 503 or 429 is handled alike wherever it happens:

- retried: HTTP 408 (request timeout), 425 (too early), 429 (rate limited) and every 5xx, and transport errors
  (timeouts, refused or dropped connections, broken protocol). Any other 4xx is final: a bad request or key does
  not get better by asking again.
- the wait: the server's `retry-after-ms` or `Retry-After` (seconds or an HTTP date), capped at the policy's
  `retry_after_cap`; without one, exponential backoff with jitter (so clients do not retry in lockstep).

A caller picks only how many attempts and how long it can wait (`RetryPolicy`); `retrying()` hands back the
tenacity loop. Both `httpx` and `httpx2` (pydantic-ai's client) failures are understood; `httpx2` is looked up
in `sys.modules` so this module never loads it.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ParamSpec, TypeVar

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from scriptorium.core.settings import Settings

RETRYABLE_4XX = frozenset({408, 425, 429})

P = ParamSpec("P")
T = TypeVar("T")


def is_retryable_status(status: int) -> bool:
    """408, 425, 429 and 5xx: the server may answer differently if asked again."""
    return status in RETRYABLE_4XX or status >= 500


def retry_after_seconds(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """The server's requested wait in seconds, from `retry-after-ms` or `Retry-After`; None if absent or garbage.

    `Retry-After` may be a number of seconds or an HTTP date (RFC 9110 §10.2.3); a date in the past means 0.
    Header names are matched case-insensitively when `headers` is an `httpx.Headers`; a plain dict needs
    lower-case names.
    """
    if (millis := headers.get("retry-after-ms")) is not None:
        seconds = _number(millis)
        if seconds is not None:
            return seconds / 1000
    value = headers.get("retry-after")
    if value is None:
        return None
    if (seconds := _number(value)) is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return max(0.0, value) if value == value and value != float("inf") else None  # NaN and inf are garbage


def _httpx_classes(name: str) -> tuple[type[BaseException], ...]:
    modules = (httpx, sys.modules.get("httpx2"))
    return tuple(getattr(module, name) for module in modules if module is not None)


def is_transient(exc: BaseException) -> bool:
    """A failure worth another attempt: a retryable HTTP status or a transport error (httpx or httpx2)."""
    if isinstance(exc, _httpx_classes("HTTPStatusError")):
        status: Any = getattr(getattr(exc, "response", None), "status_code", None)
        return isinstance(status, int) and is_retryable_status(status)
    return isinstance(exc, _httpx_classes("TransportError"))


def raise_for_retryable_status(response: Any) -> None:
    """Raise the client's `HTTPStatusError` for a retryable status, so the retry loop sees it; else do nothing."""
    if is_retryable_status(response.status_code):
        response.raise_for_status()


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many attempts a call gets and how long it may wait between them; the rest is shared."""

    attempts: int
    backoff_initial: float = 0.5
    backoff_max: float = 20.0
    retry_after_cap: float = 60.0
    jitter: float = 0.25

    def wait(self, state: RetryCallState) -> float:
        """Tenacity wait: the failure's Retry-After when it carries one (capped), else exponential with jitter."""
        exc = state.outcome.exception() if state.outcome is not None else None
        headers = getattr(getattr(exc, "response", None), "headers", None)
        if headers is not None and (requested := retry_after_seconds(headers)) is not None:
            return min(requested, self.retry_after_cap)
        backoff = wait_exponential_jitter(multiplier=self.backoff_initial, max=self.backoff_max, jitter=self.jitter)
        return float(backoff(state))

    def retrying(self, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> AsyncRetrying:
        """The tenacity loop: retries transient failures, re-raises the last one when attempts run out.

        `sleep` is how it waits (tests pass a recorder to see the waits without spending them).
        """
        return AsyncRetrying(
            retry=retry_if_exception(is_transient),
            wait=self.wait,
            stop=stop_after_attempt(self.attempts),
            reraise=True,
            sleep=sleep,
        )

    async def call(self, fn: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs) -> T:
        """`await fn(*args, **kwargs)` under this policy."""
        result: T = await self.retrying()(fn, *args, **kwargs)
        return result

    def longest_backoff(self) -> float:
        """The most time spent waiting between attempts when no server asks for a wait (jitter included)."""
        waits = [min(self.backoff_initial * 2.0**n, self.backoff_max) + self.jitter for n in range(self.attempts - 1)]
        return float(sum(waits))


def provider_policy(settings: Settings) -> RetryPolicy:
    """Chat models and embedders: 1 + LLM_MAX_RETRIES attempts, waits of 0.5, 1, 2 … up to 20 s."""
    return RetryPolicy(attempts=settings.llm_max_retries + 1)
