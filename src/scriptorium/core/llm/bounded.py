"""One structured model call that is bounded in time and output, and accounted even when it fails.

Why this exists: a job has a hard time limit, and a model call inside it retries on its own (the transport retries
timeouts and 5xx; pydantic-ai asks again when the output does not validate). Left alone, a slow local model
retried 120 s timeouts until the job's limit killed it, and the job then started over; and a call that failed
after several paid requests left no usage behind, because the tokens lived only on the result it never returned.
So `run_bounded`:

- caps the whole call (every attempt and backoff included) at `budget_seconds`, and each HTTP request at the
  smaller of LLM_TIMEOUT_SECONDS and that budget, so the caller can give it only the time the job has left;
- sends an output limit (`max_completion_tokens`, and `max_tokens` too for self-hosted servers, which read only
  that), so a rambling model stops where the job needs no more text;
- hands pydantic-ai a `RunUsage` it accumulates into, so the tokens of failed and retried attempts are still
  there when the call raises;
- never raises a model failure: it returns the `ModelError` beside the usage, and the caller decides what to
  fall back to. Programming errors still raise.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scriptorium.core.errors import ModelError
from scriptorium.core.http_retry import RetryPolicy
from scriptorium.core.llm.errors import as_model_error, is_model_failure
from scriptorium.core.llm.spec import is_self_hosted, parse_model_spec
from scriptorium.core.llm.usage import UsageRecord, usage_record
from scriptorium.core.settings import Settings

if TYPE_CHECKING:
    from pydantic_ai import Agent

#: Below this, a call is not worth starting: no model answers a structured request faster.
MIN_BUDGET_SECONDS = 1.0


@dataclass
class BoundedRun:
    """What one call produced: its output or its error, and its usage in either case.

    `usage` counts every request the call made, failed attempts included. A request that got no answer (a
    timeout, a refused connection) reports no tokens, so it shows in `requests` with 0 tokens: providers bill by
    the tokens they report, and inventing an estimate would make the totals lie in the other direction.
    """

    output: Any
    usage: UsageRecord
    error: ModelError | None
    seconds: float

    @property
    def ok(self) -> bool:
        return self.error is None


def timed_out(service: str, budget: float) -> ModelError:
    """The error for a call cut off by its budget: transient, the same call may fit a later, calmer moment."""
    message = f"The model did not finish within the {budget:.0f} s this step had left."
    return ModelError(message, service=service, transient=True)


async def run_bounded(
    agent: Agent[Any, Any],
    prompt: str,
    *,
    service: str,
    model_name: str,
    budget_seconds: float,
    settings: Settings,
    max_tokens: int,
    temperature: float | None = None,
) -> BoundedRun:
    """Run `agent` on `prompt` within `budget_seconds`, sending `max_tokens`; see the module docstring.

    A budget under `MIN_BUDGET_SECONDS` makes no request at all (`usage.requests == 0`): the caller falls back.
    """
    from pydantic_ai.settings import ModelSettings
    from pydantic_ai.usage import RunUsage

    started = time.monotonic()
    usage = RunUsage()
    if budget_seconds < MIN_BUDGET_SECONDS:
        return BoundedRun(None, usage_record(usage, model_name), timed_out(service, budget_seconds), 0.0)
    timeout = min(settings.llm_timeout_seconds, budget_seconds)
    model_settings = ModelSettings(max_tokens=max_tokens, timeout=timeout)
    if is_self_hosted(parse_model_spec(model_name), settings):
        # pydantic-ai sends OpenAI's newer `max_completion_tokens`; llama.cpp's server and Ollama read `max_tokens`.
        model_settings["extra_body"] = {"max_tokens": max_tokens}
    if temperature is not None:
        model_settings["temperature"] = temperature
    error: ModelError | None = None
    output: Any = None
    try:
        async with asyncio.timeout(budget_seconds):
            run = await agent.run(prompt, model_settings=model_settings, usage=usage)
        output = run.output
    except TimeoutError:
        error = timed_out(service, budget_seconds)
    except ModelError as exc:
        error = exc
    except Exception as exc:
        if not is_model_failure(exc):
            raise
        error = as_model_error(exc, service=service)
    if error is not None:
        usage.requests = max(usage.requests, 1)  # the call was made, even when no answer came back
    return BoundedRun(output, usage_record(usage, model_name), error, round(time.monotonic() - started, 3))


def call_budget(timeout_seconds: float, max_retries: int) -> float:
    """The longest one call can take on its own: every attempt timing out, with the longest backoff between.

    The waits are the provider policy's backoff (`core.http_retry`): used when no job deadline applies, so a
    call's bound is what its settings already allow and no tighter.
    """
    policy = RetryPolicy(attempts=max_retries + 1)
    return float(timeout_seconds * policy.attempts + policy.longest_backoff())
