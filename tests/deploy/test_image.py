"""The Fly image, built and booted: what `fly deploy` ships, proven on this machine instead of only parsed.

One module-scoped build (deploy/image/build.sh, as `make image`), then one container per Neon-style URL form
(direct and pooled) against a fresh database on the real PostgreSQL, with fly.toml's [env] and only the providers
swapped for offline ones. The tests share the build, so they run in one xdist group. Docker missing fails the
test in CI (`CI=true`); elsewhere it skips with the reason.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from httpx_sse import EventSource

from tests.deploy.database import count_rows, fresh_database
from tests.deploy.docker import (
    Container,
    bridge_gateway,
    build_image,
    docker,
    docker_problem,
    fly_env,
    fly_kill_timeout,
    image_config,
    image_size,
    running,
    wait_healthy,
)
from tests.deploy.relay import Relay
from tests.services import require, require_postgres

pytestmark = [pytest.mark.xdist_group("deploy-image"), pytest.mark.timeout(1800), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
TAG = "scriptorium:test-image"
BUILD_TIMEOUT = 1500  # a fresh machine: debootstrap, the wheelhouse, then the image
SIZE_BUDGET_MB = 650  # docs/deploy/cloud.md, "The image, built and booted here" (574 MB measured)
BOOT_TIMEOUT = 300  # the first boot migrates and seeds (embeds the sample) on a loaded 2-core machine
SEED_LINE = "seeded the sample into an empty database"
NOT_SEEDED_LINE = "): not seeding"
RESTARTS = 3
# Neon's two host forms; inside the container both resolve to the bridge gateway, where the relay listens.
NEON_DIRECT = "ep-quiet-lake-123456.us-east-2.aws.neon.tech"
NEON_POOLED = "ep-quiet-lake-123456-pooler.us-east-2.aws.neon.tech"
HOSTS = {NEON_DIRECT: "host-gateway", NEON_POOLED: "host-gateway"}
# The loopback PostgreSQL trusts every client, so any password works; this one must never reach a log.
PASSWORD = "pw-never-logged-7f3a"
URL_FORMS = {
    "direct": f"postgresql://postgres:{PASSWORD}@{NEON_DIRECT}:{{port}}/{{db}}?sslmode=disable",
    "pooled": f"postgres://postgres:{PASSWORD}@{NEON_POOLED}:{{port}}/{{db}}?sslmode=prefer",
}
SECRET_NAMES = ("SECRET", "PASSWORD", "TOKEN", "API_KEY", "DATABASE_URL", "ACCESS_KEY")


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    """The image, under a tag of this run's own (two runs on one machine never boot each other's build)."""
    problem = docker_problem()
    require(problem is None, "Docker", problem or "")
    tag = f"{TAG}-{uuid.uuid4().hex[:8]}"
    build_image(tag, timeout=BUILD_TIMEOUT)
    yield tag
    docker("rmi", "--force", tag, check=False)


@pytest.fixture(scope="module")
def relay(image: str) -> Iterator[Relay]:
    require_postgres()
    with Relay(bridge_gateway(), ("127.0.0.1", 5432)) as forwarder:
        yield forwarder


@dataclass
class Booted:
    container: Container
    database: str
    form: str


@pytest.fixture(scope="module", params=sorted(URL_FORMS))
def booted(request: pytest.FixtureRequest, image: str, relay: Relay) -> Iterator[Booted]:
    with fresh_database() as database:
        url = URL_FORMS[request.param].format(port=relay.port, db=database)
        with running(image, fly_env(url), HOSTS) as container:
            wait_healthy(container, BOOT_TIMEOUT)
            yield Booted(container, database, request.param)


# --- the image itself --------------------------------------------------------------------------------------


def test_image_fits_its_size_budget(image: str) -> None:
    size_mb = image_size(image) / 1e6
    assert size_mb <= SIZE_BUDGET_MB, f"the image is {size_mb:.0f} MB; the budget is {SIZE_BUDGET_MB} MB"


def test_image_keeps_the_fly_user_entrypoint_and_port(image: str) -> None:
    config = image_config(image)
    assert config["User"] == "scriptorium"
    assert config["Entrypoint"] == ["/app/entrypoint.sh"]
    assert "8000/tcp" in config["ExposedPorts"]
    env = dict(item.split("=", 1) for item in config["Env"])
    assert env["PORT"] == "8000" and env["HOST"] == "0.0.0.0" and env["STATIC_DIR"] == "/app/static"
    leaked = [name for name in env if any(word in name for word in SECRET_NAMES)]
    assert leaked == [], f"the image's environment carries secret-like settings: {leaked}"
    history = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", image).stdout
    assert not any(f"{word}=" in history for word in SECRET_NAMES), "a build step carries a secret-like value"


def _export(image: str, into: Path) -> Path:
    """The image's whole filesystem as a tar file (`docker export` of a created, never started, container)."""
    name = f"scriptorium-files-{uuid.uuid4().hex[:8]}"
    docker("create", "--name", name, image)
    try:
        docker("export", "--output", str(into), name, timeout=600)
    finally:
        docker("rm", "--force", name, check=False)
    return into


