"""`scriptorium bootstrap`: the container entrypoint's first step. Migrate, then seed the sample only if empty.

It runs on every start of every machine, so it must be idempotent and safe to run concurrently: a hundred
restarts give one seed, and two machines booting together against a fresh database do not both migrate or
both seed. A lock serialises them: a transaction-scoped advisory lock on PostgreSQL (it works through a
transaction pooler too, unlike a session lock) and a file lock beside the SQLite database.
"""

from __future__ import annotations

import fcntl
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from scriptorium.core.db import normalize_url, sync_url
from scriptorium.core.errors import ConfigurationError
from scriptorium.core.settings import Settings
from scriptorium.migrations import current_revisions, upgrade

# Seeding is skipped as soon as any of these has a row: the operator's own content is never mixed with the sample.
CONTENT_TABLES = ("companion_series", "companion_episodes")
LOCK_KEY = 0x5C121_7013  # arbitrary, fixed: every Scriptorium process agrees on it
SEED_TIMEOUT = 900

Seeder = Callable[[Settings], None]


@dataclass(frozen=True)
class BootstrapResult:
    revisions_before: frozenset[str]
    revisions_after: frozenset[str]
    seeded: bool
    detail: str

    @property
    def migrated(self) -> bool:
        return self.revisions_before != self.revisions_after


def bootstrap(settings: Settings, *, seed: Seeder | None = None) -> BootstrapResult:
    """Bring the schema to head, then call `seed` if the content tables are empty (None: never seed)."""
    with _exclusive(settings):
        before = frozenset(current_revisions(settings))
        upgrade(settings)
        after = frozenset(current_revisions(settings))
        if seed is None:
            return BootstrapResult(before, after, False, "seeding disabled")
        filled = _filled_tables(settings)
        if filled:
            return BootstrapResult(before, after, False, f"content present ({', '.join(filled)}): not seeding")
        seed(settings)
        return BootstrapResult(before, after, True, "seeded the sample into an empty database")


def load_sample_with_cli(settings: Settings) -> None:
    """The default seeder: `scriptorium companion load-sample` in a child process with this process's environment.

    A child process keeps the sample loader's memory (images, embeddings) out of the server that starts next.
    The child reads the same environment (and `.env`) this process read, so it sees the same configuration.
    """
    done = subprocess.run(
        [sys.executable, "-m", "scriptorium", "companion", "load-sample"],
        capture_output=True,
        text=True,
        timeout=SEED_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        raise ConfigurationError(f"loading the sample failed: {lines[-1] if lines else 'no output'}")


def _filled_tables(settings: Settings) -> list[str]:
    engine = create_engine(sync_url(settings))
    try:
        with engine.connect() as connection:
            present = set(inspect(connection).get_table_names())
            return [
                name
                for name in CONTENT_TABLES
                if name in present and connection.execute(text(f"SELECT EXISTS (SELECT 1 FROM {name})")).scalar_one()  # noqa: S608
            ]
    finally:
        engine.dispose()


@contextmanager
def _exclusive(settings: Settings) -> Iterator[None]:
    if normalize_url(settings.effective_database_url).get_backend_name() == "sqlite":
        with _file_lock(Path(settings.data_dir) / ".bootstrap.lock"):
            yield
        return
    engine = create_engine(sync_url(settings))
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
            yield
            connection.commit()
    finally:
        engine.dispose()


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
