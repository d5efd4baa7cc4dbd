"""`scriptorium scribe send --batch ID`: a batch to Drafts (`--drafts`) or out by SMTP, from the command line.

It goes the way the browser goes: the same guards (`runs.create_run`), a dry run first that prints who gets what
(`--dry-run` stops there), a confirmation (or `--yes`), then the run's job with a progress bar. In lite the job
runs in this process (as `scribe generate --wait` does); in scale a worker runs it and this command watches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from scriptorium.core.resources import Resources
    from scriptorium.scribe.mail.schemas import MailRunOut

POLL_SECONDS = 0.3
FINISHED = ("done", "failed", "cancelled")
WORKED = ("sent", "drafted", "failed", "uncertain", "bounced")


ResolveUser = Callable[["AsyncSession", Any, "str | None"], Awaitable[str]]
"""Who the command acts for (`scribe.cli.resolve_user`: `--user EMAIL`, or the local user in AUTH_MODE=none)."""


def send_command(resolve_user: ResolveUser) -> click.Command:
    """The `send` command, built with Scribe's user resolver (passed in, so this module never imports the CLI)."""

    @click.command("send")
    @click.option("--batch", "batch_id", required=True, help="The batch whose emails go out.")
    @click.option("--account", "account_id", default=None, help="Mail account id (default: your only account).")
    @click.option("--dry-run", is_flag=True, help="Only show who would get what; nothing is sent or drafted.")
    @click.option("--limit", type=click.IntRange(1, 10_000), default=None, help="Send at most N emails in this run.")
    @click.option("--drafts", is_flag=True, help="Put the emails in the mailbox's Drafts folder instead of sending.")
    @click.option("--yes", is_flag=True, help="Do not ask before sending.")
    @click.option("--user", "user_email", default=None, help="Account email (default: the local user).")
    def send(
        batch_id: str,
        account_id: str | None,
        dry_run: bool,
        limit: int | None,
        drafts: bool,
        yes: bool,
        user_email: str | None,
    ) -> None:
        """Send a batch carefully (or put it in Drafts): dry run first, then the real run with a progress bar."""
        from scriptorium.core.cli_support import settings_or_exit
        from scriptorium.migrations import upgrade

        settings = settings_or_exit()
        upgrade(settings)
        request = Request(batch_id, account_id, dry_run, limit, "draft" if drafts else "send", yes, user_email)
        asyncio.run(_send(settings, request, resolve_user))

    return send


@dataclass(frozen=True)
class Request:
    batch_id: str
    account_id: str | None
    dry_run: bool
    limit: int | None
    kind: str
    yes: bool
    user_email: str | None


async def _send(settings: Any, request: Request, resolve_user: ResolveUser) -> None:
    from scriptorium.core.resources import open_resources
    from scriptorium.scribe.mail.schemas import MailRunIn

    async with open_resources(settings) as resources:
        async with resources.sessionmaker() as session:
            user_id = await resolve_user(session, settings, request.user_email)
        account_id = await _account(resources, user_id, request.account_id)
        body = MailRunIn.model_validate(
            {
                "account_id": account_id,
                "kind": request.kind,
                "batch_id": request.batch_id,
                "dry_run": True,
                "limit": request.limit,
            }
        )
        preview = await _start(resources, user_id, body)
        _show(preview)
        if request.dry_run or not any(item.state == "queued" for item in preview.items):
            return
        verb = "Send" if request.kind == "send" else "Put in Drafts"
        if not request.yes and not click.confirm(f"{verb}: {preview.counts.get('queued', 0)} email(s) as shown above?"):
            raise click.ClickException("nothing sent")
        run = await _start(resources, user_id, body.model_copy(update={"dry_run": False}))
        await resources.queue.notify(1)
        final = await watch_run(resources, user_id, run, run_here=settings.consumer_in_process)
    counts = ", ".join(f"{n} {state}" for state, n in sorted(final.counts.items()) if n)
    click.echo(f"run {final.id}: {final.status}; {counts}", err=True)
    if final.words:
        click.echo(final.words, err=True)
    if final.status == "failed":
        raise click.ClickException(final.words or "the run failed")


