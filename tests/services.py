"""Real PostgreSQL, Redis and Chromium for integration tests.

In CI (`CI=true`) a missing service fails the test: the suite must never pass by not running. On a developer
machine without the service the test is skipped with a reason that says how to get it.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(available: bool, what: str, how: str) -> None:
    if available:
        return
    message = f"{what} is not available ({how})"
    if in_ci():
        pytest.fail(f"CI=true and {message}: integration tests must run in CI", pytrace=False)
    pytest.skip(message)


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_postgres() -> str:
    require(port_open("127.0.0.1", 5432), "PostgreSQL on 127.0.0.1:5432", "start it or run `.ci/run`")
    return POSTGRES_URL


def require_redis() -> str:
    require(port_open("127.0.0.1", 6379), "Redis on 127.0.0.1:6379", "start redis-server or run `.ci/run`")
    return REDIS_URL


def require_chromium() -> str:
    path = shutil.which(CHROMIUM) or CHROMIUM
    require(os.path.exists(path), f"Chromium at {CHROMIUM}", "apt-get install chromium")
    return path


@contextmanager
def fresh_postgres_schema() -> Iterator[str]:
    """A private PostgreSQL schema for one test, so parallel workers never collide; dropped afterwards."""
    import psycopg

    base = require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def fresh_redis_queue() -> Iterator[tuple[str, str]]:
    """Redis URL and a unique queue name; the queue's keys are deleted afterwards."""
    import redis

    url = require_redis()
    name = f"test-{uuid.uuid4().hex[:10]}"
    try:
        yield url, name
    finally:
        client = redis.Redis.from_url(url)
        for key in client.scan_iter(f"*{name}*"):
            client.delete(key)
        client.close()
