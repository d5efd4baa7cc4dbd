"""The chat-model seam: turn a `provider:model` string into a pydantic-ai `Model`.

Contract:
- `parse_model_spec(spec) -> ModelSpec(provider, model_name, base_url)`; `is_offline(spec) -> bool`.
- `build_model(spec, settings) -> pydantic_ai.models.Model`, with retries (408/429/5xx/timeouts, exponential
  backoff, Retry-After), the per-call timeout and the extra headers built into its HTTP client. Raises
  ConfigurationError for `offline`, unknown providers and missing keys. Apps use pydantic-ai `Agent` directly.
- `model_errors(service)`: a context manager around agent calls that re-raises provider failures as
  `ModelError` (`transient=True` when retrying later may help); `as_model_error(exc, service=)` does one.
- `usage_record(usage, model_name) -> UsageRecord(input_tokens, output_tokens, requests, cost_usd, priced)`:
  estimated cost from a small price table; 0 for local and unknown models.
- `async warmup(settings, spec) -> None`: bounded, never raises; fire it with `resources.spawn(...)`.
- `stream.ChatStreamer(spec, settings).stream(system, turns, ...)`: plain-text streaming over httpx in the
  OpenAI and Anthropic dialects, without pydantic-ai or an SDK (the Companion's chat hot path).

Providers: `openai:`, `ollama:`, `fireworks:`, `openrouter:`, `anthropic:`, `openai-compatible:MODEL@URL`,
`offline`. See docs/providers.md. Importing this package loads no SDK (the lite server's idle RSS budget):
`build_model` imports pydantic-ai, openai and anthropic on first call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scriptorium.core.llm.errors import as_model_error, model_errors
from scriptorium.core.llm.spec import ModelSpec, is_offline, parse_model_spec
from scriptorium.core.llm.usage import UsageRecord, usage_record
from scriptorium.core.llm.warmup import warmup
from scriptorium.core.settings import Settings

if TYPE_CHECKING:
    from pydantic_ai.models import Model

__all__ = [
    "ModelSpec",
    "UsageRecord",
    "as_model_error",
    "build_model",
    "is_offline",
    "model_errors",
    "parse_model_spec",
    "usage_record",
    "warmup",
]


def build_model(spec: str | ModelSpec, settings: Settings) -> Model:
    """A pydantic-ai model for `spec` (e.g. `settings.model_for("compose")`), ready for `Agent(model, ...)`."""
    from scriptorium.core.llm.build import build

    return build(parse_model_spec(spec), settings)
