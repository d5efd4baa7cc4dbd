"""`scriptorium companion` commands: ingest content, load the bundled sample comic, reindex embeddings.

Each command brings the schema up to date first (cheap when it already is), so a fresh install can load content
in one step, and prints one line per problem (each naming its file) instead of a traceback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from scriptorium.core.errors import ScriptoriumError
from scriptorium.core.resources import Resources, open_resources
from scriptorium.core.settings import Settings

if TYPE_CHECKING:
    from scriptorium.companion.ingest import IngestReport

SAMPLE_DIR = Path(__file__).resolve().parent / "sample"
T = TypeVar("T")


@click.group()
def companion() -> None:
    """Companion tools: content ingestion and embeddings."""


def _settings() -> Settings:
    from scriptorium.core.cli_support import settings_or_exit

    return settings_or_exit()


def _run(settings: Settings, work: Callable[[Resources], Awaitable[T]]) -> T:
    from scriptorium.migrations import upgrade

    upgrade(settings)

    async def main() -> T:
        async with open_resources(settings) as resources:
            return await work(resources)

    try:
        return asyncio.run(main())
    except ScriptoriumError as exc:
        raise click.ClickException(exc.public_message) from None


def _print_report(report: IngestReport) -> None:
    for line in report.warnings[:20]:
        click.echo(f"warning: {line}", err=True)
    if len(report.warnings) > 20:
        click.echo(f"... and {len(report.warnings) - 20} more warnings", err=True)
    counts = ", ".join(f"{n} {name}" for name, n in report.counts.items())
    removed = ", ".join(f"{n} {name}" for name, n in report.removed.items()) or "nothing"
    state = f"content version {report.content_version}" if report.changed else "unchanged"
    click.echo(f"{report.series_slug}: {counts}; removed {removed}; embedded {report.embedded}; {state}")


@companion.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--lang", default="en", show_default=True, help="Language of the official page text to read.")
@click.option("--series-slug", default=None, help="Override the series slug (default: from the content).")
@click.option("--title", default=None, help="Override the series title.")
@click.option(
    "--skip-unreached",
    is_flag=True,
    help="Drop wiki/world items that debut after the last ingested page instead of failing.",
)
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show progress bars.")
def ingest(
    path: Path, lang: str, series_slug: str | None, title: str | None, skip_unreached: bool, progress: bool
) -> None:
    """Ingest a content folder (our format, the official Pepper&Carrot layout, or the original companion's files)."""
    from scriptorium.companion.ingest import ingest_path

    async def work(resources: Resources) -> None:
        report = await ingest_path(
            path,
            sessionmaker=resources.sessionmaker,
            storage=resources.storage,
            embedder=resources.embedder(),
            lang=lang,
            slug=series_slug,
            title=title,
            skip_unreached=skip_unreached,
            progress=progress,
        )
        _print_report(report)

    _run(_settings(), work)


@companion.command("load-sample")
def load_sample() -> None:
    """Load the bundled sample comic (safe to run on every start: a re-run changes nothing)."""
    from scriptorium.companion.ingest import ingest_path

    async def work(resources: Resources) -> None:
        report = await ingest_path(
            SAMPLE_DIR, sessionmaker=resources.sessionmaker, storage=resources.storage, embedder=resources.embedder()
        )
        _print_report(report)

    _run(_settings(), work)


@companion.command()
@click.option("--series", "series_slug", default=None, help="Only this series (default: all).")
@click.option("--force", is_flag=True, help="Re-embed every chunk, not only those from another model.")
@click.option("--progress/--no-progress", default=True, show_default=True)
def reindex(series_slug: str | None, force: bool, progress: bool) -> None:
    """Recompute embeddings with the configured provider (run after switching EMBEDDING_PROVIDER/MODEL)."""
    from scriptorium.companion.ingest.reindex import reindex as run_reindex

    async def work(resources: Resources) -> None:
        report = await run_reindex(
            resources.sessionmaker, resources.embedder(), series_slug=series_slug, force=force, progress=progress
        )
        touched = ", ".join(report.series) or "none"
        click.echo(f"re-embedded {report.embedded} chunks with {report.model} ({report.dimension}d); series: {touched}")

    _run(_settings(), work)
