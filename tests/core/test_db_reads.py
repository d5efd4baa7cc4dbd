"""`Resources.reads`: a group of reads in one trip off the event loop (SQLite) or through run_sync (PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.orm import Session

from scriptorium.core.db import transaction
from scriptorium.core.resources import open_resources
from scriptorium.core.settings import Settings
from tests.migrated_template import migrate
from tests.services import fresh_postgres_schema

MakeSettings = Callable[..., Settings]


def _names_and_thread(session: Session) -> tuple[list[str], int]:
    rows = session.execute(text("SELECT email FROM users WHERE id != 'local' ORDER BY email")).scalars()
    return list(rows), threading.get_ident()


async def _write_then_read(settings: Settings) -> tuple[list[str], int]:
    migrate(settings)
    async with open_resources(settings) as resources:
        async with transaction(resources.sessionmaker) as session:
            for email in ("b@example.org", "a@example.org"):
                await session.execute(
                    text(
                        "INSERT INTO users (id, email, display_name, password_hash, role, created_at) "
                        "VALUES (:id, :email, 'x', '', 'user', CURRENT_TIMESTAMP)"
                    ),
                    {"id": email[0] * 32, "email": email},
                )
        return await resources.reads.run(_names_and_thread)


async def test_sqlite_reads_see_committed_async_writes_in_one_worker_thread(make_settings: MakeSettings) -> None:
    names, thread = await _write_then_read(make_settings())
    assert names == ["a@example.org", "b@example.org"]
    assert thread != threading.get_ident()  # off the event loop, on a synchronous connection


async def test_postgres_reads_run_through_the_async_session(make_settings: MakeSettings) -> None:
    with fresh_postgres_schema() as url:
        names, thread = await _write_then_read(make_settings(profile="scale", database_url=url))
    assert names == ["a@example.org", "b@example.org"]
    assert thread == threading.get_ident()  # run_sync: the same loop thread, psycopg's async connection