async def _account(resources: Resources, user_id: str, account_id: str | None) -> str:
    from scriptorium.scribe.mail.accounts import list_accounts

    async with resources.sessionmaker() as session:
        accounts = await list_accounts(session, user_id=user_id)
    if account_id:
        if not any(a.id == account_id for a in accounts):
            raise click.ClickException(f"no mail account {account_id!r} for this user")
        return account_id
    if not accounts:
        raise click.ClickException("no mail account yet: connect one in Scribe's Mail tab first")
    if len(accounts) > 1:
        listed = ", ".join(f"{a.id} ({a.address})" for a in accounts)
        raise click.ClickException(f"several mail accounts; choose one with --account: {listed}")
    return accounts[0].id


async def _start(resources: Resources, user_id: str, body: Any) -> MailRunOut:
    from scriptorium.core.errors import ScriptoriumError
    from scriptorium.scribe.mail.accounts import owned_account
    from scriptorium.scribe.mail.errors import MailError
    from scriptorium.scribe.mail.refusals import MailRefused
    from scriptorium.scribe.mail.runs import create_run, run_out
    from scriptorium.scribe.mail.verdicts import check_account_domain
    from scriptorium.scribe.models import MailAccount

    async def check(account: MailAccount) -> dict[str, Any]:
        try:
            return await check_account_domain(resources.settings, account)
        except MailError as exc:
            raise MailRefused(502, "dns_unavailable", exc.words) from None

    async with resources.sessionmaker() as session:
        account = await owned_account(session, user_id=user_id, account_id=body.account_id, lock=True)
        try:
            run = await create_run(session, user_id=user_id, account=account, body=body, check_domain=check)
        except MailRefused as exc:
            await session.commit()
            details = exc.details.get("emails") or []
            lines = [exc.public_message] + [f"  - {e['recipient_name']} ({e['email_id']})" for e in details]
            raise click.ClickException("\n".join(lines)) from None
        except ScriptoriumError as exc:
            raise click.ClickException(exc.public_message) from None
        await session.commit()
        return await run_out(session, run)


def _show(preview: MailRunOut) -> None:
    for item in preview.items:
        target = item.to_address or "(no address)"
        if item.state == "queued":
            click.echo(f"  -> {item.recipient_name} <{target}>: {item.subject}")
        else:
            click.echo(f"  skip {item.recipient_name} <{target}>: {item.reason}")
    going = preview.counts.get("queued", 0)
    click.echo(f"{going} of {preview.total} email(s) would go; dry run, nothing was sent.", err=True)


async def watch_run(resources: Resources, user_id: str, run: MailRunOut, *, run_here: bool) -> MailRunOut:
    """A tqdm bar over the run's emails until it finishes (or pauses, which is said in words)."""
    from tqdm import tqdm

    from scriptorium.scribe.mail.runs import owned_run, run_out

    worker: asyncio.Task[Any] | None = None
    if run_here:
        import scriptorium.scribe.jobs  # noqa: F401  (registers the mail job kinds this process will run)

        resources.start_jobs(consume=False)
        assert resources.runner is not None
        worker = asyncio.create_task(resources.runner.drain())
    total = run.counts.get("queued", 0)
    bar = tqdm(total=total, unit="email", desc="sending" if run.kind == "send" else "drafting")
    try:
        while True:
            async with resources.sessionmaker() as session:
                current = await run_out(session, await owned_run(session, user_id=user_id, run_id=run.id))
            bar.n = sum(current.counts.get(state, 0) for state in WORKED)
            bar.set_postfix_str(current.status, refresh=True)
            if current.status in FINISHED or (current.status == "paused" and current.next_attempt_at):
                return current
            if worker is not None and worker.done():
                worker = asyncio.create_task(resources.runner.drain())  # type: ignore[union-attr]
            await asyncio.sleep(POLL_SECONDS)
    finally:
        bar.close()
        if worker is not None:
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
