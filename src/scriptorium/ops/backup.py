"""`scriptorium backup create|restore`: one archive holding the database and the local storage folder.

Archive layout (`scriptorium-<UTC time>-<engine>.tar.gz`):

    manifest.json        engine, schema, migration revisions, per-table fingerprint, file checksums
    database.sqlite3     SQLite: a consistent copy made with SQLite's online backup API (safe while serving)
    database.pgdump      PostgreSQL: `pg_dump -Fc` of the app's schema
    storage/...          the files under DATA_DIR/storage (local storage only; a bucket keeps its own history)

Restore checks every checksum before touching anything, replaces the database and the storage folder, then
recomputes the fingerprint and fails loudly if a single row differs from what was backed up.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from scriptorium.core.db import is_pooler, normalize_url, sync_url
from scriptorium.core.errors import ConfigurationError
from scriptorium.core.settings import Settings
from scriptorium.migrations import current_revisions
from scriptorium.ops import pgtools
from scriptorium.ops.fingerprint import Fingerprint, differences, fingerprint

FORMAT_VERSION = 1
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"


@dataclass
class RestoreReport:
    archive: Path
    engine: str
    tables: int
    rows: int
    storage_files: int
    revisions: list[str] = field(default_factory=list)


def create_backup(settings: Settings, directory: Path | None = None, *, keep: int | None = None) -> Path:
    """Write one archive into `directory` (default DATA_DIR/backups); keep only the newest `keep` archives."""
    directory = Path(directory or Path(settings.data_dir) / "backups")
    directory.mkdir(parents=True, exist_ok=True)
    engine = _engine_name(settings)
    if engine == "postgresql":
        _refuse_pooler(settings)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    with tempfile.TemporaryDirectory(dir=directory, prefix=".backup-") as work:
        staging = Path(work)
        manifest: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(),
            "engine": engine,
            "revisions": sorted(current_revisions(settings)),
        }
        if engine == "sqlite":
            manifest["fingerprint"] = _sqlite_copy(settings, staging / SQLITE_FILE)
            manifest["database_file"] = SQLITE_FILE
        else:
            schema, prints = pgtools.dump(sync_url(settings), staging / PG_FILE)
            manifest.update(fingerprint=prints, schema=schema, database_file=PG_FILE)
        manifest["database_sha256"] = _sha256(staging / manifest["database_file"])
        storage = _local_storage_root(settings)
        manifest["storage"] = _tree_digest(storage) if storage is not None else None
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
        archive = directory / f"scriptorium-{stamp}-{engine}.tar.gz"
        partial = archive.with_suffix(".partial")
        with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
            tar.add(staging / "manifest.json", arcname="manifest.json")
            tar.add(staging / manifest["database_file"], arcname=manifest["database_file"])
            if storage is not None and storage.is_dir():
                tar.add(storage, arcname="storage")
        partial.replace(archive)
    if keep is not None:
        prune(directory, keep)
    return archive


def restore_backup(settings: Settings, archive: Path) -> RestoreReport:
    """Replace the configured database (and local storage) with the archive's contents, then verify them."""
    with tempfile.TemporaryDirectory(prefix="scriptorium-restore-") as work:
        staging = Path(work)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(staging, filter="data")
        manifest = json.loads((staging / "manifest.json").read_text())
        if manifest.get("format") != FORMAT_VERSION:
            raise ConfigurationError(f"{archive.name}: unknown backup format {manifest.get('format')!r}")
        engine = _engine_name(settings)
        if manifest["engine"] != engine:
            raise ConfigurationError(
                f"{archive.name} holds a {manifest['engine']} database but this configuration uses {engine}"
            )
        database_file = staging / manifest["database_file"]
        if _sha256(database_file) != manifest["database_sha256"]:
            raise ConfigurationError(f"{archive.name}: the database file is corrupt (checksum mismatch)")
        if manifest["storage"] is not None and _tree_digest(staging / "storage") != manifest["storage"]:
            raise ConfigurationError(f"{archive.name}: the storage files are corrupt (checksum mismatch)")
        if engine == "sqlite":
            _sqlite_restore(settings, database_file)
        else:
            _refuse_pooler(settings)
            pgtools.restore(sync_url(settings), database_file, schema=manifest["schema"], workdir=staging)
        storage_files = _restore_storage(settings, staging / "storage") if manifest["storage"] is not None else 0
    problems = differences(manifest["fingerprint"], database_fingerprint(settings))
    if problems:
        raise ConfigurationError("restore did not reproduce the backup: " + "; ".join(problems[:5]))
    prints: Fingerprint = manifest["fingerprint"]
    return RestoreReport(
        archive=archive,
        engine=engine,
        tables=len(prints),
        rows=sum(int(t["rows"]) for t in prints.values()),
        storage_files=storage_files,
        revisions=manifest["revisions"],
    )


