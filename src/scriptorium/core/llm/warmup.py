"""Wake a model server in the background so the first real request does not pay its cold start.

Local and self-hosted servers (Ollama, a custom OpenAI-compatible URL, or `openai:` with OPENAI_BASE_URL, e.g.
a serverless GPU behind a Modal proxy) get a one-token chat request, which loads the weights. Hosted APIs get
a free models-list call, which only warms DNS, TLS and the connection. Warm-up is plain httpx (no SDK import),
bounded by LLM_TIMEOUT_SECONDS, never retried and never raises: callers fire it with `resources.spawn(...)`.
"""

from __future__ import annotations

import logging
import time

import httpx

from scriptorium.core.llm.spec import ModelSpec, is_self_hosted, parse_model_spec, request_headers, resolve_endpoint
from scriptorium.core.settings import Settings

logger = logging.getLogger(__name__)

#: The oldest stable Messages API version; the SDK sends its own, newer one on real requests.
ANTHROPIC_VERSION = "2023-06-01"


def warmup_request(spec: ModelSpec, settings: Settings) -> httpx.Request:
    """The one request that warms `spec`'s server (raises ConfigurationError when it cannot be built)."""
    endpoint = resolve_endpoint(spec, settings)
    headers = request_headers(spec, settings)
    if spec.provider == "anthropic":
        headers.setdefault("Authorization", f"Bearer {endpoint.api_key}")
        headers.update({"x-api-key": endpoint.api_key, "anthropic-version": ANTHROPIC_VERSION})
        return httpx.Request("GET", f"{endpoint.base_url}/v1/models", headers=headers)
    headers.setdefault("Authorization", f"Bearer {endpoint.api_key}")
    if is_self_hosted(spec, settings):
        body = {"model": spec.model_name, "messages": [{"role": "user", "content": "ping"}], "max_tokens": 1}
        return httpx.Request("POST", f"{endpoint.base_url}/chat/completions", json=body, headers=headers)
    return httpx.Request("GET", f"{endpoint.base_url}/models", headers=headers)


async def warmup(settings: Settings, spec: str | ModelSpec) -> None:
    """Send the warm-up request for `spec` and log how it went; offline specs and every failure are no-ops."""
    started = time.monotonic()
    try:
        parsed = parse_model_spec(spec)
        if parsed.provider == "offline":
            return
        request = warmup_request(parsed, settings)
        async with httpx.AsyncClient(timeout=settings.llm_timeout_seconds, follow_redirects=False) as client:
            response = await client.send(request)
        logger.info(
            "model warm-up answered",
            extra={"model": str(parsed), "status": response.status_code, "seconds": time.monotonic() - started},
        )
    except Exception as exc:  # warm-up is best effort: the real request reports real errors
        logger.warning("model warm-up failed", extra={"model": str(spec), "error": type(exc).__name__})
