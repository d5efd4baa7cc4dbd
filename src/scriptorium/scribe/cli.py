"""`scriptorium scribe ...`: queue a batch from files and watch it, and export emails.

The commands use the same service functions as the API (one transaction for every item and its job), so a batch
queued here is indistinguishable from one queued in the browser. With `--wait` in lite the jobs run in this
process; in scale the workers run them and this command only watches.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from scriptorium.scribe.mail.cli import send_command

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from scriptorium.core.resources import Resources
    from scriptorium.core.settings import Settings
    from scriptorium.scribe.models import Email, Source
    from scriptorium.scribe.schemas import BatchItem

POLL_SECONDS = 0.3
TERMINAL = ("completed", "needs_review", "failed", "cancelled")


@click.group()
def scribe() -> None:
    """Scribe: researched outreach email."""


def _settings() -> Settings:
    from scriptorium.core.cli_support import settings_or_exit
    from scriptorium.migrations import upgrade

    settings = settings_or_exit()
    upgrade(settings)
    return settings


async def resolve_user(session: AsyncSession, settings: Settings, email: str | None) -> str:
    """The account to act for: `--user EMAIL`, or the single local user when AUTH_MODE=none."""
    from sqlalchemy import func, select

    from scriptorium.core.auth.dependencies import LOCAL_USER_ID
    from scriptorium.core.models import User

    if email:
        user_id = await session.scalar(select(User.id).where(func.lower(User.email) == email.strip().lower()))
        if user_id is None:
            raise click.ClickException(f"no account with email {email!r}")
        return str(user_id)
    if settings.auth_mode != "none":
        raise click.ClickException(f"AUTH_MODE={settings.auth_mode}: say whose emails these are with --user EMAIL")
    if await session.get(User, LOCAL_USER_ID) is None:  # the same single user the API creates on first request
        session.add(User(id=LOCAL_USER_ID, display_name="Local user", role="admin"))
        await session.commit()
    return LOCAL_USER_ID


scribe.add_command(send_command(resolve_user))  # `scribe send`: a batch to Drafts or out by SMTP (scribe/mail)


@scribe.command()
@click.option(
    "--template",
    "template_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Text file with the email template ({{placeholders}} welcome).",
)
@click.option(
    "--recipients",
    "recipients_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="CSV with columns name, interest and optionally email, institution, profile_url.",
)
@click.option("--wait/--no-wait", default=False, help="Show a progress bar per email until all are done.")
@click.option("--user", "user_email", default=None, help="Account email (default: the local user in AUTH_MODE=none).")
@click.option("--skip-duplicates", is_flag=True, help="Leave out people already emailed recently or listed twice.")
def generate(
    template_path: Path, recipients_path: Path, wait: bool, user_email: str | None, skip_duplicates: bool
) -> None:
    """Queue one email per recipient in the CSV."""
    from scriptorium.core.errors import ScriptoriumError
    from scriptorium.scribe.recipients import parse_recipients_csv

    settings = _settings()
    try:
        items, errors, _ = parse_recipients_csv(recipients_path.read_bytes())
    except ScriptoriumError as exc:
        raise click.ClickException(f"{recipients_path}: {exc.public_message}") from None
    for error in errors:
        click.echo(f"{recipients_path}:{error.line}: {error.field}: {error.message}", err=True)
    if not items:
        raise click.ClickException("no valid recipients to queue")
    template = template_path.read_text(encoding="utf-8")
    asyncio.run(_generate(settings, template, items, wait, user_email, skip_duplicates))


async def _generate(
    settings: Settings, template: str, items: list[BatchItem], wait: bool, user_email: str | None, skip: bool
) -> None:
    from scriptorium.core.errors import ScriptoriumError
    from scriptorium.core.resources import open_resources
    from scriptorium.scribe.submit import submit_items

    async with open_resources(settings) as resources:
        async with resources.sessionmaker() as session:
            user_id = await resolve_user(session, settings, user_email)
            try:
                submission = await submit_items(
                    session,
                    settings=settings,
                    user_id=user_id,
                    items=items,
                    template_text=template,
                    origin="cli",
                    skip_duplicates=skip,
                )
                await session.commit()
            except ScriptoriumError as exc:
                raise click.ClickException(exc.public_message) from None
        await resources.queue.notify(len(submission.items))
        for flag in submission.duplicates:
            action = "skipped" if flag.index in submission.skipped else "queued anyway"
            click.echo(f"row {flag.index + 2}: {flag.recipient_name}: {flag.detail} ({action})", err=True)
        ids = [item.id for item in submission.items]
        click.echo(f"queued {len(ids)} email(s) in batch {submission.batch_id}", err=True)
        if wait and ids:
            await watch(resources, ids, run_here=settings.consumer_in_process)


async def watch(resources: Resources, ids: list[str], *, run_here: bool) -> None:
    """One tqdm bar per item, updated from the queue rows; runs the jobs here too when `run_here`."""
    from tqdm import tqdm

    import scriptorium.scribe.jobs  # noqa: F401  (registers the scribe.generate handler this process will run)

    workers: list[asyncio.Task[Any]] = []
    if run_here:
        resources.start_jobs(consume=False)
        runner = resources.runner
        assert runner is not None
        workers = [asyncio.create_task(runner.drain()) for _ in range(resources.settings.worker_concurrency)]
    bars: dict[str, tqdm[Any]] = {}
    try:
        while True:
            rows = await _rows(resources, ids)
            for index, row in enumerate(rows):
                bar = bars.get(row.id) or tqdm(
                    total=100,
                    position=index,
                    desc=row.recipient_name[:28],
                    unit="%",
                    bar_format="{desc:<28} {bar} {n_fmt:>3}% {postfix}",
                    leave=True,
                )
                bars[row.id] = bar
                bar.n = int(_progress(row) * 100)
                bar.set_postfix_str(row.current_step or row.status, refresh=True)
            if all(row.status in TERMINAL for row in rows):
                break
            if workers and all(task.done() for task in workers):
                workers = [asyncio.create_task(resources.runner.drain()) for _ in workers]  # type: ignore[union-attr]
            await asyncio.sleep(POLL_SECONDS)
    finally:
        for bar in bars.values():
            bar.close()
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    click.echo(", ".join(f"{n} {status}" for status, n in sorted(counts.items())), err=True)


def _progress(row: Any) -> float:
    from scriptorium.scribe.queue import progress

    return progress(row)


async def _rows(resources: Resources, ids: list[str]) -> list[Any]:
    from sqlalchemy import select

    from scriptorium.scribe.models import QueueItem

    async with resources.sessionmaker() as session:
        found = {row.id: row for row in await session.scalars(select(QueueItem).where(QueueItem.id.in_(ids)))}
    return [found[item_id] for item_id in ids if item_id in found]


@scribe.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "eml"]), default="csv", show_default=True)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    required=True,
    help="File for csv/json; a directory (or a .zip file) for eml.",
)
@click.option("--user", "user_email", default=None, help="Account email (default: the local user in AUTH_MODE=none).")
@click.option("--include-discarded", is_flag=True, help="Also export emails you discarded.")
@click.option("--include-review", is_flag=True, help="Also export drafts that need review (they say so inside).")
def export(fmt: str, out: Path, user_email: str | None, include_discarded: bool, include_review: bool) -> None:
    """Write your emails as CSV, JSON or .eml drafts."""
    from scriptorium.scribe.export import eml_filename, export_bytes, summarize, to_eml

    settings = _settings()
    emails, sources = asyncio.run(_load_export(settings, user_email, include_discarded))
    left_out = 0 if include_review else sum(1 for email in emails if email.status == "needs_review")
    emails = [email for email in emails if include_review or email.status != "needs_review"]
    summary = summarize(emails, left_out_review=left_out)
    if fmt == "eml" and out.suffix != ".zip":
        out.mkdir(parents=True, exist_ok=True)
        for email in emails:
            (out / eml_filename(email)).write_bytes(to_eml(email))
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(export_bytes(fmt, emails, sources, summary=summary))  # type: ignore[arg-type]
    click.echo(f"exported {len(emails)} email(s) to {out}", err=True)
    if line := summary.line():
        click.echo(f"warning: {line}", err=True)


async def _load_export(
    settings: Settings, user_email: str | None, include_discarded: bool
) -> tuple[list[Email], dict[str, list[Source]]]:
    from sqlalchemy import select

    from scriptorium.core.resources import open_resources
    from scriptorium.scribe.emails import list_emails
    from scriptorium.scribe.models import Source

    async with open_resources(settings) as resources, resources.sessionmaker() as session:
        user_id = await resolve_user(session, settings, user_email)
        emails, _ = await list_emails(
            session, user_id=user_id, limit=100_000, offset=0, include_discarded=include_discarded
        )
        generation = {e.id: e.generation for e in emails}
        sources: dict[str, list[Source]] = {}
        for source in await session.scalars(select(Source).where(Source.email_id.in_(list(generation)))):
            if source.generation == generation[source.email_id]:
                sources.setdefault(source.email_id, []).append(source)
    return emails, sources
