"""The backup/restore drill: back up, wipe, restore, compare, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import sqlite3
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from scriptorium.core.db import sync_url
from scriptorium.core.errors import ConfigurationError
from scriptorium.core.settings import Settings
from scriptorium.migrations import current_revisions, head_revisions, upgrade
from scriptorium.ops.backup import create_backup, database_fingerprint, prune, restore_backup
from tests.ops.conftest import add_rows, recreate_database, scratch_database


def counts(settings: Settings) -> dict[str, int]:
    """Row counts by plain COUNT(*), independent of the fingerprint code under test."""
    engine = create_engine(sync_url(settings))
    with engine.connect() as conn:
        names = ["users", "jobs", "companion_series", "alembic_version"]
        result = {name: conn.execute(text(f"SELECT COUNT(*) FROM {name}")).scalar_one() for name in names}
        result["display_names"] = hash(
            tuple(conn.execute(text("SELECT display_name FROM users ORDER BY email")).scalars())
        )
    engine.dispose()
    return result


def put_files(root: Path) -> dict[str, bytes]:
    files = {"companion/ep01/p01.svg": b"<svg>page one</svg>", "scribe/r\u00e9sum\u00e9.pdf": bytes(range(256))}
    for key, data in files.items():
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(data)
    return files


def test_sqlite_backup_wipe_restore_gives_back_every_row_and_file(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings()
    upgrade(settings)
    add_rows(sync_url(settings))
    files = put_files(settings.data_dir / "storage")
    before, prints = counts(settings), database_fingerprint(settings)

    archive = create_backup(settings, tmp_path / "backups")

    database = settings.data_dir / "scriptorium.db"
    for leftover in settings.data_dir.glob("scriptorium.db*"):
        leftover.unlink()
    for path in sorted((settings.data_dir / "storage").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    assert not database.exists()

    report = restore_backup(settings, archive)

    assert counts(settings) == before
    assert database_fingerprint(settings) == prints
    assert current_revisions(settings) == head_revisions(settings)
    for key, data in files.items():
        assert (settings.data_dir / "storage" / key).read_bytes() == data
    assert report.storage_files == len(files)
    assert report.rows == sum(t["rows"] for t in prints.values())


def test_sqlite_backup_is_consistent_while_a_writer_holds_an_open_transaction(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings()
    upgrade(settings)
    add_rows(sync_url(settings), count=3)
    committed = counts(settings)
    writer = sqlite3.connect(settings.data_dir / "scriptorium.db")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute(
        "INSERT INTO users (id, email, display_name, role, created_at) VALUES ('x', 'x@x', '', 'user', '2026-01-01')"
    )
    archive = create_backup(settings, tmp_path)
    writer.commit()
    writer.close()
    assert counts(settings)["users"] == committed["users"] + 1

    restore_backup(settings, archive)

    assert counts(settings) == committed


def test_restore_refuses_a_tampered_archive_and_leaves_the_database_alone(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings()
    upgrade(settings)
    add_rows(sync_url(settings), count=2)
    archive = create_backup(settings, tmp_path / "good")
    add_rows(sync_url(settings), count=2, tag="later")
    current = counts(settings)
    tampered = tmp_path / "tampered.tar.gz"
    unpacked = tmp_path / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    with sqlite3.connect(unpacked / "database.sqlite3") as conn:
        conn.execute("DELETE FROM users WHERE role = 'admin'")
    conn.close()
    with tarfile.open(tampered, "w:gz") as tar:
        for name in ("manifest.json", "database.sqlite3", "storage"):
            if (unpacked / name).exists():
                tar.add(unpacked / name, arcname=name)

    with pytest.raises(ConfigurationError, match="corrupt"):
        restore_backup(settings, tampered)

    assert counts(settings) == current


def test_restore_refuses_an_archive_from_the_other_engine(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings()
    upgrade(settings)
    archive = create_backup(settings, tmp_path)
    postgres = make_settings(profile="scale", database_url="postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(ConfigurationError, match="holds a sqlite database but this configuration uses postgresql"):
        restore_backup(postgres, archive)


def test_backup_refuses_a_transaction_pooler_url(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    settings = make_settings(profile="scale", database_url="postgresql://u:p@pooler.example.invalid:6543/postgres")
    with pytest.raises(ConfigurationError, match="direct connection"):
        create_backup(settings, tmp_path)


def test_prune_keeps_the_newest_archives(tmp_path: Path) -> None:
    names = [f"scriptorium-2026010{i}T000000000000Z-sqlite.tar.gz" for i in range(1, 6)]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "unrelated.tar.gz").write_bytes(b"x")
    deleted = prune(tmp_path, keep=2)
    assert [p.name for p in deleted] == names[:3]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*names[3:], "unrelated.tar.gz"])


@pytest.mark.postgres
def test_postgres_backup_into_a_new_empty_database_restores_every_row(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    with scratch_database() as url:
        settings = make_settings(profile="scale", database_url=url)
        upgrade(settings)
        add_rows(sync_url(settings))
        files = put_files(settings.data_dir / "storage")
        before, prints = counts(settings), database_fingerprint(settings)

        archive = create_backup(settings, tmp_path)
        recreate_database(url)
        with pytest.raises(Exception, match="users"):
            counts(settings)

        report = restore_backup(settings, archive)

        assert counts(settings) == before
        assert database_fingerprint(settings) == prints
        assert current_revisions(settings) == head_revisions(settings)
        assert (settings.data_dir / "storage" / "companion/ep01/p01.svg").read_bytes() == files[
            "companion/ep01/p01.svg"
        ]
        assert report.engine == "postgresql"


@pytest.mark.postgres
def test_postgres_restore_over_a_changed_database_returns_it_to_the_backup(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    with scratch_database() as url:
        settings = make_settings(profile="scale", database_url=url)
        upgrade(settings)
        add_rows(sync_url(settings), count=5)
        before, prints = counts(settings), database_fingerprint(settings)
        archive = create_backup(settings, tmp_path)
        add_rows(sync_url(settings), count=5, tag="after")
        engine = create_engine(sync_url(settings))
        with engine.begin() as conn:
            conn.execute(text("UPDATE users SET display_name = 'changed'"))
            conn.execute(text("CREATE TABLE stray (id int primary key)"))
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pgcrypto"))
        engine.dispose()

        restore_backup(settings, archive)

        assert counts(settings) == before
        assert database_fingerprint(settings) == prints
        engine = create_engine(sync_url(settings))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT to_regclass('stray')")).scalar_one() is None
            assert conn.execute(text("SELECT count(*) FROM pg_extension WHERE extname = 'pgcrypto'")).scalar_one() == 1
        engine.dispose()
