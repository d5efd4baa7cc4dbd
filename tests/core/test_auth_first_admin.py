"""The first local account becomes the administrator exactly once, even when many register at the same instant.

Registrations race through the real app (argon2 hashing in threads, one session per request) on SQLite and on
PostgreSQL; the database must end with exactly one admin whichever request wins.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import func, select

from scriptorium.app import create_app
from scriptorium.core.models import User
from scriptorium.core.settings import Settings
from tests.migrated_template import migrate
from tests.services import fresh_postgres_schema

MakeSettings = Callable[..., Settings]
SECRET = "test-secret-key-that-is-long-enough-for-hs256"
PASSWORD = "correct horse battery"
RACERS = 8


@asynccontextmanager
async def local_app(make_settings: MakeSettings, **overrides: Any) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    settings = make_settings(auth_mode="local", secret_key=SECRET, auth_login_attempts=100, **overrides)
    migrate(settings)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with LifespanManager(app), httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http, app


async def race_registrations(make_settings: MakeSettings, **overrides: Any) -> tuple[list[str], int]:
    """Fire RACERS registrations at once; the roles they were given and the admins the database holds."""
    async with local_app(make_settings, **overrides) as (http, app):
        responses = await asyncio.gather(
            *(
                http.post("/api/auth/register", json={"email": f"racer{n}@example.org", "password": PASSWORD})
                for n in range(RACERS)
            )
        )
        async with app.state.resources.sessionmaker() as session:
            admins = await session.scalar(select(func.count()).select_from(User).where(User.role == "admin"))
    assert [r.status_code for r in responses] == [201] * RACERS, [r.text for r in responses if r.status_code != 201]
    return [r.json()["user"]["role"] for r in responses], int(admins or 0)


async def test_concurrent_first_registrations_make_exactly_one_admin_on_sqlite(make_settings: MakeSettings) -> None:
    roles, admins = await race_registrations(make_settings)
    assert sorted(roles) == ["admin"] + ["user"] * (RACERS - 1)
    assert admins == 1


@pytest.mark.postgres
async def test_concurrent_first_registrations_make_exactly_one_admin_on_postgres(make_settings: MakeSettings) -> None:
    with fresh_postgres_schema() as url:
        roles, admins = await race_registrations(make_settings, database_url=url)
    assert sorted(roles) == ["admin"] + ["user"] * (RACERS - 1)
    assert admins == 1


async def test_admin_emails_still_win_after_the_first_account(make_settings: MakeSettings) -> None:
    async with local_app(make_settings, admin_emails="boss@example.org") as (http, _):
        first = await http.post("/api/auth/register", json={"email": "first@example.org", "password": PASSWORD})
        boss = await http.post("/api/auth/register", json={"email": "boss@example.org", "password": PASSWORD})
        other = await http.post("/api/auth/register", json={"email": "other@example.org", "password": PASSWORD})
    assert [r.json()["user"]["role"] for r in (first, boss, other)] == ["admin", "admin", "user"]
