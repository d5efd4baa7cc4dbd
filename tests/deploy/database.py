"""A throwaway database on the local PostgreSQL for one booted image: created under a unique name, then dropped.

A whole database, not a schema: the container gets a plain Neon-style URL (no `search_path` option), exactly the
form an operator pastes into `fly secrets set DATABASE_URL=...`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from tests.services import require_postgres


def admin_url(database: str | None = None) -> str:
    url = require_postgres().replace("postgresql+psycopg://", "postgresql://")
    return url if database is None else f"{url.rsplit('/', 1)[0]}/{database}"


@contextmanager
def fresh_database(prefix: str = "image") -> Iterator[str]:
    """Create `<prefix>_<random>`; drop it afterwards, closing whatever connections are still open."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url(), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(admin_url(), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def count_rows(database: str, table: str) -> int:
    with psycopg.connect(admin_url(database)) as connection:
        row = connection.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0
