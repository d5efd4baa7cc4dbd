"""Run the real `scriptorium` command with the ops commands attached (as `cli.py` does once it registers them).

Tests start `serve`, `worker`, `doctor`, `backup` and `bootstrap` through this file so the processes are the
real ones; importing `scriptorium.ops.cli` also registers the `core.ping` and `ops.sleep` job kinds.
"""

from __future__ import annotations

import sys

from scriptorium.cli import cli, main
from scriptorium.ops.cli import COMMANDS

if __name__ == "__main__":
    for command in COMMANDS:
        cli.add_command(command)
    sys.argv[0] = "scriptorium"
    main()
