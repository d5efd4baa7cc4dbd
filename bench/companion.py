"""Companion benchmarks in one command: retrieval (latency, Recall@5), then chat (first token, 200 streams, RSS).

    .venv/bin/python bench/companion.py [--python /tmp/lite/bin/python] [--write]

Runs `bench/companion_retrieval.py` and `bench/companion_chat.py` one after the other (each prints its tables;
`--write` saves them to docs/bench/companion-retrieval.md and docs/bench/companion-chat.md). `--python` is passed
to the chat benchmark: the interpreter of a clean `pip install .` venv, so `serve`'s memory is what users see.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", default=sys.executable, help="interpreter for `serve` in the chat benchmark")
    parser.add_argument("--write", action="store_true", help="save both tables under docs/bench/")
    args = parser.parse_args()
    write = ["--write"] if args.write else []
    subprocess.run([sys.executable, str(HERE / "companion_retrieval.py"), *write], check=True)
    subprocess.run([sys.executable, str(HERE / "companion_chat.py"), "--python", args.python, *write], check=True)


if __name__ == "__main__":
    main()
