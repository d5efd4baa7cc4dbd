"""One migrated SQLite file per test process, copied for every test that needs a database at head.

Running the Alembic history costs 1–3 s on a busy machine; copying the file it leaves behind costs under a
millisecond. The migrations are schema only (no row depends on settings), so a copy is the same database a fresh
`upgrade` would give. Tests of the migrations themselves keep calling `upgrade`; PostgreSQL settings (and an
in-memory SQLite URL) are migrated for real, since a file copy does not apply to them.

Use the `migrate` fixture, or `migrate(settings)` from here where a helper has no fixtures at hand.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from scriptorium.core.settings import Settings
from scriptorium.migrations import upgrade

TEMPLATE_SETTINGS: dict[str, Any] = {
    "_env_file": None,
    "environment": "test",
    "profile": "lite",
    "database_url": "",
    "database_url_override": "",
}
"""Explicit values: the template may be built before the per-test environment cleanup runs."""


def sqlite_file(settings: Settings) -> Path | None:
    """The database file these settings open, or None when it is not a SQLite file."""
    url = make_url(settings.effective_database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


class MigratedTemplate:
    """A SQLite file at the head revisions, built on first use in `folder` and copied on each `apply`."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._file: Path | None = None

    def _template(self) -> Path:
        if self._file is None:
            settings = Settings(**TEMPLATE_SETTINGS, data_dir=self._folder)
            upgrade(settings)
            file = sqlite_file(settings)
            assert file is not None and file.is_file(), f"migrating {self._folder} left no SQLite file"
            self._file = file
        return self._file

    def apply(self, settings: Settings) -> None:
        """Bring the database of `settings` to head: a copy of the template for a SQLite file, else `upgrade`."""
        target = sqlite_file(settings)
        if target is None or target.exists():  # an existing database is upgraded in place, never overwritten
            upgrade(settings)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self._template(), target)


@cache
def process_template() -> MigratedTemplate:
    """This process's template, in a temporary folder (beside pytest's, when it is set) removed at exit."""
    folder = Path(tempfile.mkdtemp(prefix="scriptorium-migrated-", dir=os.environ.get("PYTEST_DEBUG_TEMPROOT")))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return MigratedTemplate(folder / "var")


def migrate(settings: Settings) -> None:
    """The database of `settings` at head: a copy of this process's migrated file when it is a SQLite file."""
    process_template().apply(settings)
