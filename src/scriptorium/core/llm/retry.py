"""When to retry a provider call and how long to wait: shared by chat models and remote embedders.

Retried: HTTP 408, 429 and 5xx, and timeouts. Not retried: other 4xx (a bad request or key does not get better
by asking again). The wait honours `Retry-After` (seconds or an HTTP date) and `retry-after-ms`, capped at
`MAX_WAIT_SECONDS`; without it the wait grows exponentially with jitter. This module imports only tenacity.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from tenacity import RetryCallState, wait_exponential_jitter

BACKOFF_INITIAL_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 20.0
MAX_WAIT_SECONDS = 60.0

#: Waits about 0.5, 1, 2, 4 ... seconds (plus up to 0.25 s of jitter so clients do not retry in lockstep).
exponential_wait = wait_exponential_jitter(multiplier=BACKOFF_INITIAL_SECONDS, max=BACKOFF_MAX_SECONDS, jitter=0.25)


def is_retryable_status(status: int) -> bool:
    return status in {408, 429} or status >= 500


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The server's requested wait, from `retry-after-ms` or `Retry-After`; None when absent or unreadable."""
    if (millis := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def backoff_wait(state: RetryCallState) -> float:
    """Tenacity wait: the server's Retry-After when the failure carries one, else exponential with jitter."""
    exc: Any = state.outcome.exception() if state.outcome else None
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is not None:
        requested = retry_after_seconds(headers)
        if requested is not None:
            return min(requested, MAX_WAIT_SECONDS)
    return float(exponential_wait(state))