SECRET_FILES = (".env", "id_rsa", "id_ed25519", "id_ecdsa", ".netrc", ".pypirc", ".git-credentials", ".npmrc")
# Where the application lives in the image: the installed package, the UI, the entrypoint, the data folder.
APP_PREFIXES = ("app/", "data/", "usr/local/lib/python3.11/dist-packages/scriptorium/")


def test_image_holds_no_secret_and_no_test_fixture(image: str, tmp_path: Path) -> None:
    fixtures = {
        hashlib.sha256(path.read_bytes()).hexdigest(): path
        for path in (ROOT / "tests" / "fixtures").rglob("*")
        if path.is_file() and path.stat().st_size > 64  # not empty __init__.py files and the like
    }
    problems: list[str] = []
    with tarfile.open(_export(image, tmp_path / "image.tar")) as archive:
        for member in archive:
            path = member.name.removeprefix("./")
            name = path.rsplit("/", 1)[-1]
            if name in SECRET_FILES or name.startswith(".env."):
                problems.append(f"secret-like file {path}")
            if any(part in {".git", "node_modules", "wheelhouse"} for part in path.split("/")):
                problems.append(f"build leftover {path}")
            if name.endswith(".whl"):
                problems.append(f"a wheel left in the image: {path}")
            if not path.startswith(APP_PREFIXES):
                continue
            if "/tests/" in f"/{path}" or name == "conftest.py":
                problems.append(f"test code {path}")
            handle = archive.extractfile(member) if member.isfile() else None
            content = handle.read() if handle is not None else b""
            if b"PRIVATE KEY-----" in content:
                problems.append(f"a private key in {path}")
            if hashlib.sha256(content).hexdigest() in fixtures:
                problems.append(f"{path} is the test fixture {fixtures[hashlib.sha256(content).hexdigest()]}")
    assert problems == []


# --- the image booted ----------------------------------------------------------------------------------------


def test_health_answers_200_and_the_server_is_not_root(booted: Booted) -> None:
    response = httpx.get(f"{booted.container.url}/health", timeout=10)
    assert response.status_code == 200 and response.json()["status"] == "ok", response.text
    # PID 1 is the server itself (the entrypoint execs it), so signals from Fly reach it directly.
    command = booted.container.exec("cat", "/proc/1/cmdline").split("\0")
    assert "serve" in command and any(part.endswith("scriptorium") for part in command), command
    status = booted.container.exec("cat", "/proc/1/status")
    uids = next(line.split()[1:] for line in status.splitlines() if line.startswith("Uid:"))
    assert uids and all(uid != "0" for uid in uids), uids
    assert booted.container.exec("id", "-un").strip() == "scriptorium"


POOLER_PROBE = (
    "from scriptorium.core.db import is_pooler, normalize_url; from scriptorium.core.settings import Settings; "
    "s = Settings(); print(is_pooler(normalize_url(s.effective_database_url), s))"
)


def test_the_app_in_the_image_reads_the_url_form(booted: Booted) -> None:
    """Neon's `-pooler` host switches pooler mode on (no prepared statements); the direct host does not."""
    pooled = booted.container.exec("python", "-c", POOLER_PROBE).strip()
    assert pooled == str(booted.form == "pooled")


