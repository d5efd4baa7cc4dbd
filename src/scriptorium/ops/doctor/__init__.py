"""`scriptorium doctor`: the deployment verification walkthrough, automated and ordered layer by layer.

Layers, in the order a failure should be fixed: config, database (reachable, migrations at head), jobs (a
`core.ping` round trip through the real queue), storage (write/read, public URL), chat (server reachable, model
present), embeddings (dimension and model match the stored vectors), mail (each connected mailbox logs in to IMAP
and SMTP), then against `--url`: api (health), cors
(preflight per allowed origin), companion (one streamed answer) and scribe (one dry-run generation).
A layer whose prerequisite failed is skipped, so the first FAIL is the thing to fix.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable

import httpx

from scriptorium.core.db import normalize_url
from scriptorium.core.errors import ConfigurationError
from scriptorium.core.resources import build_resources
from scriptorium.core.settings import Settings, load_settings
from scriptorium.ops.doctor import local, mail, providers, remote
from scriptorium.ops.doctor.context import Context
from scriptorium.ops.doctor.report import CheckResult, failed, passed, reason, skipped, warned
from scriptorium.ops.origins import origin_warnings

ENV_FIX = "fix that variable in the service's environment (/etc/scriptorium/scriptorium.env, fly secrets, or .env)"
REMOTE_LAYERS = ("api", "cors", "companion", "scribe")


async def run_doctor(
    settings: Settings | None = None, *, url: str | None = None, token: str | None = None, check_seconds: float = 30.0
) -> list[CheckResult]:
    """Run every layer and return its results; `settings` None reads the environment like the server does."""
    if settings is None:
        try:
            settings = load_settings()
        except ConfigurationError as exc:
            return [failed("config", exc.public_message, ENV_FIX), *_skip_all("needs a valid configuration")]
    results = [passed("config", _summary(settings)), *config_warnings(settings)]
    try:
        resources = build_resources(settings)
    except Exception as exc:
        return [*results, failed("config", getattr(exc, "public_message", reason(exc)), ENV_FIX)]
    try:
        async with httpx.AsyncClient(timeout=check_seconds, follow_redirects=False) as http:
            ctx = Context(settings, resources, http, check_seconds, url.rstrip("/") if url else None, token)
            results += await _layers(ctx)
    finally:
        await resources.aclose()
    return results


async def _layers(ctx: Context) -> list[CheckResult]:
    results: list[CheckResult] = []
    database = await _timed("database", local.database(ctx), ctx.timeout)
    results += database
    db_ok = database[0].status == "pass"
    results += await _timed("jobs", local.jobs(ctx), ctx.timeout) if db_ok else [skipped("jobs", "needs the database")]
    results += await _timed("storage", local.storage(ctx), ctx.timeout)
    results += await _timed("chat", providers.chat(ctx), ctx.timeout)
    if db_ok:
        results += await _timed("embeddings", providers.embeddings(ctx), ctx.timeout)
        results += await _timed("mail", mail.mail(ctx), ctx.timeout)
    else:
        results.append(skipped("embeddings", "needs the database"))
        results.append(skipped("mail", "needs the database"))
    if not ctx.url:
        return results + [skipped(layer, "pass --url BASE to check the running server") for layer in REMOTE_LAYERS]
    health = await _timed("api", remote.api(ctx), ctx.timeout)
    results += health
    if health[0].status != "pass":
        return results + [skipped(layer, "needs a healthy server at --url") for layer in REMOTE_LAYERS[1:]]
    results += await _timed("cors", remote.cors(ctx), ctx.timeout)
    results += await _timed("companion", remote.companion(ctx), ctx.timeout)
    results += await _timed("scribe", remote.scribe(ctx), ctx.timeout)
    return results


async def _timed(layer: str, check: Awaitable[CheckResult | list[CheckResult]], budget: float) -> list[CheckResult]:
    """Run one check with a hard time limit (its own limits plus slack) and record how long it took."""
    started = time.perf_counter()
    limit = budget * 2 + 5
    try:
        outcome = await asyncio.wait_for(check, limit)
    except TimeoutError:
        outcome = failed(layer, f"the check did not finish within {limit:.0f} s", "see the logs")
    except Exception as exc:
        outcome = failed(layer, f"the check crashed: {reason(exc)}", "report this with the output of --json")
    elapsed = (time.perf_counter() - started) * 1000
    items = outcome if isinstance(outcome, list) else [outcome]
    return [dataclasses.replace(item, ms=round(elapsed, 1)) for item in items]


def config_warnings(settings: Settings) -> list[CheckResult]:
    """Settings that load but will bite: CORS spellings, pooler URLs, relative image URLs for a remote UI."""
    results = [warned("config", message) for message in origin_warnings(settings)]
    url = normalize_url(settings.effective_database_url)
    if url.host and "-pooler." in url.host and settings.db_pooler_mode is None:
        results.append(
            warned(
                "config",
                "DATABASE_URL is Neon's pooled endpoint (transaction pooling)",
                "set DB_POOLER_MODE=true, or use the direct endpoint (the host without -pooler)",
            )
        )
    if settings.profile == "scale" and url.get_backend_name() == "sqlite":
        results.append(
            warned("config", "PROFILE=scale on SQLite: workers on other machines cannot share it", "set DATABASE_URL")
        )
    if settings.origins and not settings.public_base_url:
        results.append(
            warned(
                "config",
                "a frontend on another origin gets relative image URLs",
                "set PUBLIC_BASE_URL to this API's public address",
            )
        )
    return results


def _summary(settings: Settings) -> str:
    engine = normalize_url(settings.effective_database_url).get_backend_name()
    runner = "in-process" if settings.consumer_in_process else "workers"
    return (
        f"profile {settings.profile} ({settings.environment}): {engine}, {settings.effective_job_backend} jobs "
        f"({runner}), {settings.storage_backend} storage, chat {settings.chat_provider}, "
        f"embeddings {settings.embedding_provider}"
    )


def _skip_all(why: str) -> list[CheckResult]:
    layers = ("database", "jobs", "storage", "chat", "embeddings", *REMOTE_LAYERS)
    return [skipped(layer, why) for layer in layers]


__all__ = ["CheckResult", "config_warnings", "run_doctor"]
