"""Model strings (`provider:model`) and where each provider lives.

This module imports no SDK: parsing and endpoint resolution run in the lite server's idle process, where
`pydantic_ai` and `openai` would cost ~60 MB before anyone asks a question.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from scriptorium.core.errors import ConfigurationError
from scriptorium.core.settings import Settings

ProviderName = Literal["openai", "ollama", "fireworks", "openrouter", "anthropic", "openai-compatible", "offline"]
PROVIDERS: tuple[str, ...] = get_args(ProviderName)

OPENAI_URL = "https://api.openai.com/v1"
FIREWORKS_URL = "https://api.fireworks.ai/inference/v1"
OPENROUTER_URL = "https://openrouter.ai/api/v1"
ANTHROPIC_URL = "https://api.anthropic.com"

#: Providers that run on the operator's own hardware: no price, and warm-up sends a real (tiny) request.
LOCAL_PROVIDERS = frozenset({"ollama", "openai-compatible", "offline"})

_EXAMPLES = "`openai:gpt-4o-mini`, `ollama:llama3.2`, `openai-compatible:MODEL@http://host:8000/v1` or `offline`"


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model string. `base_url` is set when the string itself fixes it (custom URL, hosted APIs)."""

    provider: ProviderName
    model_name: str
    base_url: str | None = None

    def __str__(self) -> str:
        if self.provider == "offline":
            return "offline"
        if self.provider == "openai-compatible":
            return f"openai-compatible:{self.model_name}@{self.base_url}"
        return f"{self.provider}:{self.model_name}"


@dataclass(frozen=True)
class Endpoint:
    """Where to send a provider's requests: an OpenAI-style `/v1` base (or Anthropic's root) and the key."""

    base_url: str
    api_key: str


def parse_model_spec(spec: str | ModelSpec) -> ModelSpec:
    """Parse `provider:model`; raise ConfigurationError naming the string and the accepted forms."""
    if isinstance(spec, ModelSpec):
        return spec
    text = spec.strip()
    if text == "offline" or text.startswith("offline:"):
        return ModelSpec("offline", text.partition(":")[2] or "offline")
    provider, sep, model = text.partition(":")
    if not sep or not model.strip():
        raise ConfigurationError(f"Model {spec!r} is not `provider:model`; use one like {_EXAMPLES}.")
    if provider not in PROVIDERS:
        raise ConfigurationError(
            f"Model {spec!r} names the unknown provider {provider!r}; use one of {', '.join(PROVIDERS)}."
        )
    model = model.strip()
    if provider == "openai-compatible":
        name, at, url = model.rpartition("@")
        if not at or not name or not url.startswith(("http://", "https://")):
            raise ConfigurationError(f"Model {spec!r} needs a base URL: `openai-compatible:MODEL@http://host:port/v1`.")
        return ModelSpec("openai-compatible", name, url.rstrip("/"))
    fixed = {"fireworks": FIREWORKS_URL, "openrouter": OPENROUTER_URL}.get(provider)
    return ModelSpec(provider, model, fixed)  # type: ignore[arg-type]  # checked against PROVIDERS above


def is_offline(spec: str | ModelSpec) -> bool:
    """True when the spec asks for the built-in offline algorithms instead of a model server."""
    return parse_model_spec(spec).provider == "offline"


def _key(value: str, variable: str, spec: ModelSpec) -> str:
    if not value:
        raise ConfigurationError(f"{variable} is required for model {str(spec)!r}; set it or choose another model.")
    return value


def is_self_hosted(spec: ModelSpec, settings: Settings) -> bool:
    """Ollama, custom base URLs and `openai:` pointed at OPENAI_BASE_URL: servers the operator runs."""
    return spec.provider in LOCAL_PROVIDERS or (spec.provider == "openai" and bool(settings.openai_base_url))


def request_headers(spec: ModelSpec, settings: Settings) -> dict[str, str]:
    """LLM_EXTRA_HEADERS go to every server; the Modal proxy secret only to self-hosted ones, never a hosted API."""
    return dict(settings.model_headers) if is_self_hosted(spec, settings) else dict(settings.llm_extra_headers)


def resolve_endpoint(spec: ModelSpec, settings: Settings) -> Endpoint:
    """Base URL and API key for `spec`, from the spec itself or the provider's settings.

    Local servers (Ollama, custom URLs) get a placeholder key: the SDKs insist on one, and the real secret for
    `openai:` must never be sent to a host the operator did not configure for it.
    """
    provider = spec.provider
    if provider == "openai":
        if settings.openai_base_url:
            return Endpoint(settings.openai_base_url.rstrip("/"), settings.openai_api_key.get_secret_value() or "none")
        return Endpoint(OPENAI_URL, _key(settings.openai_api_key.get_secret_value(), "OPENAI_API_KEY", spec))
    if provider == "ollama":
        return Endpoint(settings.ollama_base_url.rstrip("/") + "/v1", "ollama")
    if provider == "fireworks":
        return Endpoint(FIREWORKS_URL, _key(settings.fireworks_api_key.get_secret_value(), "FIREWORKS_API_KEY", spec))
    if provider == "openrouter":
        key = _key(settings.openrouter_api_key.get_secret_value(), "OPENROUTER_API_KEY", spec)
        return Endpoint(OPENROUTER_URL, key)
    if provider == "anthropic":
        key = settings.anthropic_api_key.get_secret_value()
        if settings.anthropic_base_url:
            return Endpoint(settings.anthropic_base_url.rstrip("/"), key or "none")
        return Endpoint(ANTHROPIC_URL, _key(key, "ANTHROPIC_API_KEY", spec))
    if provider == "openai-compatible":
        assert spec.base_url is not None
        return Endpoint(spec.base_url, "none")
    raise ConfigurationError(
        f"Model {str(spec)!r} has no server: the offline provider answers in-process, not through a chat model."
    )
