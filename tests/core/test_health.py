"""`/health`: ok with a check per component; 503 degraded naming the failing one; never slower than 2 s."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from asgi_lifespan import LifespanManager

from scriptorium.app import create_app
from scriptorium.core.settings import Settings
from tests.migrated_template import migrate
from tests.twins.server import free_port


async def test_health_reports_each_component_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["components"]) == {"database", "jobs", "storage", "providers"}
    assert body["components"]["providers"]["chat"] == "offline"


async def test_unreachable_job_queue_is_503_degraded_within_two_seconds(
    make_settings: Callable[..., Settings],
) -> None:
    closed_port = free_port()
    settings = make_settings(job_backend="redis", redis_url=f"redis://127.0.0.1:{closed_port}/0")
    migrate(settings)
    app = create_app(settings)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        started = time.perf_counter()
        response = await http.get("/health")
        elapsed = time.perf_counter() - started
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["failing"] == ["jobs"]
    assert "redis" not in response.text.lower() or "ConnectionError" in response.text
    assert elapsed < 2.0


async def test_missing_database_schema_still_answers_and_names_the_database(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none", db_connect_timeout=1)
    app = create_app(settings)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        started = time.perf_counter()
        response = await http.get("/health")
        assert time.perf_counter() - started < 2.0
    assert response.status_code == 503
    assert response.json()["failing"] == ["database"]
