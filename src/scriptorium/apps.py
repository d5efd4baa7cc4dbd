"""The two applications, as the process sees them: their routers, job handlers and CLI groups.

This is the only module that knows both apps exist; `core` never imports an app, and the apps never import
each other.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import click
    from fastapi import APIRouter

APP_PACKAGES = ("scriptorium.scribe", "scriptorium.companion")


def load_job_handlers() -> None:
    """Import each app's `jobs` module (and the operational ones) so their handlers register with the core."""
    for package in APP_PACKAGES:
        importlib.import_module(f"{package}.jobs")
    importlib.import_module("scriptorium.ops.jobs")  # core.ping for `doctor`, ops.sleep for benchmarks


def routers() -> list[APIRouter]:
    return [importlib.import_module(f"{package}.api").router for package in APP_PACKAGES]


def command_groups() -> list[click.Group]:
    """Each app's `scriptorium <app>` command group, named after the app (`scribe.cli.scribe`, ...)."""
    groups: list[click.Group] = []
    for package in APP_PACKAGES:
        group = getattr(importlib.import_module(f"{package}.cli"), package.rsplit(".", 1)[-1])
        groups.append(group)
    return groups
