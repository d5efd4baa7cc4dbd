"""Checks that run from this machine's configuration: database and schema, queue round trip, storage.

Each returns results for its own layer and never raises; a failure names the single next thing to fix.
"""

from __future__ import annotations

import asyncio
import time
import uuid

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import select, text

from scriptorium.core.db import transaction
from scriptorium.core.jobs import Job, cancel, submit
from scriptorium.core.settings import Settings, masked
from scriptorium.migrations import alembic_config, current_revisions, head_revisions
from scriptorium.ops.doctor.context import Context
from scriptorium.ops.doctor.report import CheckResult, failed, passed, reason, skipped
from scriptorium.ops.jobs import PING

POLL_SECONDS = 0.1


async def database(ctx: Context) -> CheckResult:
    """Reachable, then at the code's migration heads."""
    settings = ctx.settings
    try:
        async with ctx.resources.engine.connect() as connection:
            await asyncio.wait_for(connection.execute(text("SELECT 1")), ctx.timeout)
        current = await asyncio.to_thread(current_revisions, settings)
        heads = await asyncio.to_thread(head_revisions, settings)
    except Exception as exc:
        where = ctx.resources.engine.url.render_as_string(hide_password=True)
        return failed(
            "database",
            f"cannot reach the database at {where}: {reason(exc)}",
            "check DATABASE_URL (or DB_HOST/DB_PORT/DB_USER/DB_PASSWORD) and that the server is running",
        )
    engine = ctx.resources.engine.dialect.name
    if not current:
        return failed("database", f"{engine} is reachable but has no schema", "run `scriptorium migrate`")
    if _unknown_revisions(settings, current):
        return failed(
            "database",
            f"the database is at {sorted(current)}, newer than this code ({sorted(heads)})",
            "deploy the same version as the newest machine that migrated this database",
        )
    if current != heads:
        return failed(
            "database", f"schema at {sorted(current)}, code expects {sorted(heads)}", "run `scriptorium migrate`"
        )
    return passed("database", f"{engine} reachable; migrations at head ({', '.join(sorted(heads))})")


def _unknown_revisions(settings: Settings, revisions: set[str]) -> set[str]:
    """Revisions this code has never heard of: the database was migrated by a newer version."""
    scripts = ScriptDirectory.from_config(alembic_config(settings))
    unknown = set()
    for revision in revisions:
        try:
            scripts.get_revision(revision)
        except CommandError:
            unknown.add(revision)
    return unknown


async def jobs(ctx: Context) -> CheckResult:
    """Submit `core.ping` and wait for some consumer of this queue to complete it."""
    settings = ctx.settings
    backend = settings.effective_job_backend
    if backend == "memory":
        return failed(
            "jobs",
            "JOB_BACKEND=memory keeps the queue inside one process: no server or worker can see it",
            "unset JOB_BACKEND (lite uses sqlite, scale uses redis)",
        )
    try:
        await asyncio.wait_for(asyncio.to_thread(ctx.resources.queue.ping), ctx.timeout)
    except Exception as exc:
        where = "Redis at " + _redis_host(settings) if backend == "redis" else f"{settings.data_dir}/jobs.sqlite3"
        return failed("jobs", f"cannot reach the queue ({where}): {reason(exc)}", _queue_fix(backend))
    started = time.perf_counter()
    job_id = uuid.uuid4().hex
    async with transaction(ctx.resources.sessionmaker) as session:
        submit(session, kind=PING, payload={}, fair_key="doctor", max_attempts=1, job_id=job_id)
    await ctx.resources.queue.notify(1)
    deadline = started + ctx.timeout
    row = None
    while time.perf_counter() < deadline:
        async with ctx.resources.sessionmaker() as session:
            row = (await session.execute(select(Job.status, Job.result, Job.error).where(Job.id == job_id))).one()
        if row.status in ("done", "failed"):
            break
        await asyncio.sleep(POLL_SECONDS)
    elapsed = (time.perf_counter() - started) * 1000
    if row is not None and row.status == "done":
        who = row.result or {}
        return passed("jobs", f"{backend} queue round trip in {elapsed:.0f} ms (answered by {_who(who)})")
    async with transaction(ctx.resources.sessionmaker) as session:
        await cancel(session, job_id=job_id)
    if row is not None and row.status == "failed":
        return failed(
            "jobs",
            f"the ping job failed: {row.error}",
            "update the consumer: it runs code that does not know `core.ping`",
        )
    consumer = "worker" if not settings.consumer_in_process else "server (lite runs jobs inside `serve`)"
    return failed(
        "jobs",
        f"no worker is consuming queue {settings.queue_name!r} on {backend}: the ping waited {ctx.timeout:.0f} s",
        f"start the {consumer}: "
        + (
            "`sudo systemctl start scriptorium-worker` or `scriptorium worker`"
            if not settings.consumer_in_process
            else "`sudo systemctl start scriptorium-serve` or `scriptorium serve`"
        ),
    )


async def storage(ctx: Context) -> list[CheckResult]:
    """Write, read back and delete a probe object; fetch its public URL when the store has one."""
    store = ctx.resources.storage
    key = f"doctor/probe-{uuid.uuid4().hex}.txt"
    payload = f"scriptorium doctor {time.time()}".encode()
    try:
        await store.put(key, payload, content_type="text/plain")
        read = await store.get(key)
    except Exception as exc:
        return [failed("storage", f"{store.name} storage cannot write and read: {reason(exc)}", _storage_fix(ctx))]
    results: list[CheckResult] = []
    try:
        if read != payload:
            return [failed("storage", f"{store.name} storage returned different bytes", _storage_fix(ctx))]
        results.append(passed("storage", f"{store.name} storage write, read and delete work"))
        public = store.url_for(key)
        if public:
            results.append(await _public_url(ctx, public, payload))
        return results
    finally:
        try:
            await store.delete(key)
        except Exception as exc:
            results.append(failed("storage", f"cannot delete the probe object: {reason(exc)}", _storage_fix(ctx)))


async def _public_url(ctx: Context, url: str, payload: bytes) -> CheckResult:
    if url.startswith("/"):
        if not ctx.url:
            return skipped("storage", "objects are served by the app; pass --url to fetch one")
        url = ctx.endpoint(url)
    try:
        response = await ctx.http.get(url)
    except Exception as exc:
        return failed("storage", f"public URL {url} unreachable: {reason(exc)}", "check R2_PUBLIC_URL_PREFIX")
    if response.status_code != 200 or response.content != payload:
        return failed(
            "storage",
            f"public URL {url} answered {response.status_code}",
            "enable public access on the bucket or fix R2_PUBLIC_URL_PREFIX",
        )
    return passed("storage", "public object URL serves the stored bytes")


def _storage_fix(ctx: Context) -> str:
    if ctx.settings.storage_backend == "local":
        return f"make {ctx.settings.data_dir}/storage a writable directory for the service user"
    return "check S3_ENDPOINT_URL / R2_ACCOUNT_ID, the access keys and that R2_BUCKET exists"


def _queue_fix(backend: str) -> str:
    if backend == "redis":
        return "start Redis (`sudo systemctl start redis-server`) or fix REDIS_URL / REDIS_HOST"
    return "make DATA_DIR writable by the service user"


def _redis_host(settings: Settings) -> str:
    return str(masked(settings)["effective_redis_url"])


def _who(result: dict[str, object]) -> str:
    return f"{result.get('host', '?')} pid {result.get('pid', '?')}"
