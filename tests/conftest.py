"""Shared fixtures: every test builds its own Settings under a temporary DATA_DIR, with no provider env leaking in."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from scriptorium.app import create_app
from scriptorium.core.settings import Settings
from tests.migrated_template import MigratedTemplate, process_template
from tests.services import fresh_postgres_schema, fresh_redis_queue

PROVIDER_ENV_PREFIXES = (
    "DATABASE_URL",
    "DB_",
    "REDIS_",
    "CHAT_PROVIDER",
    "EMBEDDING_",
    "STORAGE_BACKEND",
    "R2_",
    "S3_",
    "OPENAI_",
    "ANTHROPIC_",
    "OLLAMA_",
    "FIREWORKS_",
    "OPENROUTER_",
    "VOYAGE_",
    "LOGFIRE_",
    "AUTH_MODE",
    "AUTH_LOGIN_",
    "SECRET_KEY",
    "ALLOWED_ORIGINS",
    "CORS_ORIGINS",
    "PROFILE",
    "ENVIRONMENT",
    "JOB_",
    "MODAL_",
    "SUPABASE_",
    "PUBLIC_BASE_URL",
    "TEMPLATE_PARSER_MODEL",
    "EMAIL_COMPOSER_MODEL",
    "FETCH_",
    "EXA_",
    "SEARXNG_",
)

RAM_TEMP_ROOT = Path("/dev/shm")
RAM_TEMP_MIN_FREE = 4 * 1024**3
"""Test folders go to RAM only when it has room for a whole run (a container's default /dev/shm is 64 MB)."""


def ram_temp_root() -> Path | None:
    """`/dev/shm` when it is a writable, executable tmpfs with room to spare, else None."""
    try:
        stats = os.statvfs(RAM_TEMP_ROOT)
    except OSError:
        return None
    usable = not stats.f_flag & (os.ST_RDONLY | os.ST_NOEXEC) and os.access(RAM_TEMP_ROOT, os.W_OK | os.X_OK)
    return RAM_TEMP_ROOT if usable and stats.f_bavail * stats.f_frsize >= RAM_TEMP_MIN_FREE else None


def pytest_configure(config: pytest.Config) -> None:
    """Put `tmp_path` folders in RAM when there is room: every test's SQLite commits end in fsync, and on a disk
    shared with other work those syncs, not the tests, are most of the wall time (a migration: 3 s on disk, 0.6 s
    in RAM). An explicit `--basetemp` or PYTEST_DEBUG_TEMPROOT wins."""
    root = ram_temp_root()
    if root is not None and config.option.basetemp is None:
        os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", str(root))


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(PROVIDER_ENV_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALLOW_MODEL_REQUESTS", "false")


@pytest.fixture(autouse=True)
def fresh_outage_states() -> Iterator[None]:
    """Each test starts with every dependency reachable: one test's outage must not silence the next one's log."""
    from scriptorium.core.outages import reset_states

    reset_states()
    yield
    reset_states()


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings for one test: lite, memory job queue, everything under tmp_path; override per test."""

    def factory(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "var",
            "environment": "test",
            "job_backend": "memory",
            "run_consumer_in_process": False,
            "_env_file": None,
        }
        values.update(overrides)
        return Settings(**values)

    return factory


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture(scope="session")
def migrated_template() -> MigratedTemplate:
    """This process's migrated SQLite file (built on first use); `.apply(settings)` migrates a test's database."""
    return process_template()


@pytest.fixture
def migrate(migrated_template: MigratedTemplate) -> Callable[[Settings], None]:
    """`migrate(settings)`: the database of `settings` at head (a copy of the template when it is a SQLite file)."""
    return migrated_template.apply


@pytest.fixture
def migrated(settings: Settings, migrate: Callable[[Settings], None]) -> Settings:
    migrate(settings)
    return settings


OpenClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def open_client(make_settings: Callable[..., Settings], migrate: Callable[[Settings], None]) -> OpenClient:
    """`async with open_client(**overrides) as http:` an in-process client on a migrated app built from
    `make_settings(**overrides)`; `prepare=fn` may add routes to the app before it starts."""

    @asynccontextmanager
    async def opened(
        prepare: Callable[[FastAPI], None] | None = None, **overrides: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        settings = make_settings(**overrides)
        migrate(settings)
        app = create_app(settings)
        if prepare is not None:
            prepare(app)
        async with (
            LifespanManager(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http,
        ):
            yield http

    return opened


@pytest.fixture
async def client(migrated: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client for an app on a migrated SQLite database."""
    app = create_app(migrated)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http,
    ):
        yield http


@pytest.fixture
def artifacts_dir() -> Path:
    path = Path(__file__).parent / "artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture
def scale_settings(tmp_path: Path) -> Iterator[Settings]:
    """Scale-profile settings on a private PostgreSQL schema and Redis queue (fail under CI=true if missing)."""
    with fresh_postgres_schema() as database_url, fresh_redis_queue() as (redis_url, queue_name):
        yield Settings(  # type: ignore[call-arg]
            _env_file=None,
            profile="scale",
            data_dir=tmp_path / "var",
            database_url=database_url,
            redis_url=redis_url,
            queue_name=queue_name,
        )
