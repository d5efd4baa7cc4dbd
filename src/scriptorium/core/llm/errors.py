"""Turn pydantic-ai, SDK and HTTP failures into `ModelError`, the one error callers handle.

Apps call agents directly, so the boundary is a context manager around the call:

    with model_errors("openai"):
        result = await agent.run(prompt)

A `ModelError` carries `transient=True` when asking again later may help (rate limits, 5xx, timeouts, dropped
connections); the job runner retries those with backoff. Its public message never contains provider text,
which may echo prompts or keys. Classes are looked up in `sys.modules`, so this module imports no SDK.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from scriptorium.core.errors import ModelError, ScriptoriumError
from scriptorium.core.http_retry import is_retryable_status

_TRANSIENT_PYDANTIC_AI = (
    "ModelRateLimitError",
    "ModelUnavailableError",
    "ModelServerError",
    "ModelConnectionError",
    "ModelRequestTimeout",
)


def _classes(module: str, names: tuple[str, ...]) -> tuple[type[BaseException], ...]:
    loaded = sys.modules.get(module)
    return tuple(getattr(loaded, name) for name in names if hasattr(loaded, name)) if loaded else ()


def _http_classes(name: str) -> tuple[type[BaseException], ...]:
    return _classes("httpx", (name,)) + _classes("httpx2", (name,))


def _status_of(exc: BaseException) -> int | None:
    for attr in ("status_code", "status"):
        value = getattr(exc, attr, None)
        if isinstance(value, int):
            return value
    response: Any = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def is_model_failure(exc: BaseException) -> bool:
    """True for failures of the provider or the network, as opposed to programming errors."""
    kinds = (
        _classes("pydantic_ai.exceptions", ("ModelAPIError", "UnexpectedModelBehavior"))
        + _classes("openai", ("APIError",))
        + _classes("anthropic", ("APIError",))
        + _http_classes("HTTPError")
    )
    return bool(kinds) and isinstance(exc, kinds)


def _describe(exc: BaseException, status: int | None) -> tuple[str, bool]:
    """A public sentence and the transient flag for one failure."""
    if isinstance(exc, _http_classes("TimeoutException")) or "Timeout" in type(exc).__name__:
        return "The model provider did not answer in time; try again shortly.", True
    if status == 429:
        return "The model provider is rate-limiting requests; try again shortly.", True
    if status is not None and is_retryable_status(status):
        return "The model provider failed to answer; try again shortly.", True
    if status in {401, 403}:
        return "The model provider refused the credentials; check the API key setting.", False
    if status == 404:
        return "The model provider does not know this model; check the model name setting.", False
    if status is not None:
        return "The model provider rejected the request.", False
    transient = _classes("pydantic_ai.exceptions", _TRANSIENT_PYDANTIC_AI) + _http_classes("TransportError")
    if transient and isinstance(exc, transient):
        return "Could not reach the model provider; try again shortly.", True
    if isinstance(exc, _classes("pydantic_ai.exceptions", ("UnexpectedModelBehavior",))):
        return "The model returned an answer that could not be used.", False
    if isinstance(exc, _classes("openai", ("APIConnectionError",)) + _classes("anthropic", ("APIConnectionError",))):
        return "Could not reach the model provider; try again shortly.", True
    return "The model provider failed.", False


def as_model_error(exc: BaseException, *, service: str) -> ModelError:
    """The `ModelError` for `exc` (raise it `from exc` to keep the cause for logs)."""
    if isinstance(exc, ModelError):
        return exc
    status = _status_of(exc)
    message, transient = _describe(exc, status)
    error = ModelError(message, service=service, status=status, transient=transient)
    error.detail = f"{type(exc).__name__} (status {status})" if status else type(exc).__name__
    return error


@contextmanager
def model_errors(service: str = "llm") -> Iterator[None]:
    """Re-raise model and network failures inside the block as `ModelError`; leave everything else alone."""
    try:
        yield
    except ScriptoriumError:
        raise
    except Exception as exc:
        if not is_model_failure(exc):
            raise
        raise as_model_error(exc, service=service) from exc
