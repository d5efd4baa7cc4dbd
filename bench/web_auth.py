"""What safe fetch, extraction and auth cost per call: prints a table (and writes docs/bench/web-auth.md with --write).

Run: .venv/bin/python bench/web_auth.py [--runs 200] [--write]
Fetches go to a loopback twin serving tests/fixtures/web, so the numbers are the guard's own overhead plus
loopback HTTP, never the internet.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.twins.server import serve_in_thread  # noqa: E402
from tests.twins.web import FIXTURES, WebTwin  # noqa: E402

from scriptorium.core.auth.passwords import hash_password, verify_password  # noqa: E402
from scriptorium.core.auth.supabase import verify_supabase_token  # noqa: E402
from scriptorium.core.resources import build_http_client  # noqa: E402
from scriptorium.core.settings import Settings  # noqa: E402
from scriptorium.core.web import extract_main_text, fetch  # noqa: E402

Row = tuple[str, float, float]


def timed(label: str, runs: int, call: Callable[[], object]) -> Row:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return label, statistics.median(samples), statistics.quantiles(samples, n=20)[-1]


async def atimed(label: str, runs: int, call: Callable[[], Awaitable[object]]) -> Row:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    return label, statistics.median(samples), statistics.quantiles(samples, n=20)[-1]


async def fetch_rows(runs: int) -> list[Row]:
    settings = Settings(_env_file=None, fetch_allow_hosts="127.0.0.1")
    with serve_in_thread(WebTwin()) as base:
        url = f"{base}/pages/article.html"
        async with build_http_client(settings) as http, httpx.AsyncClient() as plain:
            await fetch(http, url, settings=settings)
            return [
                await atimed("plain httpx GET, loopback article", runs, lambda: plain.get(url)),
                await atimed("safe fetch, loopback article", runs, lambda: fetch(http, url, settings=settings)),
            ]


def auth_rows(runs: int) -> list[Row]:
    secret = "x" * 40
    hs = Settings(_env_file=None, auth_mode="supabase", supabase_jwt_secret=secret, secret_key=secret)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())), "kid": "k", "alg": "RS256"}
    rs = Settings(_env_file=None, auth_mode="supabase", supabase_jwks=json.dumps({"keys": [jwk]}), secret_key=secret)
    claims = {"sub": "u", "aud": "authenticated", "exp": int(time.time()) + 3600}
    hs_token = jwt.encode(claims, secret, algorithm="HS256")
    rs_token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k"})
    stored = hash_password("correct horse battery")
    few = max(5, runs // 10)
    return [
        timed("argon2id hash (19 MiB, t=2)", few, lambda: hash_password("correct horse battery")),
        timed("argon2id verify", few, lambda: verify_password(stored, "correct horse battery")),
        timed("Supabase HS256 verify", runs, lambda: verify_supabase_token(hs, hs_token)),
        timed("Supabase RS256 (JWKS) verify", runs, lambda: verify_supabase_token(rs, rs_token)),
    ]


def extract_rows(runs: int) -> list[Row]:
    article = (FIXTURES / "article.html").read_text()
    big = "<html><body><main>" + "".join(f"<p>Finding {i} about <b>graphene</b>.</p>" for i in range(2500)) + "</main>"
    return [
        timed("extract_main_text, article fixture", runs, lambda: extract_main_text(article, "https://e.org/")),
        timed(
            "extract_main_text, 2,500 paragraphs", max(5, runs // 20), lambda: extract_main_text(big, "https://e.org/")
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200, help="calls per row (hashing and big pages use fewer)")
    parser.add_argument("--write", action="store_true", help="also write docs/bench/web-auth.md")
    args = parser.parse_args()
    rows = asyncio.run(fetch_rows(args.runs)) + extract_rows(args.runs) + auth_rows(args.runs)
    lines = ["| operation | p50 ms | p95 ms |", "|---|---:|---:|"]
    lines += [f"| {label} | {p50:.2f} | {p95:.2f} |" for label, p50, p95 in rows]
    table = "\n".join(lines)
    print(table)
    if args.write:
        load = os.getloadavg()[0]
        machine = f"Python {sys.version.split()[0]}, {sys.platform}, {os.cpu_count()} CPUs, load average {load:.1f}"
        text = (
            "# Safe fetch, extraction and auth benchmark\n\n"
            f"Per-call cost on this machine ({machine}; a shared box, so wall times include waiting for the CPU).\n\n"
            f"{table}\n\nCommand: `.venv/bin/python bench/web_auth.py --runs {args.runs} --write`\n"
        )
        (ROOT / "docs" / "bench" / "web-auth.md").write_text(text)


if __name__ == "__main__":
    main()
