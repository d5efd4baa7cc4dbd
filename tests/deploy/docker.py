"""Docker for the image tests and `bench/image_build.py`: build the Fly image, run it, wait for it, read it.

Everything goes through the `docker` command line, as an operator would type it. The image is built by
`deploy/image/build.sh` (the same script as `make image`): the unchanged deploy/fly/Dockerfile on the local
debootstrap base with the host's wheelhouse and UI. A container runs on Docker's default bridge with its port
published on 127.0.0.1, as Fly's proxy reaches `internal_port`; database host names resolve to the bridge's
gateway, where `relay.Relay` forwards to the loopback PostgreSQL.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import tempfile
import time
import tomllib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
FLY_TOML = ROOT / "deploy" / "fly" / "fly.toml"
BUILD_SCRIPT = ROOT / "deploy" / "image" / "build.sh"
INTERNAL_PORT = 8000


def docker_problem() -> str | None:
    """Why Docker cannot be used here, or None when the engine answers."""
    if shutil.which("docker") is None:
        return "the docker command is not installed (apt-get install docker.io)"
    done = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True)
    if done.returncode != 0:
        return f"dockerd does not answer ({done.stderr.strip()[:200]}); start it or run `.ci/run`"
    return None


def docker(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done


def build_image(tag: str, timeout: float) -> tuple[float, str]:
    """Run deploy/image/build.sh; return its wall time and its output (the step timings)."""
    started = time.monotonic()
    done = subprocess.run(
        [str(BUILD_SCRIPT), tag], capture_output=True, text=True, timeout=timeout, cwd=ROOT, check=False
    )
    seconds = time.monotonic() - started
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise AssertionError(f"building the image failed ({done.returncode}):\n{output[-6000:]}")
    return seconds, output


def image_size(tag: str) -> int:
    return int(docker("image", "inspect", "--format", "{{.Size}}", tag).stdout)


def image_config(tag: str) -> dict[str, Any]:
    config: dict[str, Any] = json.loads(docker("image", "inspect", "--format", "{{json .Config}}", tag).stdout)
    return config


def bridge_gateway() -> str:
    """The host's address on Docker's default bridge: what `host-gateway` means inside a container."""
    return docker("network", "inspect", "bridge", "--format", "{{(index .IPAM.Config 0).Gateway}}").stdout.strip()


def fly_kill_timeout() -> float:
    """Seconds Fly waits after `kill_signal` before killing the machine (fly.toml; Fly's default is 5 s)."""
    value = str(tomllib.loads(FLY_TOML.read_text()).get("kill_timeout", "5s"))
    return float(value.removesuffix("s"))


def fly_env(database_url: str) -> dict[str, str]:
    """fly.toml's [env] with the providers this machine has: offline chat and embeddings, local storage.

    Everything else (profile scale, production, local accounts, in-process jobs, JSON logs) is Fly's own.
    """
    env = {key: str(value) for key, value in tomllib.loads(FLY_TOML.read_text())["env"].items()}
    env.pop("EMBEDDING_MODEL", None)
    env.update(
        CHAT_PROVIDER="offline",
        EMBEDDING_PROVIDER="offline",
        STORAGE_BACKEND="local",
        SECRET_KEY=secrets.token_urlsafe(48),
        DATABASE_URL=database_url,
    )
    return env


@dataclass
class Container:
    name: str
    port: int
    started: float  # time.monotonic() just before `docker run`

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def logs(self) -> str:
        done = docker("logs", self.name, check=False)
        return done.stdout + done.stderr

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = json.loads(docker("inspect", "--format", "{{json .State}}", self.name).stdout)
        return state

    def exec(self, *argv: str) -> str:
        return docker("exec", self.name, *argv).stdout

    def restart(self, grace: float) -> None:
        docker("restart", "--time", str(int(grace)), self.name, timeout=grace + 60)
        self.port = published_port(self.name)

    def remove(self) -> None:
        docker("rm", "--force", "--volumes", self.name, check=False)


@contextmanager
def running(
    image: str, env: dict[str, str], hosts: dict[str, str], prefix: str = "scriptorium-test"
) -> Iterator[Container]:
    """`docker run -d` the image with `env` (through an env file, so no value shows in `ps`); removed afterwards."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    with tempfile.NamedTemporaryFile("w", suffix=".env") as env_file:
        env_file.write("".join(f"{key}={value}\n" for key, value in env.items()))
        env_file.flush()
        add_hosts = [f"--add-host={host}:{address}" for host, address in hosts.items()]
        started = time.monotonic()
        docker(
            "run", "--detach", "--name", name, "--env-file", env_file.name, *add_hosts,
            "--publish", f"127.0.0.1::{INTERNAL_PORT}", image,
        )  # fmt: skip
    container = Container(name, published_port(name), started)
    try:
        yield container
    finally:
        container.remove()


def published_port(name: str) -> int:
    mapping = docker("port", name, f"{INTERNAL_PORT}/tcp").stdout.split()
    return int(mapping[0].rsplit(":", 1)[1])


def wait_healthy(container: Container, timeout: float, since: float | None = None) -> float:
    """Poll /health until 200; return seconds from `since` (default: the `docker run`). Fails if it exits."""
    start = container.started if since is None else since
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{container.url}/health", timeout=2).status_code == 200:
                return time.monotonic() - start
        except httpx.HTTPError:
            pass
        if not container.state().get("Running", False):
            raise AssertionError(f"the container stopped before /health answered:\n{container.logs()[-4000:]}")
        time.sleep(0.2)
    raise AssertionError(f"/health did not answer 200 within {timeout:.0f} s:\n{container.logs()[-4000:]}")
