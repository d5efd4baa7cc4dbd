"""`scriptorium companion` commands (being built)."""

import click


@click.group()
def companion() -> None:
    """Companion tools."""
