"""The one retry policy: which failures are retried, how Retry-After is read, and how long a call waits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import httpx2
import pytest

from scriptorium.core.http_retry import RetryPolicy, is_retryable_status, is_transient, retry_after_seconds

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": " 2.5 "}, 2.5),
        ({"retry-after": "-4"}, 0.0),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after-ms": "soon", "retry-after": "9"}, 9.0),
        ({"retry-after": format_datetime(NOW + timedelta(seconds=90), usegmt=True)}, 90.0),
        ({"retry-after": "Sun, 01 Mar 2026 12:00:30 GMT"}, 30.0),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "inf"}, None),
        ({"retry-after": ""}, None),
        ({}, None),
    ],
)
def test_retry_after_reads_seconds_and_http_dates_and_ignores_garbage(
    headers: dict[str, str], expected: float | None
) -> None:
    assert retry_after_seconds(headers, now=NOW) == expected


def test_retry_after_header_names_are_case_insensitive_on_real_headers() -> None:
    assert retry_after_seconds(httpx.Headers({"Retry-After": "7"})) == 7.0


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504, 529])
def test_transient_statuses_are_retryable(status: int) -> None:
    assert is_retryable_status(status)
    assert is_transient(_status_error(httpx, status))
    assert is_transient(_status_error(httpx2, status))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_other_client_errors_are_final(status: int) -> None:
    assert not is_retryable_status(status)
    assert not is_transient(_status_error(httpx, status))


def test_transport_errors_are_transient_and_programming_errors_are_not() -> None:
    request = httpx.Request("GET", "http://twin.test/")
    assert is_transient(httpx.ConnectError("refused", request=request))
    assert is_transient(httpx.ReadTimeout("slow", request=request))
    assert is_transient(httpx.RemoteProtocolError("cut", request=request))
    assert is_transient(httpx2.ConnectError("refused"))
    assert not is_transient(ValueError("bug"))


def _status_error(module: object, status: int) -> BaseException:
    http: object = module
    request = http.Request("GET", "http://twin.test/")  # type: ignore[attr-defined]
    response = http.Response(status, request=request)  # type: ignore[attr-defined]
    error: BaseException = http.HTTPStatusError("failed", request=request, response=response)  # type: ignore[attr-defined]
    return error


class Server:
    """A loopback-free server: answers each request with the next scripted response and counts the calls."""

    def __init__(self, *responses: httpx.Response | Exception) -> None:
        self.responses = list(responses)
        self.calls = 0
        self.client = httpx.AsyncClient(transport=httpx.MockTransport(self.handle))

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        step = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(step, Exception):
            raise step
        return step

    async def get(self) -> httpx.Response:
        response = await self.client.get("http://twin.test/")
        if response.is_error:
            response.raise_for_status()
        return response


def recorder() -> tuple[list[float], Callable[[float], object]]:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    return waits, sleep


async def test_408_is_retried_and_the_retry_after_wait_is_honoured() -> None:
    server = Server(httpx.Response(408, headers={"Retry-After": "2"}), httpx.Response(200, text="ok"))
    waits, sleep = recorder()
    response = await RetryPolicy(attempts=3).retrying(sleep=sleep)(server.get)  # type: ignore[arg-type]
    assert (response.text, server.calls, waits) == ("ok", 2, [2.0])


async def test_an_http_date_retry_after_is_a_wait_until_that_time() -> None:
    when = datetime.now(UTC) + timedelta(seconds=30)
    busy = httpx.Response(503, headers={"Retry-After": format_datetime(when, usegmt=True)})
    server = Server(busy, httpx.Response(200))
    waits, sleep = recorder()
    await RetryPolicy(attempts=2).retrying(sleep=sleep)(server.get)  # type: ignore[arg-type]
    (wait,) = waits
    assert 25.0 <= wait <= 30.0  # HTTP dates have whole seconds; the test machine may be slow


async def test_a_huge_retry_after_is_capped() -> None:
    server = Server(httpx.Response(429, headers={"Retry-After": "86400"}), httpx.Response(200))
    waits, sleep = recorder()
    await RetryPolicy(attempts=2, retry_after_cap=4.0).retrying(sleep=sleep)(server.get)  # type: ignore[arg-type]
    assert waits == [4.0]


async def test_without_retry_after_the_backoff_grows_and_the_last_failure_is_raised() -> None:
    server = Server(httpx.ConnectError("refused"))
    waits, sleep = recorder()
    policy = RetryPolicy(attempts=4, backoff_initial=1.0, backoff_max=3.0, jitter=0.0)
    with pytest.raises(httpx.ConnectError):
        await policy.retrying(sleep=sleep)(server.get)  # type: ignore[arg-type]
    assert (server.calls, waits) == (4, [1.0, 2.0, 3.0])
    assert policy.longest_backoff() == 6.0


async def test_a_final_client_error_is_not_retried() -> None:
    server = Server(httpx.Response(404), httpx.Response(200))
    waits, sleep = recorder()
    with pytest.raises(httpx.HTTPStatusError):
        await RetryPolicy(attempts=3).retrying(sleep=sleep)(server.get)  # type: ignore[arg-type]
    assert (server.calls, waits) == (1, [])
