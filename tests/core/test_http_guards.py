"""Request body caps, security headers and the masked LLM headers (issue 11, findings 1 and 5).

The cap must act before the body is read: a declared length over it is refused without reading a byte, and a
chunked body (no length) is refused the moment it passes the cap, so memory stays bounded either way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from scriptorium.core.settings import Settings, masked
from tests.conftest import OpenClient


@pytest.fixture
async def small_cap_client(open_client: OpenClient) -> AsyncIterator[httpx.AsyncClient]:
    async with open_client(request_max_bytes=20_000) as http:
        yield http


async def test_a_declared_body_over_the_cap_is_413_in_the_error_shape(small_cap_client: httpx.AsyncClient) -> None:
    body = b'{"email": "' + b"a" * 30_000 + b'", "password": "x"}'
    response = await small_cap_client.post(
        "/api/auth/login", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    payload = response.json()
    assert payload["code"] == "payload_too_large"
    assert "20 kB" in payload["detail"]
    assert payload["request_id"] not in ("", "-")
    assert payload["request_id"] == response.headers["x-request-id"]


async def test_a_chunked_body_is_cut_off_as_it_passes_the_cap(small_cap_client: httpx.AsyncClient) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"email": "'
        for _ in range(1000):  # 1000 × 1 kB: far past the cap if it were all read
            sent += 1
            yield b"a" * 1000

    response = await small_cap_client.post(
        "/api/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert sent < 100, f"the server read {sent} kB of a body it should have refused after 20"


async def test_bodies_under_the_cap_still_reach_the_route(small_cap_client: httpx.AsyncClient) -> None:
    response = await small_cap_client.post("/api/auth/login", json={"email": "nobody@example.org", "password": "x"})
    assert response.status_code not in (413, 500)


async def test_uploads_get_the_upload_cap_not_the_json_cap(open_client: OpenClient) -> None:
    files = {"file": ("people.csv", b"name,interest\n" + b"Ada Lovelace,engines\n" * 2000, "text/csv")}
    async with open_client(request_max_bytes=20_000, scribe_resume_max_bytes=100_000) as http:
        under = await http.post("/api/recipients/import", files=files)
        over = await http.post("/api/recipients/import", files={"file": ("big.csv", b"x" * 200_000, "text/csv")})
    assert under.status_code != 413  # 42 kB: over the JSON cap, under the upload cap
    assert over.status_code == 413


async def test_every_response_carries_security_headers_and_media_keeps_its_own_csp(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/health", "/api/episodes", "/api/does-not-exist"):
        response = await client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin", path


async def test_a_route_that_sets_its_own_csp_keeps_it(open_client: OpenClient) -> None:
    from fastapi import FastAPI, Response

    def add_route(app: FastAPI) -> None:
        @app.get("/api/test-own-csp")
        async def own() -> Response:
            return Response("x", headers={"Content-Security-Policy": "default-src 'none'; sandbox"})

        app.router.routes.insert(0, app.router.routes.pop())  # ahead of the UI's catch-all routes

    async with open_client(prepare=add_route) as http:
        response = await http.get("/api/test-own-csp")
    assert response.headers.get_list("content-security-policy") == ["default-src 'none'; sandbox"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_config_shows_which_llm_headers_are_set_but_not_their_values(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(llm_extra_headers={"Modal-Key": "wk-secret-1", "Modal-Secret": "ws-secret-2"})
    shown = masked(settings)["llm_extra_headers"]
    assert shown == {"Modal-Key": "***", "Modal-Secret": "***"}
    printed = repr(masked(settings))
    assert "wk-secret-1" not in printed and "ws-secret-2" not in printed


async def test_a_ui_on_another_origin_can_read_the_export_and_replay_headers(open_client: OpenClient) -> None:
    async with open_client(cors_origins=["https://ui.example.org"]) as http:
        response = await http.get("/health", headers={"Origin": "https://ui.example.org"})
    exposed = {name.strip().lower() for name in response.headers["access-control-expose-headers"].split(",")}
    wanted = {"x-scriptorium-flagged", "x-scriptorium-left-out", "x-scriptorium-warning", "idempotent-replayed"}
    assert wanted <= exposed