def test_restarts_migrate_and_seed_exactly_once(booted: Booted) -> None:
    container = booted.container
    series = count_rows(booted.database, "companion_series")
    episodes = count_rows(booted.database, "companion_episodes")
    assert series >= 1 and episodes >= 1
    for _ in range(RESTARTS):
        restarted = time.monotonic()
        container.restart(grace=fly_kill_timeout())
        wait_healthy(container, BOOT_TIMEOUT, since=restarted)
    logs = container.logs()
    assert logs.count(SEED_LINE) == 1, logs[-3000:]
    assert logs.count(NOT_SEEDED_LINE) == RESTARTS, logs[-3000:]
    assert (count_rows(booted.database, "companion_series"), count_rows(booted.database, "companion_episodes")) == (
        series,
        episodes,
    )
    assert count_rows(booted.database, "alembic_version") >= 1
    assert PASSWORD not in logs


def test_ui_and_a_companion_chat_work_through_the_container(booted: Booted) -> None:
    base = booted.container.url
    with httpx.Client(base_url=base, timeout=60) as http:
        page = http.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        scripts = [part.split('"', 1)[0] for part in page.text.split('src="')[1:]]
        assert scripts, page.text[:500]
        for script in scripts:
            asset = http.get(script)
            assert asset.status_code == 200 and "javascript" in asset.headers["content-type"], script
        # A client-side route is the UI too, not a 404.
        assert http.get("/read/anything").text == page.text

        account = http.post(
            "/api/auth/register", json={"email": "reader@example.org", "password": "a long enough password"}
        )
        assert account.status_code == 201, account.text
        headers = {"Authorization": f"Bearer {account.json()['access_token']}"}
        episodes = http.get("/api/episodes", headers=headers)
        assert episodes.status_code == 200, episodes.text
        body = episodes.json()
        items = body.get("episodes", body.get("items", [])) if isinstance(body, dict) else body
        session = http.post("/api/sessions", json={"episode_slug": items[0]["slug"]}, headers=headers)
        assert session.status_code in (200, 201), session.text
        session_id = session.json().get("session_id") or session.json()["id"]
        events = _stream_events(
            http, f"/api/sessions/{session_id}/messages", {"mode": "page", "message": "Who is on this page?"}, headers
        )
    kinds = [kind for kind, _ in events]
    assert kinds and kinds[-1] == "done", events[-3:]
    assert "token" in kinds
    answer = "".join(str(data.get("text", data.get("token", ""))) for kind, data in events if kind == "token")
    assert answer.strip(), events


def _stream_events(
    http: httpx.Client, path: str, body: dict[str, str], headers: dict[str, str]
) -> list[tuple[str, dict[str, object]]]:
    events: list[tuple[str, dict[str, object]]] = []
    with http.stream("POST", path, json=body, headers={"Accept": "text/event-stream", **headers}) as response:
        assert response.status_code == 200, response.read()
        for event in EventSource(response).iter_sse():
            if not event.data:
                continue
            parsed = json.loads(event.data)
            events.append((event.event, parsed if isinstance(parsed, dict) else {"value": parsed}))
            if event.event in ("done", "error"):
                break
    return events


def test_sigterm_stops_it_within_fly_kill_timeout(booted: Booted) -> None:
    """Fly sends kill_signal, waits kill_timeout, then kills: the server must be gone, cleanly, before that."""
    container = booted.container
    limit = fly_kill_timeout()
    sent = time.monotonic()
    docker("kill", "--signal", "SIGTERM", container.name)
    docker("wait", container.name, timeout=limit + 60)
    seconds = time.monotonic() - sent
    state = container.state()
    assert state["ExitCode"] == 0 and not state["OOMKilled"], container.logs()[-2000:]
    assert seconds < limit, f"stopped after {seconds:.1f} s; Fly kills at {limit:.0f} s"


def test_sslmode_require_reaches_the_driver(image: str, relay: Relay) -> None:
    """`sslmode=require` is passed to libpq as given: this PostgreSQL has no TLS, so the boot fails, in words."""
    with fresh_database() as database:
        url = f"postgresql://postgres:{PASSWORD}@{NEON_DIRECT}:{relay.port}/{database}?sslmode=require"
        with running(image, fly_env(url), HOSTS) as container:
            docker("wait", container.name, timeout=BOOT_TIMEOUT)
            state, logs = container.state(), container.logs()
    assert state["ExitCode"] != 0, logs
    assert "bootstrap failed" in logs and "SSL" in logs, logs[-2000:]
    assert PASSWORD not in logs and "Traceback" not in logs
