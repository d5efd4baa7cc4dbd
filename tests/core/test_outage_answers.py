"""What no route handles is answered inside the request-id middleware and never re-raised (issue 11, finding 3).

A database outage is a 503 naming the dependency with `Retry-After`, not a 500; any other error is a 500 with the
real request id. The ASGI transport here re-raises app exceptions (its default), so an app that answers and then
re-raises (what made uvicorn log twice and drop the kept-alive connection) fails these tests.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import OperationalError

from scriptorium.core.outages import outage_of
from tests.conftest import OpenClient


class _Records(logging.Handler):
    """Collects what the app logs (its logger does not propagate to pytest's caplog handler)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _traceback(record: logging.LogRecord) -> bool:
    """The redaction filter renders a record's traceback into `exc_text` and clears `exc_info`: count both."""
    return bool(record.exc_info or record.exc_text)


@pytest.fixture
def app_log() -> Iterator[_Records]:
    handler = _Records()
    logger = logging.getLogger("scriptorium")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


@pytest.fixture
def outage_client(open_client: OpenClient) -> Callable[[Exception], AbstractAsyncContextManager[httpx.AsyncClient]]:
    """A client on an app with one extra route, `/api/test-raises`, that raises the given exception."""

    def with_failing_route(exc: Exception) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        def add_route(app: FastAPI) -> None:
            @app.get("/api/test-raises")
            async def raises() -> None:
                raise exc

            app.router.routes.insert(0, app.router.routes.pop())  # ahead of the UI's catch-all routes

        return open_client(prepare=add_route)

    return with_failing_route


async def test_a_database_outage_is_a_503_naming_it_with_retry_after_and_the_request_id(
    outage_client: Callable[[Exception], AbstractAsyncContextManager[httpx.AsyncClient]], app_log: _Records
) -> None:
    down = OperationalError("SELECT 1", {}, ConnectionRefusedError("connection to server at 127.0.0.1 refused"))
    async with outage_client(down) as http:
        response = await http.get("/api/test-raises", headers={"X-Request-ID": "req-outage-0001"})
        again = await http.get("/api/test-raises")  # the outage goes on: a second 503, no second log line
    assert response.status_code == again.status_code == 503
    assert response.headers["retry-after"] == "5"
    body = response.json()
    assert body["code"] == "database_unavailable"
    assert body["request_id"] == "req-outage-0001"
    assert "127.0.0.1" not in response.text and "SELECT" not in response.text
    lines = [r for r in app_log.records if "unreachable" in r.getMessage()]
    assert len(lines) == 1 and not _traceback(lines[0]), "an outage is one line, not a traceback"


async def test_any_other_error_is_one_500_with_the_real_request_id(
    outage_client: Callable[[Exception], AbstractAsyncContextManager[httpx.AsyncClient]], app_log: _Records
) -> None:
    async with outage_client(RuntimeError("secret internals")) as http:
        response = await http.get("/api/test-raises")
        after = await http.get("/health")
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert response.json()["request_id"] == response.headers["x-request-id"] != "-"
    assert "secret internals" not in response.text
    assert len([r for r in app_log.records if _traceback(r)]) == 1, "one traceback per failure"
    assert after.status_code == 200


def test_outages_are_told_apart_from_bugs() -> None:
    assert outage_of(OperationalError("x", {}, Exception("down"))) == "database"
    assert outage_of(RuntimeError("boom")) is None
    assert outage_of(ConnectionError("not a driver error")) is None
    import redis.exceptions

    assert outage_of(redis.exceptions.ConnectionError("refused")) == "queue"
