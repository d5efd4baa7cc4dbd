"""Migrations reach head on SQLite and PostgreSQL, match the models exactly, and downgrade cleanly."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from scriptorium.core.db import Base, sync_url
from scriptorium.core.settings import Settings
from scriptorium.migrations import alembic_config, current_revisions, head_revisions, upgrade
from scriptorium.migrations.metadata import import_all_models
from tests.services import fresh_postgres_schema


def schema_drift(settings: Settings) -> list[object]:
    import_all_models()
    engine = create_engine(sync_url(settings))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def check_round_trip(settings: Settings) -> None:
    upgrade(settings)
    assert current_revisions(settings) == head_revisions(settings)
    assert schema_drift(settings) == []
    command.downgrade(alembic_config(settings), "base")
    engine = create_engine(sync_url(settings))
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(settings)
    assert current_revisions(settings) == head_revisions(settings)


def test_sqlite_migrates_to_head_matches_models_and_downgrades(make_settings: Callable[..., Settings]) -> None:
    check_round_trip(make_settings())


@pytest.mark.postgres
def test_postgres_migrates_to_head_matches_models_and_downgrades(make_settings: Callable[..., Settings]) -> None:
    with fresh_postgres_schema() as url:
        check_round_trip(make_settings(database_url=url))


def test_upgrading_twice_changes_nothing(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    upgrade(settings)
    first = current_revisions(settings)
    upgrade(settings)
    assert current_revisions(settings) == first
