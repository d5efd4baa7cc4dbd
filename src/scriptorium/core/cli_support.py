"""What every `scriptorium` command shares: settings loaded once, a bad setting reported in one line.

It lives in core so the top-level command and each app's command group can use it without importing one another.
"""

from __future__ import annotations

from typing import Any

import click

from scriptorium.core.errors import ConfigurationError
from scriptorium.core.settings import Settings, load_settings


def settings_or_exit(**overrides: Any) -> Settings:
    """Settings with the given overrides (None means "not given"); a bad setting exits with one line, no traceback."""
    try:
        return load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except ConfigurationError as exc:
        raise click.ClickException(f"configuration error: {exc.public_message}") from None
