"""The `scriptorium doctor` click command: run every check, print the report, exit 1 on any failure."""

from __future__ import annotations

import asyncio

import click

from scriptorium.ops.doctor import run_doctor
from scriptorium.ops.doctor.report import ok, render_json, render_text


@click.command()
@click.option("--url", default=None, help="Base URL of the running server for the end-to-end checks.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option(
    "--token", envvar="SCRIPTORIUM_TOKEN", default=None, help="Bearer token when the server requires sign-in."
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=30.0,
    show_default=True,
    help="Seconds each check may take (a serverless GPU's cold start needs 30+).",
)
def doctor(url: str | None, as_json: bool, token: str | None, timeout: float) -> None:
    """Check every layer of this deployment and say the next thing to fix."""
    results = asyncio.run(run_doctor(url=url, token=token, check_seconds=timeout))
    click.echo(render_json(results) if as_json else render_text(results))
    if not ok(results):
        raise SystemExit(1)
