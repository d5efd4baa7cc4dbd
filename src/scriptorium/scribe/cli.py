"""`scriptorium scribe` commands (being built)."""

import click


@click.group()
def scribe() -> None:
    """Scribe tools."""
