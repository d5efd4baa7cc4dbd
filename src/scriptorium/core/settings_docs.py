"""Render `.env.example` and the configuration table from `Settings`, so the docs cannot drift from the code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic_core import PydanticUndefined

from scriptorium.core.settings import Settings

SECTION_MARK = "# --- "


def _default(name: str) -> str:
    field = Settings.model_fields[name]
    value: Any = field.default
    if value is PydanticUndefined and field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
    if isinstance(value, SecretStr):
        return ""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(value)
    if isinstance(value, dict):
        return json.dumps(value) if value else ""
    return str(value)


def _description(name: str) -> str:
    return " ".join((Settings.model_fields[name].description or "").split())


def render_env_example() -> str:
    lines = [
        "# Scriptorium configuration. Copy to .env and change what you need; every line shows the default.",
        "# Generated from src/scriptorium/core/settings.py by `scriptorium config --example`.",
        "",
    ]
    for name in Settings.model_fields:
        lines.append(f"# {_description(name)}")
        lines.append(f"{name.upper()}={_default(name)}")
        lines.append("")
    return "\n".join(lines)


def render_markdown_table() -> str:
    rows = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for name in Settings.model_fields:
        default = _default(name).replace("|", "\\|") or "(empty)"
        secret = " (secret)" if Settings.model_fields[name].annotation is SecretStr else ""
        rows.append(f"| `{name.upper()}` | `{default}` | {_description(name).replace('|', '/')}{secret} |")
    return "\n".join(rows) + "\n"
