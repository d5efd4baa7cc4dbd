"""deploy/pi/install.sh run for real, as root, into a staging layout under tmp_path.

The script is the one in deploy/pi, run from a copy of the checkout, so that the UI build step writes into the
copy and never into the shared checkout. Only the commands that would change the machine or need outside help
are stand-ins on PATH that record their calls: apt-get, dpkg, useradd, systemctl (none of them may run in a
staging install) and npm (its `run build` writes a marked index.html, so the copy into PREFIX/static is checked).
Everything else is real: python3 -m venv, pip installing the package, the rendered units and wrapper, and
`scriptorium bootstrap` through that wrapper.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from scriptorium.core.settings import Settings
from scriptorium.migrations import current_revisions, head_revisions
from scriptorium.ops.backup import database_fingerprint
from tests.ops.stack import base_env, series_count
from tests.ops.test_deploy_pi import one, parse_unit
from tests.services import require

ROOT = Path(__file__).resolve().parents[2]
UNITS = (
    "scriptorium-serve.service",
    "scriptorium-worker.service",
    "scriptorium-healthcheck.service",
    "scriptorium-healthcheck.timer",
    "scriptorium-backup.service",
    "scriptorium-backup.timer",
)
DEFAULT_PATHS = ("/opt/scriptorium", "/var/lib/scriptorium", "/etc/scriptorium", "/usr/local/bin")
# A stand-in that only records its arguments (and where it ran), then fails: none of these may run here.
REFUSE = '#!/bin/sh\necho "$PWD $*" >> "{calls}"\nexit 1\n'
# `npm ci` does nothing; `npm run build` writes a page that names its own process, so each build differs.
NPM = (
    '#!/bin/sh\necho "$PWD $*" >> "{calls}"\n'
    'if [ "$1" = run ]; then mkdir -p dist && echo "<title>build $$</title>" > dist/index.html; fi\n'
)


def require_root() -> None:
    require(os.geteuid() == 0, "root", "install.sh creates root-owned files: run the tests as root, as CI does")


@dataclass
class Staging:
    script: Path
    prefix: Path
    data: Path
    conf: Path
    units: Path
    bin: Path
    fakebin: Path
    env: dict[str, str]

    def calls(self, name: str) -> list[str]:
        """The recorded calls of a stand-in command, `<cwd> <args>` each; empty when it was never called."""
        path = self.fakebin / f"{name}.calls"
        return path.read_text().splitlines() if path.exists() else []

    def run(self, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(self.script), *args],
            env=self.env,
            cwd=self.data.parent,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def stage(tmp_path: Path, *, skip_apt: bool = True, user: str = "root") -> Staging:
    source = tmp_path / "checkout"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "src", source / "src", ignore=ignore)
    shutil.copytree(ROOT / "deploy" / "pi", source / "deploy" / "pi", ignore=ignore)
    for name in ("pyproject.toml", "README.md", "frontend/package.json"):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, source / name)
    fakebin = tmp_path / "fakebin"
    fakebin.mkdir()
    for name, body in {"apt-get": REFUSE, "dpkg": REFUSE, "useradd": REFUSE, "systemctl": REFUSE, "npm": NPM}.items():
        (fakebin / name).write_text(body.format(calls=fakebin / f"{name}.calls"))
        (fakebin / name).chmod(0o755)
    layout = {name: tmp_path / name for name in ("prefix", "data", "conf", "units", "bin")}
    env = {k: v for k, v in base_env().items() if not k.startswith("SCRIPTORIUM_")}
    # sudo's PATH has the sbin directories (runuser is there); a test runner's may not.
    env["PATH"] = os.pathsep.join([str(fakebin), env.get("PATH", ""), "/usr/sbin", "/sbin"])
    env.update(
        SCRIPTORIUM_PREFIX=str(layout["prefix"]),
        SCRIPTORIUM_DATA_DIR=str(layout["data"]),
        SCRIPTORIUM_CONF_DIR=str(layout["conf"]),
        SCRIPTORIUM_UNIT_DIR=str(layout["units"]),
        SCRIPTORIUM_BIN_DIR=str(layout["bin"]),
        SCRIPTORIUM_USER=user,
    )
    if skip_apt:
        env["SCRIPTORIUM_SKIP_APT"] = "1"
    return Staging(script=source / "deploy" / "pi" / "install.sh", fakebin=fakebin, env=env, **layout)


def output(done: subprocess.CompletedProcess[str]) -> str:
    return f"exit {done.returncode}\n--- stdout\n{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-4000:]}"


def assert_units_use_the_staging_layout(staging: Staging) -> None:
    for name in UNITS:
        body = (staging.units / name).read_text()
        assert not [path for path in DEFAULT_PATHS if path in body], (name, body)
    serve = parse_unit(staging.units / "scriptorium-serve.service")
    assert one(serve, "Service", "ExecStart") == f"{staging.prefix}/venv/bin/scriptorium serve --no-migrate"
    assert one(serve, "Service", "EnvironmentFile") == f"{staging.conf}/scriptorium.env"
    assert one(serve, "Service", "ReadWritePaths") == str(staging.data)
    assert one(serve, "Service", "WorkingDirectory") == str(staging.data)
    assert one(serve, "Service", "Environment") == f"DATA_DIR={staging.data}"
    assert one(serve, "Service", "User") == "root" and one(serve, "Service", "Group") == "root"
    probe = one(parse_unit(staging.units / "scriptorium-healthcheck.service"), "Service", "ExecStart")
    assert probe == f"{staging.prefix}/bin/scriptorium-healthcheck" and os.access(probe, os.X_OK)
    wrapper = (staging.bin / "scriptorium").read_text()
    assert f". {staging.conf}/scriptorium.env" in wrapper
    assert f"runuser -u root -- {staging.prefix}/venv/bin/scriptorium" in wrapper
    # systemd itself accepts the rendered units: every path they name exists and every directive is known.
    analyze = shutil.which("systemd-analyze")
    require(analyze is not None, "systemd-analyze", "apt-get install systemd")
    done = subprocess.run(
        [str(analyze), "verify", *(str(staging.units / name) for name in UNITS)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr


@pytest.mark.slow
@pytest.mark.timeout(360)
def test_install_twice_into_a_staging_layout(tmp_path: Path, make_settings: Callable[..., Settings]) -> None:
    require_root()
    staging = stage(tmp_path)

    first = staging.run("--no-start")
    assert first.returncode == 0, output(first)
    assert "not starting services" in first.stdout
    assert "seeded the sample into an empty database" in first.stderr, output(first)

    # The virtualenv holds a working `scriptorium`.
    help_text = subprocess.run(
        [str(staging.prefix / "venv" / "bin" / "scriptorium"), "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert help_text.returncode == 0 and "bootstrap" in help_text.stdout, help_text.stderr

    # The environment file: written once, a fresh random key, the staging paths, readable by root and the group.
    env_file = staging.conf / "scriptorium.env"
    env_bytes = env_file.read_bytes()
    info = env_file.stat()
    assert stat.S_IMODE(info.st_mode) == 0o640 and (info.st_uid, info.st_gid) == (0, 0)
    settings_text = env_bytes.decode()
    assert re.search(r"^SECRET_KEY=[A-Za-z0-9_-]{64}$", settings_text, re.MULTILINE), settings_text
    assert "__GENERATED__" not in settings_text
    assert f"\nDATA_DIR={staging.data}\n" in settings_text
    assert f"\nSTATIC_DIR={staging.prefix}/static\n" in settings_text
    assert stat.S_IMODE(staging.data.stat().st_mode) == 0o750
    assert stat.S_IMODE(staging.conf.stat().st_mode) == 0o750

    assert_units_use_the_staging_layout(staging)

    # The web UI: built in the checkout, copied into PREFIX/static.
    frontend = staging.script.parents[2] / "frontend"
    assert staging.calls("npm") == [
        f"{frontend} ci --no-audit --no-fund --loglevel=error",
        f"{frontend} run --silent build",
    ]
    first_ui = (staging.prefix / "static" / "index.html").read_text()
    assert first_ui == (frontend / "dist" / "index.html").read_text()

    # The database under DATA_DIR is at the newest schema and holds the sample once.
    settings = make_settings(data_dir=staging.data)
    assert current_revisions(settings) == head_revisions(settings)
    assert series_count(settings) == 1
    after_first = database_fingerprint(settings)
    assert after_first["companion_pages"]["rows"] > 0

    second = staging.run("--no-start")
    assert second.returncode == 0, output(second)
    assert "keeping the existing environment file" in second.stdout
    assert "not seeding" in second.stderr and "seeded the sample" not in second.stderr, output(second)
    assert env_file.read_bytes() == env_bytes
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o640
    assert database_fingerprint(settings) == after_first
    assert series_count(settings) == 1
    assert_units_use_the_staging_layout(staging)
    # A re-run rebuilds the UI and replaces the served copy.
    second_ui = (staging.prefix / "static" / "index.html").read_text()
    assert second_ui != first_ui and second_ui == (frontend / "dist" / "index.html").read_text()

    # A staging install never touches the machine's packages, users or services.
    assert staging.calls("apt-get") == staging.calls("dpkg") == []
    assert staging.calls("useradd") == [] and staging.calls("systemctl") == []


def test_default_install_still_installs_the_system_packages(tmp_path: Path) -> None:
    """Without SCRIPTORIUM_SKIP_APT the first step asks dpkg, then apt-get for what is missing (here: all)."""
    require_root()
    staging = stage(tmp_path, skip_apt=False)
    done = staging.run("--no-start", timeout=60)
    assert done.returncode != 0, output(done)  # the stand-in apt-get fails, which stops the script there
    assert [call.split(" ", 1)[1] for call in staging.calls("dpkg")] == ["-s python3", "-s python3-venv", "-s curl"]
    assert [call.split(" ", 1)[1] for call in staging.calls("apt-get")] == ["update -q"]
    assert not (staging.prefix / "venv").exists()


def test_a_missing_service_user_is_created_as_a_system_user(tmp_path: Path) -> None:
    require_root()
    user = f"scr-{uuid.uuid4().hex[:12]}"
    assert subprocess.run(["id", "-u", user], capture_output=True, check=False).returncode != 0
    staging = stage(tmp_path, user=user)
    done = staging.run("--no-start", timeout=60)
    assert done.returncode != 0, output(done)  # the stand-in useradd creates nobody, so the script stops there
    expected = f"--system --user-group --home-dir {staging.data} --shell /usr/sbin/nologin {user}"
    assert [call.split(" ", 1)[1] for call in staging.calls("useradd")] == [expected]
    assert not (staging.prefix / "venv").exists()
