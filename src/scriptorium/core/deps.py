"""FastAPI dependencies shared by both apps: settings, resources and a database session per request.

Every dependency here is `async def`, even when it awaits nothing: FastAPI runs a plain `def` dependency in its
thread pool, so each one would cost every request a round trip to a worker thread (milliseconds on a busy loop).
A test in tests/test_architecture.py keeps it that way for every dependency in the package.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.core.resources import Resources
from scriptorium.core.settings import Settings


async def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(resources: Annotated[Resources, Depends(get_resources)]) -> AsyncIterator[AsyncSession]:
    async with resources.sessionmaker() as session:
        yield session


ResourcesDep = Annotated[Resources, Depends(get_resources)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
