"""The Raspberry Pi / Linux host deployment files: systemd units, health check, tunnel config, install script."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from scriptorium.core.settings import Settings
from tests.ops.stack import fake_command
from tests.services import require
from tests.twins.server import free_port, serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
PI = ROOT / "deploy" / "pi"
VENV_BIN = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"
UNITS = sorted([*PI.glob("*.service"), *PI.glob("*.timer")])


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """systemd's INI dialect: repeated keys accumulate, `#` and `;` start comments."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def one(unit: dict[str, dict[str, list[str]]], section: str, key: str) -> str:
    values = unit[section][key]
    assert len(values) == 1, (section, key, values)
    return values[0]


def megabytes(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([KMG])", value).groups()  # type: ignore[union-attr]
    return int(number) * {"K": 1, "M": 1024, "G": 1024 * 1024}[unit] // 1024


def measured_peak(row: str) -> float:
    """The peak column of one row of the measured memory table (docs/bench/memory.md)."""
    for line in (ROOT / "docs" / "bench" / "memory.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if cells and cells[0] == row:
            return float(cells[2])
    raise AssertionError(f"no row {row!r} in docs/bench/memory.md")


def test_systemd_accepts_every_unit_and_drop_in(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    require(analyze is not None, "systemd-analyze", "apt-get install systemd")
    for unit in UNITS:
        text = unit.read_text().replace("/opt/scriptorium/venv/bin/", f"{VENV_BIN}/")
        text = text.replace("/opt/scriptorium/bin/scriptorium-healthcheck", str(PI / "scriptorium-healthcheck"))
        (tmp_path / unit.name).write_text(text)
    for service in ("scriptorium-serve", "scriptorium-worker"):
        dropins = tmp_path / f"{service}.service.d"
        dropins.mkdir()
        for conf in ("redis.conf", "browser.conf"):
            shutil.copy(PI / conf, dropins / conf)
    done = subprocess.run(
        [str(analyze), "verify", *sorted(str(p) for p in tmp_path.iterdir() if p.is_file())],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr


@pytest.mark.parametrize("name", ["scriptorium-serve.service", "scriptorium-worker.service"])
def test_services_run_unprivileged_hardened_and_restart_on_failure(name: str) -> None:
    unit = parse_unit(PI / name)
    service = unit["Service"]
    assert one(unit, "Service", "User") == "scriptorium" and one(unit, "Service", "Group") == "scriptorium"
    assert one(unit, "Service", "EnvironmentFile") == "/etc/scriptorium/scriptorium.env"
    assert one(unit, "Service", "Restart") == "on-failure"
    assert one(unit, "Service", "StandardOutput") == "journal" and one(unit, "Service", "StandardError") == "journal"
    assert one(unit, "Service", "NoNewPrivileges") == "yes"
    assert one(unit, "Service", "ProtectSystem") == "strict"
    assert one(unit, "Service", "ReadWritePaths") == "/var/lib/scriptorium"
    assert one(unit, "Service", "PrivateTmp") == "yes"
    assert service["CapabilityBoundingSet"] == [""]
    assert megabytes(one(unit, "Service", "MemoryHigh")) < megabytes(one(unit, "Service", "MemoryMax"))
    assert one(unit, "Install", "WantedBy") == "multi-user.target"


def test_memory_limits_leave_headroom_over_the_measured_peaks() -> None:
    serve, worker = parse_unit(PI / "scriptorium-serve.service"), parse_unit(PI / "scriptorium-worker.service")
    browser = parse_unit(PI / "browser.conf")
    lite_peak = max(measured_peak("lite serve, idle"), measured_peak("lite serve, after one Companion chat"))
    busy_worker = measured_peak("scale worker, busy")
    chromium = measured_peak("browser fallback (Chromium + Playwright)")
    # Lite runs jobs inside serve: its high mark must hold the server plus a busy worker's growth, twice over.
    growth = busy_worker - measured_peak("scale worker, idle")
    assert megabytes(one(serve, "Service", "MemoryHigh")) >= 1.5 * (lite_peak + growth)
    assert megabytes(one(worker, "Service", "MemoryHigh")) >= 1.5 * busy_worker
    assert megabytes(one(browser, "Service", "MemoryHigh")) >= lite_peak + growth + chromium
    assert megabytes(one(browser, "Service", "MemoryMax")) <= 1024 - 150, "must still fit a 1 GB Pi with its OS"


def test_scale_drop_in_orders_after_redis_without_requiring_it() -> None:
    unit = parse_unit(PI / "redis.conf")
    assert unit["Unit"]["Wants"] == ["redis-server.service"]
    assert "redis-server.service" in unit["Unit"]["After"][0].split()
    assert "Requires" not in unit["Unit"]


def test_health_timer_runs_the_probe_service() -> None:
    timer = parse_unit(PI / "scriptorium-healthcheck.timer")
    service = parse_unit(PI / "scriptorium-healthcheck.service")
    assert "OnUnitActiveSec" in timer["Timer"] and one(timer, "Install", "WantedBy") == "timers.target"
    assert one(service, "Service", "Type") == "oneshot"
    assert one(service, "Service", "ExecStart") == "/opt/scriptorium/bin/scriptorium-healthcheck"


@pytest.fixture
def fake_systemctl(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A `systemctl` earlier on PATH that records its arguments instead of touching the machine."""
    return fake_command(tmp_path, "systemctl")


def run_probe(env: dict[str, str], port: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PI / "scriptorium-healthcheck")],
        env={**env, "PORT": str(port)},
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize(("status", "restarts"), [(200, False), (503, False), (500, True)])
def test_health_probe_restarts_only_when_the_server_is_broken(
    fake_systemctl: tuple[dict[str, str], Path], status: int, restarts: bool
) -> None:
    env, calls = fake_systemctl
    app = Starlette(routes=[Route("/health", lambda _: JSONResponse({"status": "x"}, status_code=status))])
    with serve_in_thread(app) as url:
        done = run_probe(env, int(url.rsplit(":", 1)[1]))
    assert done.returncode == 0, done.stderr
    assert calls.exists() == restarts
    if restarts:
        assert calls.read_text().split() == ["try-restart", "scriptorium-serve.service"]


def test_health_probe_restarts_when_nothing_listens(fake_systemctl: tuple[dict[str, str], Path]) -> None:
    env, calls = fake_systemctl
    done = run_probe(env, free_port())
    assert done.returncode == 0 and "answered '000'" in done.stderr
    assert calls.read_text().split() == ["try-restart", "scriptorium-serve.service"]


def test_tunnel_sends_the_hostname_to_loopback_and_everything_else_to_404() -> None:
    config = yaml.safe_load((PI / "cloudflared.yml").read_text())
    rules = config["ingress"]
    assert rules[0]["service"] == "http://127.0.0.1:8000" and rules[0]["hostname"] == "<HOSTNAME>"
    assert rules[-1] == {"service": "http_status:404"}
    assert config["credentials-file"].endswith("<TUNNEL_ID>.json")


def test_environment_template_only_names_real_settings() -> None:
    names = re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (PI / "scriptorium.env.example").read_text(), re.MULTILINE)
    assert names
    unknown = sorted({name for name in names if name.lower() not in Settings.model_fields})
    assert unknown == []


@pytest.mark.parametrize("script", ["install.sh", "scriptorium-healthcheck", "scriptorium-cli"])
def test_shell_scripts_pass_shellcheck(script: str) -> None:
    shellcheck = shutil.which("shellcheck")
    require(shellcheck is not None, "shellcheck", "apt-get install -y shellcheck")
    done = subprocess.run([str(shellcheck), str(PI / script)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout


def test_install_script_is_strict_and_explains_itself() -> None:
    source = (PI / "install.sh").read_text()
    assert "set -euo pipefail" in source
    usage = subprocess.run([str(PI / "install.sh"), "--help"], capture_output=True, text=True, check=False)
    assert usage.returncode == 0 and "--profile lite" in usage.stdout and "--with-browser" in usage.stdout
    for variable in ("PREFIX", "DATA_DIR", "CONF_DIR", "UNIT_DIR", "BIN_DIR", "USER", "SKIP_APT"):
        assert f"SCRIPTORIUM_{variable}=" in usage.stdout
    assert "set -euo pipefail" not in usage.stdout, "the usage text stops at the end of the header"
    wrong = subprocess.run([str(PI / "install.sh"), "--profile", "huge"], capture_output=True, text=True, check=False)
    assert wrong.returncode == 1 and "--profile must be lite or scale" in wrong.stderr


def render(source: Path, **layout: str) -> str:
    """install.sh's own `render` function, run on one shipped file with the given layout (bash variables)."""
    function = re.search(r"^render\(\) \{.*?^\}$", (PI / "install.sh").read_text(), re.MULTILINE | re.DOTALL)
    assert function is not None
    done = subprocess.run(
        ["bash", "-c", f'{function.group(0)}\nrender "$0"', str(source)],
        env={"PATH": os.environ["PATH"], **layout},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


PRODUCTION = {
    "PREFIX": "/opt/scriptorium",
    "DATA_DIR": "/var/lib/scriptorium",
    "CONF_DIR": "/etc/scriptorium",
    "BIN_DIR": "/usr/local/bin",
    "SERVICE_USER": "scriptorium",
    "SERVICE_GROUP": "scriptorium",
}
RENDERED = [*UNITS, PI / "scriptorium-cli", PI / "scriptorium.env.example"]


@pytest.mark.parametrize("source", RENDERED, ids=lambda path: path.name)
def test_the_default_layout_installs_the_shipped_files_unchanged(source: Path) -> None:
    assert render(source, **PRODUCTION) == source.read_text()


def test_a_staging_layout_is_written_into_units_and_wrapper_once() -> None:
    # Each new path contains an old one: a rewrite that ran twice would nest them.
    staging = {
        "PREFIX": "/srv/etc/scriptorium/opt/scriptorium",
        "DATA_DIR": "/srv/opt/scriptorium/var/lib/scriptorium",
        "CONF_DIR": "/srv/var/lib/scriptorium/etc/scriptorium",
        "BIN_DIR": "/srv/usr/local/bin",
        "SERVICE_USER": "scr-staging",
        "SERVICE_GROUP": "staff",
    }
    serve = render(PI / "scriptorium-serve.service", **staging)
    assert f"ExecStart={staging['PREFIX']}/venv/bin/scriptorium serve --no-migrate\n" in serve
    assert f"EnvironmentFile={staging['CONF_DIR']}/scriptorium.env\n" in serve
    assert f"ReadWritePaths={staging['DATA_DIR']}\n" in serve
    assert "\nUser=scr-staging\n" in serve and "\nGroup=staff\n" in serve
    wrapper = render(PI / "scriptorium-cli", **staging)
    assert f"DATA_DIR={staging['DATA_DIR']}\n" in wrapper and f". {staging['CONF_DIR']}/scriptorium.env\n" in wrapper
    assert f"exec runuser -u scr-staging -- {staging['PREFIX']}/venv/bin/scriptorium" in wrapper
    # Only the lines naming the service user change: the unit's description still says Scriptorium.
    assert serve.count("scr-staging") == 1


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SCRIPTORIUM_PREFIX", "opt/scriptorium", "SCRIPTORIUM_PREFIX must be an absolute path"),
        ("SCRIPTORIUM_DATA_DIR", "/var/lib/my data", "SCRIPTORIUM_DATA_DIR must be an absolute path"),
        ("SCRIPTORIUM_CONF_DIR", "/etc/a|b", "SCRIPTORIUM_CONF_DIR must be an absolute path"),
        ("SCRIPTORIUM_USER", "Some User", "SCRIPTORIUM_USER must be a user name"),
        ("SCRIPTORIUM_SKIP_APT", "yes", "SCRIPTORIUM_SKIP_APT must be 0 or 1"),
    ],
)
def test_install_script_refuses_a_bad_override_before_doing_anything(variable: str, value: str, message: str) -> None:
    done = subprocess.run(
        [str(PI / "install.sh"), "--no-start"],
        env={**os.environ, variable: value},
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert done.returncode == 1 and message in done.stderr, done.stderr
    assert "==>" not in done.stdout
