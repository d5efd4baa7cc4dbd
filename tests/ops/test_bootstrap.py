"""`scriptorium bootstrap`, the container entrypoint: migrate, seed only an empty database, never twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from scriptorium.core.db import sync_url
from scriptorium.core.settings import Settings
from scriptorium.migrations import current_revisions, head_revisions
from scriptorium.ops.backup import database_fingerprint
from scriptorium.ops.bootstrap import bootstrap
from tests.ops.conftest import scratch_database
from tests.ops.stack import base_env, run_command, series_count


class CountingSeeder:
    """Seeds one series row (so the database is no longer empty) and counts how often it was asked to."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls = 0
        self.delay = delay
        self._lock = threading.Lock()

    def __call__(self, settings: Settings) -> None:
        with self._lock:
            self.calls += 1
        time.sleep(self.delay)
        engine = create_engine(sync_url(settings))
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO companion_series (id, slug, title, description, language, credits, page_total,"
                    " content_version, updated_at) VALUES (:id, :id, 'Sample', '', 'en', '', 0, 1, '2026-01-01')"
                ),
                {"id": f"s{self.calls}"},
            )
        engine.dispose()


def test_a_hundred_restarts_migrate_once_and_seed_once(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    seeder = CountingSeeder()
    first = bootstrap(settings, seed=seeder)
    assert first.migrated and first.seeded
    assert set(first.revisions_after) == head_revisions(settings)
    for _ in range(99):
        again = bootstrap(settings, seed=seeder)
        assert not again.migrated and not again.seeded
    assert seeder.calls == 1
    assert series_count(settings) == 1


def test_existing_content_is_never_mixed_with_the_sample(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    bootstrap(settings, seed=None)
    CountingSeeder()(settings)
    seeder = CountingSeeder()
    result = bootstrap(settings, seed=seeder)
    assert seeder.calls == 0 and not result.seeded
    assert "companion_series" in result.detail


@pytest.mark.postgres
def test_machines_booting_together_on_postgres_seed_once(make_settings: Callable[..., Settings]) -> None:
    with scratch_database() as url:
        settings = make_settings(profile="scale", database_url=url)
        seeder = CountingSeeder(delay=0.5)
        errors: list[BaseException] = []

        def boot() -> None:
            try:
                bootstrap(settings, seed=seeder)
            except BaseException as exc:
                errors.append(exc)

        machines = [threading.Thread(target=boot) for _ in range(4)]
        for machine in machines:
            machine.start()
        for machine in machines:
            machine.join(timeout=120)
        assert not errors
        assert seeder.calls == 1
        assert series_count(settings) == 1
        assert current_revisions(settings) == head_revisions(settings)


@pytest.mark.slow
@pytest.mark.postgres
def test_entrypoint_twice_on_real_postgres_seeds_once_and_then_changes_nothing(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    with scratch_database() as url:
        # The URL form managed hosts hand out: postgres:// scheme, sslmode and the pooler hint in the query.
        handed_out = url.replace("postgresql+psycopg://", "postgres://") + "?sslmode=disable&pgbouncer=true"
        env = base_env(DATABASE_URL=handed_out, PROFILE="scale", DATA_DIR=str(tmp_path / "var"), ENVIRONMENT="test")
        settings = make_settings(profile="scale", database_url=url, data_dir=tmp_path / "var")

        first = run_command(env, "bootstrap")
        assert first.returncode == 0, first.stderr
        assert "seeded the sample" in first.stderr
        after_first = database_fingerprint(settings)

        second = run_command(env, "bootstrap")
        assert second.returncode == 0, second.stderr
        assert "schema already at" in second.stderr and "not seeding" in second.stderr
        assert database_fingerprint(settings) == after_first
        assert after_first["companion_series"]["rows"] == 1
        assert after_first["companion_pages"]["rows"] > 0


def test_no_seed_only_migrates(tmp_path: Path) -> None:
    env = base_env(DATA_DIR=str(tmp_path / "var"), ENVIRONMENT="test")
    done = run_command(env, "bootstrap", "--no-seed")
    assert done.returncode == 0, done.stderr
    assert "migrated to" in done.stderr and "seeding disabled" in done.stderr
