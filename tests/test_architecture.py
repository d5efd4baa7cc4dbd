"""Structure as tests: import direction and no loops, one place that reads the environment, module size limits,
tables only in models.py, thin route modules, and module names that say what they own."""

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


# --- import loops, tables, thin routes, names -------------------------------------------------------------------
# Each rule is a function over a source tree, so it can be run on the real one and on a planted violation.


def dotted(path: Path, root: Path) -> str:
    """`scriptorium/companion/chat/turn.py` -> `scriptorium.companion.chat.turn` (a package is its `__init__`)."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(path: Path, root: Path, known: set[str]) -> set[str]:
    """Modules of the tree this module imports when it runs: at top level or inside functions, but not the
    `if TYPE_CHECKING:` imports. `from package import name` counts as importing `package.name` when that is a module."""
    name = dotted(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking_only(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return {target for target in found if target in known and target != name}


def import_graph(root: Path) -> dict[str, set[str]]:
    paths = {dotted(p, root): p for p in root.rglob("*.py") if "migrations/versions" not in p.as_posix()}
    known = set(paths)
    return {name: runtime_imports(path, root, known) for name, path in paths.items()}


def import_loops(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of two or more modules (Tarjan), each sorted: every one is an import loop."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    loops: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                loops.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return loops


def test_no_import_loops_at_run_time() -> None:
    """A loop (even through a function-level import) means two modules each need the other: split or move."""
    assert import_loops(import_graph(SRC)) == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for relative, text in {"__init__.py": "", **files}.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


def test_the_loop_finder_sees_a_loop_through_a_function_level_import(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "a.py": "from pkg.b import thing\n",
            "b.py": "def thing():\n    from pkg import a\n",
            "c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import thing\n",
            "d.py": "from . import c\n",
        },
    )
    graph = import_graph(root)
    assert graph["pkg.d"] == {"pkg.c"} and graph["pkg.c"] == set()  # type-only imports are not run
    assert import_loops(graph) == [["pkg.a", "pkg.b"]]


def tables_outside_models(root: Path) -> list[str]:
    """Modules other than a `models.py` that declare a table (`__tablename__`, or `Table(...)` not reflected)."""
    offenders = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "models.py" or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            declares = (
                isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__tablename__" for t in node.targets)
            ) or (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "Table"
                and not any(k.arg == "autoload_with" for k in node.keywords)  # reading a table's shape, not declaring
            )
            if declares:
                offenders.append(dotted(path, root))
                break
    return offenders


def test_tables_are_declared_only_in_models_modules(tmp_path: Path) -> None:
    assert tables_outside_models(SRC) == []
    planted = _tree(tmp_path, {"models.py": "class A:\n    __tablename__ = 'a'\n", "x.py": "t = Table('x')\n"})
    planted_class = _tree(tmp_path / "two", {"sessions.py": "class S:\n    __tablename__ = 's'\n"})
    assert tables_outside_models(planted) == ["pkg.x"]
    assert tables_outside_models(planted_class) == ["pkg.sessions"]


SQL_CALLS = {"select", "insert", "update", "delete", "text"}
SQL_METHODS = {"execute", "scalar", "scalars", "stream", "stream_scalars"}


def api_modules(root: Path) -> list[Path]:
    """The HTTP edge: every module of an `api` package, and modules named `api.py` (`core/auth/api.py`)."""
    return sorted({*root.rglob("api/*.py"), *root.rglob("api.py")})


def route_modules(root: Path) -> dict[str, Path]:
    """HTTP-edge modules that declare a `router`."""
    found = {}
    for path in api_modules(root):
        top = ast.parse(path.read_text()).body
        if any(isinstance(n, ast.Assign) and any(getattr(t, "id", None) == "router" for t in n.targets) for n in top):
            found[dotted(path, root)] = path
    return found


def fat_routes(root: Path) -> list[str]:
    """Route modules (and their `api` helpers) that run SQL or import another route module.

    Routes validate, call the module that owns the data, and shape the answer; the package `__init__` that
    gathers the routers is the one module allowed to import them all.
    """
    routes = route_modules(root)
    known = {dotted(p, root) for p in root.rglob("*.py")}
    problems = []
    for path in api_modules(root):
        name = dotted(path, root)
        if path.name == "__init__.py":
            continue
        others = sorted(runtime_imports(path, root, known) & (set(routes) - {name}))
        problems += [f"{name} imports route module {other}" for other in others]
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Name) and func.id in SQL_CALLS:
                problems.append(f"{name}:{node.lineno} calls {func.id}(...)")
            elif isinstance(func, ast.Attribute) and func.attr in SQL_METHODS:
                problems.append(f"{name}:{node.lineno} calls .{func.attr}(...)")
    return problems


def test_route_modules_are_thin_leaves(tmp_path: Path) -> None:
    assert fat_routes(SRC) == []
    planted = _tree(
        tmp_path,
        {
            "api/__init__.py": "from pkg.api import a, b\n",
            "api/a.py": "router = 1\n",
            "api/b.py": "from pkg.api.a import router as other\nrouter = 2\n",
            "api/c.py": "router = 3\nasync def f(db):\n    await db.execute(select(1))\n",
            "auth/api.py": "from pkg.api import c\nrouter = 4\n",
        },
    )
    assert fat_routes(planted) == [
        "pkg.api.b imports route module pkg.api.a",
        "pkg.api.c:3 calls .execute(...)",
        "pkg.api.c:3 calls select(...)",
        "pkg.auth.api imports route module pkg.api.c",
    ]


ROLE_WORDS = {"service", "services", "handler", "handlers", "helper", "helpers", "util", "utils", "manager", "misc"}


def role_named(root: Path) -> list[str]:
    """Modules named for a role (`service_chat`, `job_handler`, `utils`) instead of the thing they own."""
    return sorted(dotted(p, root) for p in root.rglob("*.py") if ROLE_WORDS.intersection(p.stem.lower().split("_")))


def test_modules_are_named_for_what_they_own(tmp_path: Path) -> None:
    assert role_named(SRC) == []
    planted = _tree(tmp_path, {"service_chat.py": "", "job_handler.py": "", "chat.py": "", "servicing.py": ""})
    assert role_named(planted) == ["pkg.job_handler", "pkg.service_chat"]
