"""Fixtures for operations tests: scratch PostgreSQL databases and realistic rows to back up and compare."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import psycopg
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from scriptorium.companion.models import Series
from scriptorium.core.jobs.models import Job
from scriptorium.core.models import User
from tests.services import require_postgres
from tests.twins.llm import (  # noqa: F401  (pytest fixtures)
    _anthropic_twin_server,
    _openai_twin_server,
    anthropic_twin,
    openai_twin,
)


@contextmanager
def scratch_database() -> Iterator[str]:
    """A brand-new PostgreSQL database (what a restore targets after a disaster); dropped afterwards."""
    base = require_postgres()
    name = f"scr_{uuid.uuid4().hex[:12]}"
    admin = base.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.rsplit("/", 1)[0] + f"/{name}"
    finally:
        drop_database(name)


def drop_database(name: str) -> None:
    admin = require_postgres().replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def recreate_database(url: str) -> None:
    """Drop and re-create the database behind `url`: the "disk died, new empty database" case."""
    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    drop_database(name)
    admin = url.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def add_rows(sync_url: str, *, count: int = 25, tag: str = "a") -> None:
    """Users, jobs and a series with unicode, JSON, NULLs and timestamps: the value kinds a restore must keep."""
    engine = create_engine(sync_url)
    start = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    with Session(engine) as session, session.begin():
        for i in range(count):
            session.add(
                User(
                    email=f"{tag}{i}@example.org",
                    display_name=f"Zoë Ångström {tag}{i} ✓",
                    role="admin" if i == 0 else "user",
                    created_at=start + timedelta(seconds=i),
                    last_seen_at=None if i % 2 else start,
                )
            )
            session.add(
                Job(
                    kind="ops.sleep",
                    payload={"seconds": i / 10, "note": f"naïve {tag}", "nested": {"b": [1, 2], "a": None}},
                    fair_key=f"user-{i % 3}",
                    status="done",
                    created_at=start,
                )
            )
        session.add(Series(slug=f"series-{tag}", title=f"A series {tag}", description="Line one\nline two"))
    engine.dispose()
