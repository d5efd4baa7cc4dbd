"""`make test` runs with `--dist loadgroup`, and tests marked with one `xdist_group` must share a worker: the deploy
image tests share one build and one container per URL form (tests/deploy/test_image.py). Grouping can stop
without an error (pytest 9.2 with pytest-xdist 3.8: pytest-xdist#1386); then both workers build the image at
once and every module fixture is set up twice. This runs a small grouped suite the way `make test` does and
checks the group stayed on one worker.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

GROUPED = """
import pytest

pytestmark = pytest.mark.xdist_group("together")

@pytest.mark.parametrize("n", range(8))
def test_grouped(n):
    pass

@pytest.mark.parametrize("n", range(8))
def test_grouped_too(n):
    pass
"""
LOOSE = """
import pytest

@pytest.mark.parametrize("n", range(8))
def test_loose(n):
    pass
"""


@pytest.mark.slow
def test_a_group_runs_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "test_grouped.py").write_text(GROUPED)
    (tmp_path / "test_loose.py").write_text(LOOSE)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    # Only xdist is loaded (the other installed plugins would take seconds to start in both workers and have no
    # say in scheduling); pytest and pytest-xdist are the versions `make test` runs.
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "xdist.plugin", "-n", "2", "--dist", "loadgroup", "-v"],
        env=os.environ | {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    ran = re.findall(r"^\[(gw\d+)\] .*PASSED (\S+)", done.stdout, re.MULTILINE)
    grouped = {worker for worker, test in ran if "test_grouped.py" in test}
    assert len([test for _, test in ran if "test_grouped.py" in test]) == 16, done.stdout[-3000:]
    assert len(grouped) == 1, f"the group was split across {sorted(grouped)}: --dist loadgroup is not grouping"
