"""Click commands for operators: `scriptorium doctor`, `scriptorium backup create|restore`, `scriptorium bootstrap`.

Importing this module also registers the ops job kinds (`core.ping`, `ops.sleep`), so every process started
through the `scriptorium` command can answer `doctor`'s queue round trip.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError

import scriptorium.ops.jobs  # noqa: F401  (registers core.ping and ops.sleep)
from scriptorium.core.cli_support import settings_or_exit
from scriptorium.core.errors import ConfigurationError
from scriptorium.ops.doctor.command import doctor
from scriptorium.ops.doctor.report import reason

DATABASE_URL_HELP = "Use this database URL instead of the configured one (e.g. the direct URL behind a pooler)."


@contextmanager
def _operator_errors(action: str) -> Iterator[None]:
    """Turn the failures an operator can fix into one line instead of a traceback."""
    try:
        yield
    except ConfigurationError as exc:
        raise click.ClickException(f"{action} failed: {exc.public_message}") from None
    except SQLAlchemyError as exc:
        raise click.ClickException(f"{action} failed: database error: {reason(exc)}") from None


@click.group()
def backup() -> None:
    """Back up or restore the database and the local storage folder."""


@backup.command("create")
@click.option(
    "--output",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory for the archive (default: DATA_DIR/backups).",
)
@click.option("--keep", type=click.IntRange(min=1), default=None, help="Then keep only the newest N archives there.")
@click.option("--database-url", default=None, help=DATABASE_URL_HELP)
def backup_create(output: Path | None, keep: int | None, database_url: str | None) -> None:
    """Write one .tar.gz with the database, local storage files and a manifest to verify them."""
    from scriptorium.ops.backup import create_backup

    settings = settings_or_exit(database_url_override=database_url)
    with _operator_errors("backup"):
        archive = create_backup(settings, output, keep=keep)
    click.echo(str(archive))


@backup.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--database-url", default=None, help=DATABASE_URL_HELP)
def backup_restore(archive: Path, yes: bool, database_url: str | None) -> None:
    """Replace the database and local storage with ARCHIVE's contents, then verify every table."""
    from scriptorium.ops.backup import restore_backup

    settings = settings_or_exit(database_url_override=database_url)
    if not yes:
        click.confirm(
            f"This replaces the database and storage of this deployment with {archive.name}. "
            "Stop `serve` and `worker` first. Continue?",
            abort=True,
        )
    with _operator_errors("restore"):
        report = restore_backup(settings, archive)
    click.echo(
        f"restored {report.tables} tables ({report.rows} rows) and {report.storage_files} storage files "
        f"from {archive.name}; every table matches the backup",
        err=True,
    )


@click.command()
@click.option(
    "--seed/--no-seed",
    default=True,
    show_default=True,
    help="Load the bundled sample when the content tables are empty.",
)
@click.option("--database-url", default=None, help=DATABASE_URL_HELP)
def bootstrap(seed: bool, database_url: str | None) -> None:
    """Migrate to the latest schema, then seed the sample into an empty database (safe on every start)."""
    from scriptorium.ops.bootstrap import bootstrap as run_bootstrap
    from scriptorium.ops.bootstrap import load_sample_with_cli

    settings = settings_or_exit(database_url_override=database_url)
    with _operator_errors("bootstrap"):
        result = run_bootstrap(settings, seed=load_sample_with_cli if seed else None)
    schema = "migrated to" if result.migrated else "schema already at"
    click.echo(f"bootstrap: {schema} {', '.join(sorted(result.revisions_after))}; {result.detail}", err=True)


COMMANDS = (doctor, backup, bootstrap)
