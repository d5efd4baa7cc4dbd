"""Slow clients cannot hold `serve` open (issue 11, finding 8): headers that never finish are cut off, a body
that stops arriving is a 408, and the FORWARDED_ALLOW_IPS setting reaches uvicorn (it was hard-coded)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlsplit

import httpx
import pytest
from httpx_sse import EventSource
from starlette.types import Receive, Scope, Send

from scriptorium.core.http_server import uvicorn_options
from scriptorium.core.settings import Settings
from tests.conftest import OpenClient
from tests.twins.server import serve_in_thread


async def hello(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """True when the server closes the connection (recv returns b'') before `seconds` pass."""
    sock.settimeout(seconds)
    try:
        return sock.recv(1024) == b""
    except TimeoutError:
        return False


def test_headers_that_never_finish_are_cut_off_and_complete_ones_are_served(
    make_settings: Callable[..., Settings],
) -> None:
    options = uvicorn_options(make_settings(http_header_timeout_seconds=0.5))
    with serve_in_thread(hello, **options) as base:
        address = urlsplit(base)
        host, port = address.hostname or "127.0.0.1", address.port or 80
        with socket.create_connection((host, port)) as silent, socket.create_connection((host, port)) as slow:
            started = time.monotonic()
            slow.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # and never the rest
            assert _closed_within(silent, 60), "a connection that sends nothing is closed"
            assert _closed_within(slow, 60), "headers that never finish are cut off"
            assert time.monotonic() - started >= 0.45
        assert httpx.get(base, timeout=30).text == "hello"
        with httpx.Client(base_url=base, timeout=30) as kept_alive:  # the timer restarts for each request
            assert [kept_alive.get("/").status_code for _ in range(3)] == [200, 200, 200]


def test_serve_passes_its_settings_to_uvicorn(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(forwarded_allow_ips="*", http_keep_alive_seconds=7, http_max_connections=123)
    options = uvicorn_options(settings)
    assert options["forwarded_allow_ips"] == "*"
    assert (options["timeout_keep_alive"], options["limit_concurrency"]) == (7, 123)
    assert options["http"].header_timeout == settings.http_header_timeout_seconds


@pytest.fixture
async def impatient_client(open_client: OpenClient) -> AsyncIterator[httpx.AsyncClient]:
    async with open_client(http_body_timeout_seconds=0.3) as http:
        yield http


async def test_a_body_that_stops_arriving_is_a_408(impatient_client: httpx.AsyncClient) -> None:
    never = asyncio.Event()

    async def stalls() -> AsyncIterator[bytes]:
        yield b'{"email": "ada@example.org", '
        await never.wait()
        yield b'"password": "x"}'

    response = await asyncio.wait_for(
        impatient_client.post("/api/auth/login", content=stalls(), headers={"Content-Type": "application/json"}),
        timeout=60,
    )
    assert response.status_code == 408
    assert response.json()["code"] == "request_timeout"


async def test_the_body_pause_limit_ends_with_the_body_so_long_streams_keep_listening() -> None:
    """An SSE stream waits on `receive()` for the client's disconnect for as long as it lasts; that wait is not a
    stalled body and must not be cut off by HTTP_BODY_TIMEOUT_SECONDS."""
    from starlette.types import Message

    from scriptorium.core.middleware import BodyLimitMiddleware

    disconnect = asyncio.Event()
    heard: list[str] = []

    async def streaming_app(scope: Scope, receive: Receive, send: Send) -> None:
        heard.append((await receive())["type"])  # the (empty) body
        heard.append((await receive())["type"])  # then, much later than the pause limit, the disconnect

    async def client_receive() -> Message:
        if not heard:
            return {"type": "http.request", "body": b"", "more_body": False}
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def client_send(message: Message) -> None:
        pass

    guarded = BodyLimitMiddleware(streaming_app, json_max_bytes=1000, upload_max_bytes=1000, pause_seconds=0.05)
    scope: Scope = {"type": "http", "method": "GET", "path": "/api/queue/stream", "headers": []}
    task = asyncio.create_task(guarded(scope, client_receive, client_send))
    await asyncio.sleep(0.5)  # ten times the pause limit: a stream that must still be listening
    assert not task.done(), "the stream was cut off while it waited for the client"
    disconnect.set()
    await asyncio.wait_for(task, timeout=30)
    assert heard == ["http.request", "http.disconnect"]


def test_a_real_event_stream_outlives_the_body_pause_limit(make_settings: Callable[..., Settings]) -> None:
    """On a real server, an SSE stream stays open past HTTP_BODY_TIMEOUT_SECONDS while it listens for the client.

    Seen before the fix: /api/queue/stream was cut off at the pause limit, because Starlette's `is_disconnected()`
    cancels its receive() at once and the guard's asyncio.wait_for lost the body message that receive() had taken.
    Reading after the limit tells the two apart without timing: a closed stream fails at once, an open one times out.
    """
    from scriptorium.app import create_app
    from tests.migrated_template import migrate

    settings = make_settings(http_body_timeout_seconds=0.3)
    migrate(settings)
    # The next event after the first snapshot is a ping 15 s later: an open stream times out reading before that.
    timeout = httpx.Timeout(30, read=8)
    with (
        serve_in_thread(create_app(settings)) as base,
        httpx.stream("GET", f"{base}/api/queue/stream", timeout=timeout) as stream,
    ):
        assert stream.status_code == 200
        events = EventSource(stream).iter_sse()
        assert next(events).event == "snapshot"
        time.sleep(1.5)  # five times the pause limit: the cut-off, if any, has happened by now
        with pytest.raises(httpx.ReadTimeout):  # a stream cut off at the limit raises RemoteProtocolError instead
            next(events)
