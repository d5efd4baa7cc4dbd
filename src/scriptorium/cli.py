"""`scriptorium`: one command for serving, working, migrating and each app's tools.

Each command builds `Settings` once; a bad setting prints one line naming the variable, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from typing import TYPE_CHECKING

import click

from scriptorium.core.cli_support import settings_or_exit
from scriptorium.core.errors import ConfigurationError
from scriptorium.core.settings import Settings, masked

if TYPE_CHECKING:
    from scriptorium.core.resources import Resources


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="scriptorium")
def cli() -> None:
    """Scriptorium: Scribe (researched outreach email) and Companion (spoiler-safe reading companion)."""


@cli.command()
@click.option("--host", default=None, help="Bind address (default: HOST, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: PORT, 8000).")
@click.option("--migrate/--no-migrate", default=True, show_default=True, help="Run migrations before serving.")
def serve(host: str | None, port: int | None, migrate: bool) -> None:
    """Serve the API and the UI (in lite, also runs the jobs)."""
    import uvicorn

    from scriptorium.app import create_app
    from scriptorium.core.http_server import uvicorn_options

    settings = settings_or_exit(host=host, port=port)
    if migrate:
        _migrate(settings)
    click.echo(f"Scriptorium on http://{settings.host}:{settings.port} (profile {settings.profile})", err=True)
    for line in provider_summary(settings):
        click.echo(f"  {line}", err=True)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=settings.debug,
        **uvicorn_options(settings),
    )


def provider_summary(settings: Settings) -> list[str]:
    chat = settings.chat_provider
    return [
        f"database: {settings.effective_database_url.split(':', 1)[0]}",
        f"jobs: {settings.effective_job_backend} ({'in-process' if settings.consumer_in_process else 'workers'})",
        f"chat: {'offline (no model configured)' if chat == 'offline' else chat}",
        f"embeddings: {settings.embedding_provider}",
        f"storage: {settings.storage_backend}",
        f"auth: {settings.auth_mode}",
    ]


@cli.command()
@click.option("--concurrency", "-c", type=int, default=None, help="Jobs run at once (default WORKER_CONCURRENCY).")
def worker(concurrency: int | None) -> None:
    """Run background jobs from the shared queue until stopped (SIGTERM or Ctrl-C)."""
    settings = settings_or_exit(worker_concurrency=concurrency)
    from scriptorium.core.telemetry import configure_logging

    configure_logging(settings)
    asyncio.run(_work(settings))


async def _work(settings: Settings) -> None:
    from scriptorium.core.resources import open_resources

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    from scriptorium.apps import load_job_handlers

    load_job_handlers()
    async with open_resources(settings) as resources:
        if not await _wait_for_job_table(resources, stop):
            return
        resources.start_jobs(consume=True)
        click.echo(
            f"worker: {settings.worker_concurrency} concurrent jobs on {settings.effective_job_backend}",
            err=True,
        )
        await stop.wait()


#: Seconds between looks at a database that is not ready yet.
DATABASE_POLL_SECONDS = 2.0


async def _wait_for_job_table(resources: Resources, stop: asyncio.Event) -> bool:
    """Wait until the database is reachable and migrated; False if asked to stop first.

    Workers and the API often start together (systemd, Fly, compose) and `serve` migrates at start, so a worker
    that finds no tables waits rather than exits. It says what it is waiting for once per change of state, not
    with a traceback from every job sweep.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from scriptorium.core.jobs.store import job_table_exists

    said = ""
    while not stop.is_set():
        try:
            if await job_table_exists(resources.engine):
                return True
            message = (
                "worker: the database has no job tables yet; waiting for `scriptorium migrate` "
                "(`scriptorium serve` runs it at start unless given --no-migrate)"
            )
        except (SQLAlchemyError, OSError) as exc:
            message = (
                f"worker: cannot reach the database ({type(exc).__name__}); retrying every "
                f"{DATABASE_POLL_SECONDS:g} s. Check DATABASE_URL and that the server is up."
            )
        if message != said:
            click.echo(message, err=True)
            said = message
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=DATABASE_POLL_SECONDS)
    return False


@cli.command()
def migrate() -> None:
    """Bring the database schema to the latest version."""
    settings = settings_or_exit()
    _migrate(settings)
    click.echo("database is at the latest schema", err=True)


def _migrate(settings: Settings) -> None:
    from scriptorium.migrations import upgrade

    try:
        upgrade(settings)
    except Exception as exc:
        raise click.ClickException(f"migration failed: {type(exc).__name__}: {str(exc).splitlines()[0]}") from None


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--example", is_flag=True, help="Print a documented .env with every default instead.")
def config(as_json: bool, example: bool) -> None:
    """Print the effective configuration, secrets masked."""
    if example:
        from scriptorium.core.settings_docs import render_env_example

        click.echo(render_env_example(), nl=False)
        return
    data = masked(settings_or_exit())
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
        return
    width = max(len(name) for name in data)
    for name, value in data.items():
        click.echo(f"{name.upper():<{width}}  {value}")


def _register_app_commands() -> None:
    from scriptorium.apps import command_groups
    from scriptorium.ops.cli import backup, bootstrap
    from scriptorium.ops.doctor.command import doctor

    for group in command_groups():
        cli.add_command(group)
    cli.add_command(doctor)
    cli.add_command(backup)
    cli.add_command(bootstrap)


def main() -> None:
    _register_app_commands()
    try:
        cli(standalone_mode=True)
    except ConfigurationError as exc:
        click.echo(f"Error: configuration error: {exc.public_message}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
