"""Peak `serve` memory while clients send huge request bodies: prints a table.

Run: .venv/bin/python bench/body_flood.py [--clients 10] [--mb 200]

Starts the real `scriptorium serve` (lite, loopback only), measures its idle RSS, then has N clients at once POST
an M-MB body to the public `/api/auth/login`: half declare the length (refused before a byte is read), half send
it chunked without a length (refused as it passes the cap). The table shows the answers and the server's peak
RSS (VmHWM). Before the cap, one 200 MB body lifted serve from 118 to 539 MB. Traffic goes to 127.0.0.1 only and
every client stops after its one body.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import socket
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._proc import free_port, rss_mb, start_cli, stop, table, wait_healthy  # noqa: E402

CHUNK = b"a" * (1024 * 1024)


def send_body(port: int, megabytes: int, chunked: bool) -> str:
    """Send one huge body over a raw socket (no client library buffering it) and return the status line."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        head = "POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {megabytes * len(CHUNK)}\r\n\r\n"
        sock.sendall(head.encode())
        try:
            for _ in range(megabytes):
                if chunked:
                    sock.sendall(f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n")
                else:
                    sock.sendall(CHUNK)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed while we were still sending: that is the point
        try:
            reply = sock.recv(4096).decode("latin-1")
        except OSError:
            return "closed"
    return reply.split("\r\n", 1)[0].split(" ", 2)[1] if reply else "closed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--mb", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        port = free_port()
        env = {"DATA_DIR": data_dir, "PORT": str(port), "HOST": "127.0.0.1", "LOG_LEVEL": "WARNING"}
        start_cli(["migrate"], env).wait()
        server = start_cli(["serve", "--no-migrate"], env)
        try:
            wait_healthy(port, timeout=60)
            idle = rss_mb(server.pid)
            with concurrent.futures.ThreadPoolExecutor(args.clients) as pool:
                futures = [pool.submit(send_body, port, args.mb, i % 2 == 1) for i in range(args.clients)]
                answers = Counter(f.result() for f in futures)
            peak = rss_mb(server.pid, "VmHWM")
            after = rss_mb(server.pid)
        finally:
            stop(server)
    print(
        table(
            ["clients", "body", "answers", "idle RSS MB", "peak RSS MB", "RSS after MB"],
            [
                [
                    str(args.clients),
                    f"{args.mb} MB (half chunked)",
                    ", ".join(f"{status} ×{n}" for status, n in sorted(answers.items())),
                    f"{idle:.0f}",
                    f"{peak:.0f}",
                    f"{after:.0f}",
                ]
            ],
        )
    )


if __name__ == "__main__":
    main()