def database_fingerprint(settings: Settings) -> Fingerprint:
    """The fingerprint of the configured database as it is now."""
    engine = create_engine(sync_url(settings))
    try:
        with engine.connect() as connection:
            return fingerprint(connection)
    finally:
        engine.dispose()


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` archives (names sort by time); returns what was deleted."""
    archives = sorted(directory.glob("scriptorium-*.tar.gz"))
    doomed = archives[: max(0, len(archives) - max(1, keep))]
    for path in doomed:
        path.unlink()
    return doomed


def _engine_name(settings: Settings) -> str:
    backend = normalize_url(settings.effective_database_url).get_backend_name()
    return "sqlite" if backend == "sqlite" else "postgresql"


def _refuse_pooler(settings: Settings) -> None:
    url = normalize_url(settings.effective_database_url)
    if is_pooler(url, settings):
        raise ConfigurationError(
            "pg_dump needs a direct connection, not a transaction pooler: run the backup with "
            "DATABASE_URL set to the direct URL (Supabase: db.<ref>.supabase.co:5432; Neon: the host without -pooler)"
        )


def _sqlite_path(settings: Settings) -> Path:
    database = make_url(sync_url(settings)).database
    if not database or database == ":memory:":
        raise ConfigurationError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _sqlite_copy(settings: Settings, destination: Path) -> Fingerprint:
    """Copy with the online backup API (consistent even while `serve` writes), then fingerprint the copy."""
    source = _sqlite_path(settings)
    if not source.is_file():
        raise ConfigurationError(f"no SQLite database at {source}: run `scriptorium migrate` first")
    _sqlite_backup(source, destination)
    engine = create_engine(f"sqlite:///{destination}")
    try:
        with engine.connect() as connection:
            return fingerprint(connection)
    finally:
        engine.dispose()


def _sqlite_restore(settings: Settings, source: Path) -> None:
    target = _sqlite_path(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    _sqlite_backup(source, target)


def _sqlite_backup(source: Path, destination: Path) -> None:
    src = sqlite3.connect(source)
    dst = sqlite3.connect(destination)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _local_storage_root(settings: Settings) -> Path | None:
    if settings.storage_backend != "local":
        return None
    return Path(settings.data_dir) / "storage"


def _restore_storage(settings: Settings, extracted: Path) -> int:
    """Swap the storage folder for the restored one; the old folder is removed only after the swap."""
    root = _local_storage_root(settings)
    if root is None:
        raise ConfigurationError("the backup holds local storage files but STORAGE_BACKEND is not local")
    root.parent.mkdir(parents=True, exist_ok=True)
    incoming = Path(tempfile.mkdtemp(dir=root.parent, prefix=".storage-restore-"))
    if extracted.is_dir():
        shutil.copytree(extracted, incoming, dirs_exist_ok=True)
    retired = root.parent / f".storage-old-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}"
    if root.exists():
        root.rename(retired)
    incoming.rename(root)
    shutil.rmtree(retired, ignore_errors=True)
    return sum(1 for path in root.rglob("*") if path.is_file())


def _tree_digest(root: Path) -> dict[str, Any]:
    """Count, bytes and one SHA-256 over every file's relative path and content."""
    digest = hashlib.sha256()
    files = 0
    size = 0
    if root.is_dir():
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(_sha256(path).encode() + b"\n")
            files += 1
            size += path.stat().st_size
    return {"files": files, "bytes": size, "sha256": digest.hexdigest()}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
