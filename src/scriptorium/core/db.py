"""Async SQLAlchemy engine, session factory and the declarative base shared by both apps.

One schema runs on SQLite (lite) and PostgreSQL (scale). PostgreSQL behind a transaction pooler (pgbouncer,
Supabase port 6543) gets no client-side pool and no prepared statements, because a pooler hands each
transaction to a different server connection.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, event
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

from scriptorium.core.errors import ConfigurationError
from scriptorium.core.settings import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

POOLER_PORTS = {6543}


class Base(DeclarativeBase):
    """Declarative base; the naming convention keeps Alembic batch migrations stable on SQLite."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both engines (SQLite stores no zone, so we normalise on the way)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """Random, URL-safe primary keys: they reveal no counts and never collide across machines."""
    return uuid.uuid4().hex


def normalize_url(raw: str) -> URL:
    """Accept the URL forms hosts hand out (`postgres://`, `postgresql://`, `sqlite:///`) and pick async drivers."""
    try:
        url = make_url(raw)
    except Exception as exc:
        raise ConfigurationError(f"DATABASE_URL: cannot parse {_redact(raw)!r}; expected a SQLAlchemy URL") from exc
    backend = url.get_backend_name()
    if backend in {"postgres", "postgresql"}:
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return url.set(drivername="sqlite+aiosqlite")
    raise ConfigurationError(f"DATABASE_URL: unsupported database {backend!r}; use sqlite or postgresql")


def _redact(raw: str) -> str:
    scheme, sep, rest = raw.partition("://")
    if sep and "@" in rest:
        return f"{scheme}://***@{rest.rpartition('@')[2]}"
    return raw


def is_pooler(url: URL, settings: Settings) -> bool:
    if settings.db_pooler_mode is not None:
        return settings.db_pooler_mode
    pgbouncer = str(url.query.get("pgbouncer", "")).lower() == "true"
    neon_pooled = "-pooler." in (url.host or "")  # Neon's pooled endpoints run pgbouncer on port 5432
    return url.port in POOLER_PORTS or pgbouncer or neon_pooled


def create_engine(settings: Settings) -> AsyncEngine:
    """Build the engine for the configured database; nothing connects until first use."""
    url = normalize_url(settings.effective_database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, settings)
    return _postgres_engine(url, settings)


def _sqlite_engine(url: URL, settings: Settings) -> AsyncEngine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": settings.db_connect_timeout})

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        apply_sqlite_pragmas(dbapi_connection, settings)

    return engine


def apply_sqlite_pragmas(dbapi_connection: Any, settings: Settings) -> None:
    """Every SQLite connection, async or not (`db_reads`), gets the same settings."""
    cursor = dbapi_connection.cursor()
    # WAL lets readers (the UI, SSE progress) run while a job writes; busy_timeout queues writers.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(settings.db_connect_timeout * 1000)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _postgres_engine(url: URL, settings: Settings) -> AsyncEngine:
    query = dict(url.query)
    pooler = is_pooler(url, settings)
    query.pop("pgbouncer", None)
    # libpq `options` from the URL (e.g. a search_path) are kept and extended, never replaced.
    options = str(query.pop("options", "") or "")
    url = url.set(query=query)
    connect_args: dict[str, Any] = {"connect_timeout": max(1, int(settings.db_connect_timeout))}
    if settings.db_statement_timeout_ms and not pooler:
        options = f"{options} -c statement_timeout={settings.db_statement_timeout_ms}".strip()
    if options:
        connect_args["options"] = options
    if pooler:
        # Transaction poolers cannot keep server-side prepared statements between transactions.
        connect_args["prepare_threshold"] = None
        return create_async_engine(url, poolclass=NullPool, connect_args=connect_args)
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
        pool_timeout=settings.db_connect_timeout,
        connect_args=connect_args,
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session whose work commits together on success and rolls back on any error."""
    async with sessionmaker() as session, session.begin():
        yield session


def sync_url(settings: Settings) -> str:
    """The same database with a synchronous driver, for Alembic and backup tools."""
    url = normalize_url(settings.effective_database_url)
    if url.get_backend_name() == "sqlite":
        url = url.set(drivername="sqlite")
    query = dict(url.query)
    query.pop("pgbouncer", None)
    return url.set(query=query).render_as_string(hide_password=False)


async def insert_if_absent(session: AsyncSession, model: type[Base], **values: Any) -> None:
    """INSERT a row unless one with the same key exists (ON CONFLICT DO NOTHING on SQLite and PostgreSQL).

    For rows created on first use by whichever request comes first: two concurrent first requests would both see
    no row, both insert, and one would fail on the unique key. Read the row after calling this.
    """
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(insert(model).values(**values).on_conflict_do_nothing())
