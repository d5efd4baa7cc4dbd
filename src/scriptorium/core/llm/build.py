"""Build a pydantic-ai `Model` for a parsed spec: the only module of the LLM seam that imports the SDKs.

Every model gets its own `httpx2.AsyncClient` whose transport (pydantic-ai's `AsyncHTTPX2TenacityTransport`)
retries with the shared policy of `core.http_retry`: 408/425/429/5xx and transport errors, honouring
`Retry-After`. The SDKs' own retries are off (`max_retries=0`) so attempts are not multiplied. The
per-call timeout and the extra headers (Modal proxy auth, LLM_EXTRA_HEADERS) are set on the SDK client, so
they apply to every request, streamed or not.
"""

from __future__ import annotations

from typing import Any

import httpx2
from pydantic_ai.models import Model
from pydantic_ai.retries import AsyncHTTPX2TenacityTransport, RetryConfig
from tenacity import retry_if_exception, stop_after_attempt

from scriptorium.core.errors import ConfigurationError
from scriptorium.core.http_retry import is_transient, provider_policy, raise_for_retryable_status
from scriptorium.core.llm.spec import Endpoint, ModelSpec, request_headers, resolve_endpoint
from scriptorium.core.settings import Settings


def retrying_http_client(settings: Settings) -> httpx2.AsyncClient:
    """An HTTP client whose transport retries transient failures LLM_MAX_RETRIES times."""
    policy = provider_policy(settings)
    transport = AsyncHTTPX2TenacityTransport(
        RetryConfig(
            retry=retry_if_exception(is_transient),
            wait=policy.wait,
            stop=stop_after_attempt(policy.attempts),
            reraise=True,
        ),
        validate_response=raise_for_retryable_status,
    )
    return httpx2.AsyncClient(transport=transport, timeout=_timeout(settings))


def _timeout(settings: Settings) -> httpx2.Timeout:
    seconds = settings.llm_timeout_seconds
    return httpx2.Timeout(seconds, connect=min(10.0, seconds))


def _client_options(settings: Settings, endpoint: Endpoint, spec: ModelSpec) -> dict[str, Any]:
    """SDK client arguments: our retrying HTTP client, so the SDK's own retries are off."""
    return {
        "base_url": endpoint.base_url,
        "api_key": endpoint.api_key,
        "http_client": retrying_http_client(settings),
        "timeout": _timeout(settings),
        "max_retries": 0,
        "default_headers": request_headers(spec, settings),
    }


def build_openai_style(spec: ModelSpec, settings: Settings, endpoint: Endpoint) -> Model:
    from openai import AsyncOpenAI
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers import Provider
    from pydantic_ai.providers.fireworks import FireworksProvider
    from pydantic_ai.providers.ollama import OllamaProvider
    from pydantic_ai.providers.openai import OpenAIProvider
    from pydantic_ai.providers.openrouter import OpenRouterProvider

    client = AsyncOpenAI(**_client_options(settings, endpoint, spec))
    # The specific providers only add model profiles (which JSON-schema features each server accepts).
    provider: Provider[AsyncOpenAI]
    if spec.provider == "ollama":
        provider = OllamaProvider(openai_client=client)
    elif spec.provider == "fireworks":
        provider = FireworksProvider(openai_client=client)
    elif spec.provider == "openrouter":
        provider = OpenRouterProvider(openai_client=client)
    else:
        provider = OpenAIProvider(openai_client=client)
    return OpenAIChatModel(spec.model_name, provider=provider)


def build_anthropic(spec: ModelSpec, settings: Settings, endpoint: Endpoint) -> Model:
    try:
        from anthropic import AsyncAnthropic
        from pydantic_ai.models.anthropic import AnthropicModel
        from pydantic_ai.providers.anthropic import AnthropicProvider
    except ImportError as exc:
        raise ConfigurationError(
            f"Model {str(spec)!r} needs the Anthropic SDK: install `scriptorium[anthropic]`."
        ) from exc
    client = AsyncAnthropic(**_client_options(settings, endpoint, spec))
    return AnthropicModel(spec.model_name, provider=AnthropicProvider(anthropic_client=client))


def build(spec: ModelSpec, settings: Settings) -> Model:
    endpoint = resolve_endpoint(spec, settings)
    if spec.provider == "anthropic":
        return build_anthropic(spec, settings, endpoint)
    return build_openai_style(spec, settings, endpoint)
