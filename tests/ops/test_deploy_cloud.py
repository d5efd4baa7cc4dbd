"""Fly + Cloudflare Pages + Modal deployment files: parsed and checked against the code they configure."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from scriptorium.core.settings import Settings
from scriptorium.ops.origins import origin_warnings
from tests.ops.stack import fake_command
from tests.services import require

ROOT = Path(__file__).resolve().parents[2]
FLY = ROOT / "deploy" / "fly"
MODAL_APP = ROOT / "deploy" / "modal" / "ollama_app.py"


@pytest.fixture(scope="module")
def fly() -> dict[str, Any]:
    return tomllib.loads((FLY / "fly.toml").read_text())


def test_fly_scales_to_zero_with_request_limits_and_a_health_check(fly: dict[str, Any]) -> None:
    http = fly["http_service"]
    assert http["auto_stop_machines"] == "stop" and http["auto_start_machines"] is True
    assert http["min_machines_running"] == 0
    assert http["force_https"] is True
    limits = http["concurrency"]
    assert limits["type"] == "requests" and 0 < limits["soft_limit"] < limits["hard_limit"]
    (check,) = http["checks"]
    assert check["method"] == "GET" and check["path"] == "/health"
    assert http["internal_port"] == int(dockerfile_env()["PORT"])


def test_fly_env_is_a_valid_production_configuration(fly: dict[str, Any]) -> None:
    env = fly["env"]
    assert set(env) <= {name.upper() for name in Settings.model_fields}, "unknown setting in [env]"
    assert env["PROFILE"] == "scale" and env["ENVIRONMENT"] == "production"
    secrets = {"secret_key": "s" * 40, "database_url": "postgres://u:p@db.example.org:5432/app?sslmode=require"}
    settings = Settings(_env_file=None, **{k.lower(): v for k, v in {**dockerfile_env(), **env}.items()}, **secrets)
    assert settings.consumer_in_process and settings.effective_job_backend == "sqlite"
    assert settings.storage_backend == "s3"


def dockerfile_env() -> dict[str, str]:
    text = (FLY / "Dockerfile").read_text().replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            env.update(dict(re.findall(r"(\w+)=(\S+)", line)))
    return env


def test_dockerfile_builds_the_ui_then_a_slim_non_root_runtime() -> None:
    text = (FLY / "Dockerfile").read_text()
    # The build arguments' defaults are what Fly builds: the Node UI stage, PyPI, the public Python base.
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", text, re.MULTILINE))
    assert args["UI"] == "node" and args["WHEELS"] == "index"
    stages = dict(
        (name, args.get(base[2:-1], base) if base.startswith("${") else base)
        for base, name in re.findall(r"^FROM (\S+) AS ([\w-]+)$", text, re.MULTILINE)
    )
    assert stages["frontend"].startswith("node:") and stages["ui-node"] == "frontend"
    assert stages["ui"] == "ui-${UI}" and stages["wheels"] == "wheels-${WHEELS}"
    assert "slim" in stages["runtime"] and stages["runtime"].startswith("python:3.11")
    assert list(stages)[-1] == "runtime"
    users = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    extras = re.search(r"^ARG EXTRAS=(\S+)$", text, re.MULTILINE)
    assert extras and {"postgres", "redis", "s3"} <= set(extras.group(1).split(","))
    assert 'pip install ".[${EXTRAS}]"' in text
    env = dockerfile_env()
    assert f"COPY --from=ui /build/frontend/dist {env['STATIC_DIR']}" in text
    assert set(env) - {
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONUNBUFFERED",
        "PIP_NO_CACHE_DIR",
        "PIP_DISABLE_PIP_VERSION_CHECK",
    } <= {name.upper() for name in Settings.model_fields}


def test_every_file_the_dockerfile_copies_exists_and_survives_the_dockerignore() -> None:
    text = (FLY / "Dockerfile").read_text()
    sources = [
        source for line in re.findall(r"^COPY (?!--from)(.+)$", text, re.MULTILINE) for source in line.split()[:-1]
    ]
    kept = {
        line[1:].rstrip("/")
        for line in (FLY / "Dockerfile.dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    for source in sources:
        path = source.rstrip("/")
        # Made on the host before a UI=host / WHEELS=host build (deploy/image/build.sh); absent in a fresh clone.
        assert (ROOT / path).exists() or path in {"frontend/dist", "deploy/image/wheelhouse"}, source
        assert any(path == k or path.startswith(k + "/") for k in kept), f"{source} is excluded by the .dockerignore"


@pytest.fixture
def fake_scriptorium(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A `scriptorium` earlier on PATH that records each call instead of running."""
    return fake_command(tmp_path, "scriptorium")


