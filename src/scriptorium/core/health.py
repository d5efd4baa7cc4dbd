"""`GET /health`: one check per component, each bounded in time, the whole answer within two seconds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text

from scriptorium.core.resources import Resources

CHECK_TIMEOUT = 1.5
Check = Callable[[Resources], Awaitable[dict[str, Any]]]


async def _database(resources: Resources) -> dict[str, Any]:
    async with resources.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return {"backend": resources.engine.dialect.name}


async def _jobs(resources: Resources) -> dict[str, Any]:
    await asyncio.to_thread(resources.queue.ping)
    return {
        "backend": resources.settings.effective_job_backend,
        "consumer_in_process": resources.settings.consumer_in_process,
    }


async def _storage(resources: Resources) -> dict[str, Any]:
    await resources.storage.exists("health/probe")
    return {"backend": resources.storage.name}


async def _providers(resources: Resources) -> dict[str, Any]:
    settings = resources.settings
    return {
        "chat": settings.chat_provider,
        "embeddings": settings.embedding_provider,
        "offline": settings.chat_provider == "offline",
    }


CHECKS: dict[str, Check] = {
    "database": _database,
    "jobs": _jobs,
    "storage": _storage,
    "providers": _providers,
}


async def _run(name: str, check: Check, resources: Resources) -> tuple[str, dict[str, Any]]:
    started = time.perf_counter()
    try:
        detail = await asyncio.wait_for(check(resources), timeout=CHECK_TIMEOUT)
        result = {"status": "ok", **detail}
    except TimeoutError:
        result = {"status": "error", "error": f"no answer within {CHECK_TIMEOUT} s"}
    except Exception as exc:
        result = {"status": "error", "error": type(exc).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return name, result


async def health_report(resources: Resources) -> dict[str, Any]:
    results = await asyncio.gather(*(_run(name, check, resources) for name, check in CHECKS.items()))
    components = dict(results)
    failing = [name for name, result in components.items() if result["status"] != "ok"]
    return {
        "status": "degraded" if failing else "ok",
        "profile": resources.settings.profile,
        "failing": failing,
        "components": components,
    }
