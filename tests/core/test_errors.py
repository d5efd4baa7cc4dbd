"""One error shape: validation names the field, 4xx says what to fix, 500 never leaks exception text."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter
from pydantic import BaseModel, Field

from scriptorium.app import create_app
from scriptorium.core.errors import NotFound, RateLimited
from scriptorium.core.settings import Settings


class Payload(BaseModel):
    name: str = Field(min_length=2)
    count: int = Field(ge=1, le=5)


def probe_router() -> APIRouter:
    router = APIRouter()

    @router.post("/api/_probe/validate")
    async def validate(payload: Payload) -> dict[str, str]:
        return {"name": payload.name}

    @router.get("/api/_probe/missing")
    async def missing() -> None:
        raise NotFound("no template 'abc'; list yours at /api/templates/")

    @router.get("/api/_probe/limited")
    async def limited() -> None:
        raise RateLimited("daily quota reached", retry_after=120)

    @router.get("/api/_probe/crash")
    async def crash() -> None:
        raise RuntimeError("password=hunter2 at /srv/secret/path.py line 12")

    return router


@pytest.fixture
async def http(migrated: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(migrated)
    app.router.routes[0:0] = probe_router().routes
    async with (
        LifespanManager(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t"
        ) as client,
    ):
        yield client


async def test_validation_errors_are_422_and_name_each_field(http: httpx.AsyncClient) -> None:
    response = await http.post("/api/_probe/validate", json={"name": "x", "count": 9})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert {item["field"] for item in body["detail"]} == {"name", "count"}
    assert "name:" in body["message"]
    assert body["request_id"] == response.headers["x-request-id"]


async def test_domain_errors_map_to_status_and_say_what_to_do(http: httpx.AsyncClient) -> None:
    missing = await http.get("/api/_probe/missing")
    assert missing.status_code == 404
    assert missing.json()["detail"].startswith("no template 'abc'")
    limited = await http.get("/api/_probe/limited")
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "120"


async def test_unexpected_errors_are_500_without_exception_text(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/_probe/crash")
    assert response.status_code == 500
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert response.json()["code"] == "internal_error"
    assert response.json()["request_id"]


async def test_unknown_api_path_is_a_json_404(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
