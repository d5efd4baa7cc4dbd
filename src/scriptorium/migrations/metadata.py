"""Import every model module so `Base.metadata` knows all tables (Alembic and schema tests need this)."""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "scriptorium.core.models",
    "scriptorium.core.jobs.models",
    "scriptorium.scribe.models",
    "scriptorium.companion.models",
)


def import_all_models() -> None:
    for module in MODEL_MODULES:
        importlib.import_module(module)
