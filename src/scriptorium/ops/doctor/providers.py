"""Checks of the model providers: the chat server has the configured model, and the embedder matches the vectors.

An embedding provider switch is the quiet failure this catches: vectors from two models are not comparable, so
retrieval would silently degrade. The stored vectors carry the model name and dimension they were made with;
any row that disagrees with the configured embedder means a re-index is due.
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from scriptorium.core.llm import parse_model_spec
from scriptorium.core.llm.spec import ModelSpec, request_headers, resolve_endpoint
from scriptorium.core.llm.warmup import ANTHROPIC_VERSION
from scriptorium.ops.doctor.context import Context
from scriptorium.ops.doctor.report import CheckResult, failed, passed, reason

REINDEX = "run `scriptorium companion reindex` (or switch EMBEDDING_PROVIDER/EMBEDDING_MODEL back)"


async def chat(ctx: Context) -> list[CheckResult]:
    """For each distinct model in use (chat, template parser, composer): server reachable and model listed."""
    specs = dict.fromkeys(ctx.settings.model_for(purpose) for purpose in ("chat", "template", "compose"))
    return [await _one_model(ctx, raw) for raw in specs]


async def _one_model(ctx: Context, raw: str) -> CheckResult:
    try:
        spec = parse_model_spec(raw)
        if spec.provider == "offline":
            return passed("chat", "offline: built-in algorithms answer, no model server to reach")
        endpoint = resolve_endpoint(spec, ctx.settings)
    except Exception as exc:
        return failed("chat", f"model {raw!r}: {getattr(exc, 'public_message', reason(exc))}", "fix CHAT_PROVIDER")
    request = _models_request(ctx, spec, endpoint.base_url, endpoint.api_key)
    try:
        response = await ctx.http.send(request)
    except Exception as exc:
        return failed(
            "chat",
            f"{spec.provider} at {endpoint.base_url} unreachable: {reason(exc)}",
            "start the model server or fix its base URL (OLLAMA_BASE_URL, OPENAI_BASE_URL, ...)",
        )
    if response.status_code in (401, 403):
        proxy = " and MODAL_PROXY_TOKEN_ID/SECRET" if ctx.settings.modal_proxy_token_id.get_secret_value() else ""
        return failed(
            "chat", f"{spec.provider} refused the credentials ({response.status_code})", f"check the API key{proxy}"
        )
    if response.status_code != 200:
        return failed(
            "chat",
            f"{request.url} answered {response.status_code}",
            "check the provider's base URL: it should serve an OpenAI-style /v1",
        )
    names = _model_ids(response)
    if not _listed(spec, names):
        sample = ", ".join(sorted(names)[:5]) or "none"
        fix = f"`ollama pull {spec.model_name}`" if spec.provider == "ollama" else "fix the model name"
        return failed("chat", f"model {spec.model_name!r} is not on {spec.provider} (has: {sample})", fix)
    return passed("chat", f"{spec} reachable and the model is present")


def _models_request(ctx: Context, spec: ModelSpec, base_url: str, api_key: str) -> httpx.Request:
    # The same rule as the model client: the Modal proxy secret only ever goes to a server the operator runs.
    headers = request_headers(spec, ctx.settings)
    if spec.provider == "anthropic":
        headers.update({"x-api-key": api_key, "anthropic-version": ANTHROPIC_VERSION})
        return httpx.Request("GET", f"{base_url}/v1/models", params={"limit": 1000}, headers=headers)
    headers.setdefault("Authorization", f"Bearer {api_key}")
    return httpx.Request("GET", f"{base_url}/models", headers=headers)


def _model_ids(response: httpx.Response) -> set[str]:
    try:
        data = response.json().get("data", [])
        return {str(item["id"]) for item in data if isinstance(item, dict) and "id" in item}
    except (ValueError, AttributeError):
        return set()


def _listed(spec: ModelSpec, names: set[str]) -> bool:
    name = spec.model_name
    if name in names:
        return True
    if spec.provider == "ollama":
        return f"{name}:latest" in names or name.removesuffix(":latest") in names
    if spec.provider == "anthropic":  # aliases such as claude-sonnet-4-5 resolve to dated ids
        return any(candidate.startswith(name) for candidate in names)
    return False


async def embeddings(ctx: Context) -> CheckResult:
    """Embed a probe, then compare its model and dimension with every stored vector's."""
    resources = ctx.resources
    try:
        embedder = resources.embedder()
        vectors = await embedder.embed(["scriptorium doctor probe"])
    except Exception as exc:
        return failed(
            "embeddings",
            f"{ctx.settings.embedding_provider} embeddings failed: {getattr(exc, 'public_message', reason(exc))}",
            "check EMBEDDING_PROVIDER, EMBEDDING_MODEL and EMBEDDING_BASE_URL (or the provider's key)",
        )
    if vectors.shape[-1] != embedder.dimension:
        return failed(
            "embeddings",
            f"{embedder.name} returned {vectors.shape[-1]} values, it declares {embedder.dimension}",
            "set EMBEDDING_MODEL to the model the server actually runs",
        )
    async with resources.engine.connect() as connection:
        stored = await connection.run_sync(_stored_vectors)
    stale = {key: n for key, n in stored.items() if key[1:] != (embedder.name, embedder.dimension)}
    if stale:
        (table, model, dim), count = next(iter(stale.items()))
        return failed(
            "embeddings",
            f"{count} vectors in {table} were made by {model!r} ({dim} dims) but the configured embedder "
            f"is {embedder.name!r} ({embedder.dimension} dims)",
            REINDEX,
        )
    total = sum(stored.values())
    return passed("embeddings", f"{embedder.name} ({embedder.dimension} dims) matches all {total} stored vectors")


def _stored_vectors(connection: Connection) -> dict[tuple[str, str, int], int]:
    """`{(table, model, dim): count}` over every table that stores vectors with their model."""
    inspector = inspect(connection)
    found: dict[tuple[str, str, int], int] = {}
    for table in inspector.get_table_names():
        columns = {column["name"] for column in inspector.get_columns(table)}
        if not {"embedding_model", "embedding_dim"} <= columns:
            continue
        rows: Any = connection.execute(
            text(
                f"SELECT embedding_model, embedding_dim, COUNT(*) FROM {table} "  # noqa: S608 - reflected name
                "WHERE embedding_dim > 0 GROUP BY embedding_model, embedding_dim"
            )
        )
        for model, dim, count in rows:
            found[(table, str(model), int(dim))] = int(count)
    return found
