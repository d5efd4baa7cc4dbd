"""Structure as tests: import direction, one place that reads the environment, module size limits."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "scriptorium"
SDKS = {"openai", "anthropic", "redis", "minio", "playwright", "logfire", "psycopg", "wordllama"}


def modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "migrations/versions" not in p.as_posix())


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def area(path: Path) -> str:
    return path.relative_to(SRC).parts[0].removesuffix(".py")


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_import_direction(path: Path) -> None:
    """`core` imports no app; the two apps never import each other."""
    where = area(path)
    for name in imports_of(path):
        if not name.startswith("scriptorium."):
            continue
        target = name.split(".")[1]
        if where == "core":
            assert target == "core", f"core must not import {name}"
        if where in {"scribe", "companion"}:
            other = {"scribe": "companion", "companion": "scribe"}[where]
            assert target != other, f"{where} must not import {name}"


ENV_READ = re.compile(r"os\.getenv\(|os\.environ\.get\(|os\.environ\[|environ\.setdefault\(")
"""Reading a variable is configuration and belongs in Settings; copying the whole environment for a child
process (`dict(os.environ)` before adding PGPASSWORD) is not a read and is allowed."""


def test_only_settings_reads_the_environment() -> None:
    offenders = [
        str(path.relative_to(SRC))
        for path in modules()
        if ENV_READ.search(path.read_text())
        and path.name != "settings.py"
        and path != SRC / "__init__.py"  # sets PYDANTIC_DISABLE_PLUGINS before pydantic loads
    ]
    assert offenders == []


def test_sdks_are_imported_only_inside_functions_or_seam_modules() -> None:
    """Top-level SDK imports would load them at start-up and break the lite memory budget."""
    offenders = []
    for path in modules():
        tree = ast.parse(path.read_text())
        for node in tree.body:
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module.split(".")[0]]
            hits = SDKS.intersection(names)
            seam = path.parent.name in {"storage", "embeddings", "llm", "auth", "ops"} or path.name in {
                "llm.py",
                "web.py",
                "queue.py",
                "backup.py",
            }
            if hits and not seam:
                offenders.append(f"{path.relative_to(SRC)} imports {sorted(hits)} at module level")
    assert offenders == []


def test_no_module_passes_the_hard_size_ceiling() -> None:
    too_big = {str(p.relative_to(SRC)): n for p in modules() if (n := len(p.read_text().splitlines())) > 600}
    assert too_big == {}


def test_every_route_dependency_is_async(tmp_path: Path) -> None:
    """FastAPI runs a plain `def` dependency (or a class) in its thread pool: a worker-thread round trip per request.

    Endpoints themselves are async everywhere already; this keeps their dependencies so, all the way down.
    """
    import inspect

    from fastapi.dependencies.models import Dependant
    from fastapi.routing import APIRoute

    from scriptorium.app import create_app
    from scriptorium.core.settings import Settings

    app = create_app(Settings(data_dir=tmp_path, environment="test", _env_file=None))
    sync: set[str] = set()

    def walk(dependant: Dependant) -> None:
        for sub in dependant.dependencies:
            call = sub.call
            if call is not None and not (inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call)):
                sync.add(getattr(call, "__qualname__", repr(call)))
            walk(sub)

    def api_routes(routes: list[Any]) -> list[APIRoute]:
        # Included routers appear as wrappers around their original router (FastAPI >= 0.16x).
        found: list[APIRoute] = []
        for route in routes:
            inner = getattr(route, "original_router", None)
            if isinstance(route, APIRoute):
                found.append(route)
            elif inner is not None:
                found += api_routes(list(inner.routes))
        return found

    routes = api_routes(list(app.routes))
    for route in routes:
        assert inspect.iscoroutinefunction(route.endpoint), f"{route.path} has a sync endpoint"
        walk(route.dependant)
    assert len(routes) > 30 and not sync, f"sync dependencies: {sorted(sync)}"
