"""Token usage and an *estimated* cost for one model call.

The prices are list prices in US dollars per million tokens, copied by hand for a few common models. They
are estimates for dashboards and quotas, never billing: providers change prices, discount cached input and
bill reasoning tokens differently. Local servers and unknown models cost 0 and say so with `priced=False`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from scriptorium.core.llm.spec import LOCAL_PROVIDERS, PROVIDERS

PRICES_AS_OF = "2025-11"

#: (input, output) USD per 1M tokens. Matched by the longest prefix of the bare model name, so dated
#: snapshots (`gpt-4o-mini-2024-07-18`, `claude-3-5-haiku-20241022`) find their family.
PRICES_PER_MILLION: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "o4-mini": (1.10, 4.40),
    "o3-mini": (1.10, 4.40),
    "claude-3-5-haiku": (0.80, 4.00),
    "claude-3-haiku": (0.25, 1.25),
    "claude-haiku-4-5": (1.00, 5.00),
    "claude-3-5-sonnet": (3.00, 15.00),
    "claude-3-7-sonnet": (3.00, 15.00),
    "claude-sonnet-4": (3.00, 15.00),
    "claude-opus-4": (15.00, 75.00),
    "claude-opus-4-5": (5.00, 25.00),
    "accounts/fireworks/models/llama-v3p1-8b-instruct": (0.20, 0.20),
    "accounts/fireworks/models/llama-v3p1-70b-instruct": (0.90, 0.90),
    "accounts/fireworks/models/llama-v3p3-70b-instruct": (0.90, 0.90),
}


class UsageLike(Protocol):
    """What pydantic-ai's `RunUsage` and `RequestUsage` have in common (RequestUsage lacks `requests`)."""

    @property
    def input_tokens(self) -> int: ...

    @property
    def output_tokens(self) -> int: ...


@dataclass(frozen=True)
class UsageRecord:
    """Tokens and estimated cost of one run. `priced` is False when the cost is 0 because it is unknown."""

    input_tokens: int
    output_tokens: int
    requests: int
    cost_usd: float
    priced: bool = False


def price_for(model_name: str) -> tuple[float, float] | None:
    """The (input, output) price per 1M tokens, or None for local and unknown models."""
    provider, sep, bare = model_name.partition(":")
    if not sep or provider not in PROVIDERS:
        provider, bare = "", model_name
    if provider in LOCAL_PROVIDERS:
        return None
    if provider == "openrouter" or (not provider and "/" in bare and not bare.startswith("accounts/")):
        bare = bare.split("/", 1)[1]  # OpenRouter names are `vendor/model`
    matches = [prefix for prefix in PRICES_PER_MILLION if bare.startswith(prefix)]
    return PRICES_PER_MILLION[max(matches, key=len)] if matches else None


def usage_record(usage: UsageLike, model_name: str) -> UsageRecord:
    """Usage of a run (`result.usage`) with its estimated cost for `model_name` (bare or `provider:model`)."""
    requests = int(getattr(usage, "requests", 1))
    price = price_for(model_name)
    if price is None:
        return UsageRecord(usage.input_tokens, usage.output_tokens, requests, 0.0, priced=False)
    cost = (usage.input_tokens * price[0] + usage.output_tokens * price[1]) / 1_000_000
    return UsageRecord(usage.input_tokens, usage.output_tokens, requests, round(cost, 8), priced=True)