@pytest.mark.parametrize(
    ("args", "extra", "expected"),
    [
        ([], {}, ["bootstrap --seed", "serve --no-migrate"]),
        (["worker"], {}, ["bootstrap --seed", "worker"]),
        ([], {"BOOTSTRAP_SEED": "false"}, ["bootstrap --no-seed", "serve --no-migrate"]),
    ],
)
def test_entrypoint_bootstraps_then_runs_the_command(
    fake_scriptorium: tuple[dict[str, str], Path], args: list[str], extra: dict[str, str], expected: list[str]
) -> None:
    env, calls = fake_scriptorium
    done = subprocess.run([str(FLY / "entrypoint.sh"), *args], env={**env, **extra}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert calls.read_text().splitlines() == expected


def test_entrypoint_passes_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck")
    require(shellcheck is not None, "shellcheck", "apt-get install -y shellcheck")
    done = subprocess.run([str(shellcheck), str(FLY / "entrypoint.sh")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def _call_keywords(node: ast.expr) -> dict[str, Any]:
    assert isinstance(node, ast.Call)
    return {kw.arg: kw.value for kw in node.keywords if kw.arg}


def _constants(tree: ast.Module) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    return values


def _value(node: ast.expr, constants: dict[str, Any]) -> Any:
    return constants[node.id] if isinstance(node, ast.Name) else ast.literal_eval(node)


def test_modal_app_serves_ollama_with_proxy_auth_and_scale_to_zero(fly: dict[str, Any]) -> None:
    source = MODAL_APP.read_text()
    tree = ast.parse(source)
    compile(source, str(MODAL_APP), "exec")
    constants = _constants(tree)
    serve = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "serve")
    decorators = {ast.unparse(d.func): _call_keywords(d) for d in serve.decorator_list if isinstance(d, ast.Call)}
    web = decorators["modal.web_server"]
    assert _value(web["requires_proxy_auth"], constants) is True
    assert _value(web["port"], constants) == 11434
    function = decorators["app.function"]
    assert _value(function["min_containers"], constants) == 0
    assert _value(function["scaledown_window"], constants) > 0
    assert _value(function["gpu"], constants)
    assert "modal.concurrent" in decorators
    chat_model = fly["env"]["CHAT_PROVIDER"].split(":", 1)[1]
    assert chat_model == constants["CHAT_MODEL"] and fly["env"]["EMBEDDING_MODEL"] == constants["EMBEDDING_MODEL"]
    models = next(n.value for n in tree.body if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "MODELS")
    assert isinstance(models, ast.Tuple) and [ast.unparse(e) for e in models.elts] == ["CHAT_MODEL", "EMBEDDING_MODEL"]
    pull = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "pull")
    assert "for name in MODELS" in ast.unparse(pull) and "OLLAMA, 'pull', name" in ast.unparse(pull)


def test_pages_build_bakes_the_api_url_the_client_reads() -> None:
    readme = (ROOT / "deploy" / "pages" / "README.md").read_text()
    assert "VITE_API_BASE_URL" in readme and "frontend/dist" in readme
    client = (ROOT / "frontend" / "src" / "api" / "client.ts").read_text()
    assert "VITE_API_BASE_URL" in client
    assert (ROOT / "deploy" / "pages" / "_headers").read_text().startswith("#")


@pytest.mark.parametrize(
    ("origins", "needle"),
    [
        ("https://app.pages.dev/", "ends with '/'"),
        ("https://app.pages.dev/read", "has a path"),
        ("https://APP.pages.dev", "upper-case"),
        ("https://app.pages.dev:443", "default port"),
        ("http://app.pages.dev", "plain http"),
        ("*", "any website"),
        ("https://*.pages.dev", "wildcard inside the host"),
    ],
)
def test_origin_warnings_catch_the_classic_mismatches(origins: str, needle: str) -> None:
    settings = Settings(
        _env_file=None, allowed_origins=origins, environment="production", auth_mode="local", secret_key="s" * 40
    )
    warnings = origin_warnings(settings)
    assert len(warnings) == 1 and needle in warnings[0] and warnings[0].startswith("ALLOWED_ORIGINS: ")


def test_exact_origins_give_no_warning() -> None:
    settings = Settings(
        _env_file=None,
        allowed_origins="https://app.pages.dev,http://localhost:5173",
        cors_origins=["https://preview.app.pages.dev"],
        environment="production",
        auth_mode="local",
        secret_key="s" * 40,
    )
    assert origin_warnings(settings) == []
