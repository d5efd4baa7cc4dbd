"""Scribe API fixtures: the app on a migrated SQLite database, accounts with tokens, and a job drain.

`scribe_api` gives a `ScribeApi`: an httpx client on the app (ASGI, lifespan on), `resources` shared with the app,
`user(...)` to create accounts with bearer headers (AUTH_MODE=local), and `drain()` to run every queued job on the
test's event loop. Research goes to the loopback scholarly twin; models are offline unless a test passes
`chat_provider=openai_twin.chat_spec()`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import func, select

from scriptorium.app import create_app
from scriptorium.apps import load_job_handlers
from scriptorium.core.auth import issue_token
from scriptorium.core.db import new_id
from scriptorium.core.models import User
from scriptorium.core.resources import Resources, build_resources
from scriptorium.core.settings import Settings
from tests.scribe.conftest import BOOK_TEMPLATE, GENERAL_TEMPLATE, RESEARCH_TEMPLATE

RESEARCH, BOOK, GENERAL = RESEARCH_TEMPLATE, BOOK_TEMPLATE, GENERAL_TEMPLATE
CHEN = {
    "recipient_name": "Dr. Maria Chen",
    "recipient_interest": "protein folding",
    "institution": "University of Northbridge",
}
CHEN_BOOK = {
    "recipient_name": "Maria Chen",
    "recipient_interest": "medieval manuscripts",
    "institution": "Eastmarch University",
}
OKAFOR = {"recipient_name": "Dr. Tomás Okafor", "recipient_interest": "engineering education"}
UNKNOWN = {"recipient_name": "Quentin Aldridge-Vey", "recipient_interest": "glacier acoustics"}


@dataclass
class Account:
    id: str
    email: str
    headers: dict[str, str]


@dataclass
class ScribeApi:
    client: httpx.AsyncClient
    resources: Resources
    settings: Settings
    accounts: list[Account] = field(default_factory=list)

    async def user(self, email: str | None = None, *, role: str = "user") -> Account:
        email = email or f"{new_id()[:8]}@example.org"
        user_id = new_id()
        async with self.resources.sessionmaker() as session:
            session.add(User(id=user_id, email=email, display_name=email.split("@")[0], role=role))
            await session.commit()
        account = Account(user_id, email, {"Authorization": f"Bearer {issue_token(self.settings, user_id)}"})
        self.accounts.append(account)
        return account

    async def drain(self) -> int:
        assert self.resources.runner is not None
        return await self.resources.runner.drain()

    async def count(self, model: Any, *conditions: Any) -> int:
        async with self.resources.sessionmaker() as session:
            return int(await session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0)

    async def submit_and_finish(self, account: Account, template: str, *items: dict[str, Any]) -> list[dict[str, Any]]:
        """Batch-submit, run the jobs, and return the finished queue items (in submission order)."""
        response = await self.client.post(
            "/api/queue/batch", json={"email_template": template, "items": list(items)}, headers=account.headers
        )
        assert response.status_code == 201, response.text
        ids = response.json()["queue_item_ids"]
        await self.drain()
        queue = (await self.client.get("/api/queue/", headers=account.headers)).json()
        by_id = {item["id"]: item for item in queue}
        return [by_id[item_id] for item_id in ids]


@pytest.fixture
def scribe_api_factory(
    scribe_settings: Callable[..., Settings], migrate: Callable[[Settings], None]
) -> Callable[..., Any]:
    """Build a ScribeApi with settings overrides (an async context manager)."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def factory(**overrides: Any) -> AsyncIterator[ScribeApi]:
        settings = scribe_settings(
            **({"auth_mode": "local", "secret_key": "scribe-test-secret-key-0123456789"} | overrides)
        )
        migrate(settings)
        resources = build_resources(settings)
        app = create_app(settings, resources=resources)
        async with (
            LifespanManager(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://testserver"
            ) as client,
        ):
            load_job_handlers()
            resources.start_jobs(consume=False)
            try:
                yield ScribeApi(client=client, resources=resources, settings=settings)
            finally:
                await resources.aclose()

    return factory


@pytest.fixture
async def scribe_api(scribe_api_factory: Callable[..., Any]) -> AsyncIterator[ScribeApi]:
    async with scribe_api_factory() as api:
        yield api
