"""Run the frontend's own unit tests (API client and SSE parser, Vitest in Node) as part of the Python suite.

They talk to a real loopback HTTP server inside Node; running them here means `make test` and CI cannot skip them.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.services import require

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"

pytestmark = pytest.mark.slow


def test_frontend_unit_tests_pass() -> None:
    npm = shutil.which("npm")
    require(npm is not None, "npm (Node.js 20+)", "install Node.js, then `make frontend`")
    vitest = FRONTEND / "node_modules" / ".bin" / "vitest"
    if not vitest.exists():
        pytest.fail("frontend/node_modules is missing: run `make frontend` (npm ci) first", pytrace=False)
    result = subprocess.run(
        [str(vitest), "run", "--reporter=dot", "--color=false"],
        cwd=FRONTEND,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    output = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, f"vitest failed:\n{output}"
    assert " passed" in output, f"vitest ran no test:\n{output}"
