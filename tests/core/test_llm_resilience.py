"""The chat-model seam when things go wrong: retries, timeouts, error mapping, and the warm-up request."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from pydantic_ai import Agent

from scriptorium.core.errors import ConfigurationError, ModelError, ScriptoriumError
from scriptorium.core.llm import as_model_error, build_model, model_errors, parse_model_spec, warmup
from scriptorium.core.llm.spec import FIREWORKS_URL
from scriptorium.core.llm.warmup import warmup_request
from scriptorium.core.settings import Settings
from tests.twins.llm import API_KEY, AnthropicTwin, OpenAITwin

MakeSettings = Callable[..., Settings]


# --- retries, timeouts and errors ---------------------------------------------------------------------------


async def test_429_then_200_succeeds_after_one_retry(openai_twin: OpenAITwin, make_settings: MakeSettings) -> None:
    openai_twin.fail_next(429, headers={"Retry-After": "0"})
    settings = make_settings(**openai_twin.settings_overrides(), llm_max_retries=2)
    assert (await Agent(build_model(settings.chat_provider, settings)).run("x")).output == "Twin reply to: x"
    assert len(openai_twin.requests) == 2


async def test_streaming_request_is_retried_too(openai_twin: OpenAITwin, make_settings: MakeSettings) -> None:
    openai_twin.fail_next(503, headers={"Retry-After": "0"})
    openai_twin.responder = lambda body: "a b"
    settings = make_settings(**openai_twin.settings_overrides(), llm_max_retries=1)
    async with Agent(build_model(settings.chat_provider, settings)).run_stream("x") as stream:
        assert await stream.get_output() == "a b"
    assert len(openai_twin.requests) == 2


async def test_retry_after_is_honoured(openai_twin: OpenAITwin, make_settings: MakeSettings) -> None:
    openai_twin.fail_next(429, headers={"Retry-After": "1"})
    settings = make_settings(**openai_twin.settings_overrides(), llm_max_retries=1)
    started = time.monotonic()
    await Agent(build_model(settings.chat_provider, settings)).run("x")
    assert time.monotonic() - started >= 1.0


async def test_400_is_not_retried_and_becomes_a_permanent_model_error(
    openai_twin: OpenAITwin, make_settings: MakeSettings
) -> None:
    openai_twin.fail_next(400)
    settings = make_settings(**openai_twin.settings_overrides(), llm_max_retries=3)
    with pytest.raises(ModelError) as info, model_errors("openai-compatible"):
        await Agent(build_model(settings.chat_provider, settings)).run("x")
    assert len(openai_twin.requests) == 1
    assert (info.value.status, info.value.transient, info.value.service) == (400, False, "openai-compatible")
    assert info.value.__cause__ is not None
    assert "twin error" not in info.value.public_message


async def test_exhausted_5xx_retries_become_a_transient_model_error(
    openai_twin: OpenAITwin, make_settings: MakeSettings
) -> None:
    openai_twin.fail_next(503, times=5, headers={"Retry-After": "0"})
    settings = make_settings(**openai_twin.settings_overrides(), llm_max_retries=2)
    with pytest.raises(ModelError) as info, model_errors():
        await Agent(build_model(settings.chat_provider, settings)).run("x")
    assert len(openai_twin.requests) == 3
    assert (info.value.status, info.value.transient) == (503, True)


async def test_per_call_timeout_is_retried_then_reported_as_transient(
    openai_twin: OpenAITwin, make_settings: MakeSettings
) -> None:
    openai_twin.latency = 1.0
    settings = make_settings(**openai_twin.settings_overrides(), llm_timeout_seconds=0.2, llm_max_retries=1)
    with pytest.raises(ModelError) as info, model_errors():
        await Agent(build_model(settings.chat_provider, settings)).run("x")
    assert len(openai_twin.requests) == 2
    assert info.value.transient
    assert "in time" in info.value.public_message


async def test_unreachable_server_is_a_transient_model_error(make_settings: MakeSettings) -> None:
    settings = make_settings(chat_provider="openai-compatible:m@http://127.0.0.1:9/v1", llm_max_retries=0)
    with pytest.raises(ModelError) as info, model_errors():
        await Agent(build_model(settings.chat_provider, settings)).run("x")
    assert info.value.transient


def test_model_errors_leaves_programming_errors_and_our_errors_alone() -> None:
    with pytest.raises(KeyError), model_errors():
        raise KeyError("bug")
    with pytest.raises(ConfigurationError), model_errors():
        raise ConfigurationError("operator mistake")
    original = ModelError("x", service="s", transient=True)
    assert as_model_error(original, service="other") is original
    assert isinstance(as_model_error(RuntimeError("?"), service="s"), ScriptoriumError)


async def test_anthropic_overload_is_retried(anthropic_twin: AnthropicTwin, make_settings: MakeSettings) -> None:
    anthropic_twin.fail_next(529, headers={"retry-after": "0"})
    settings = make_settings(**anthropic_twin.settings_overrides())
    assert (await Agent(build_model(settings.chat_provider, settings)).run("x")).output == "Twin reply to: x"
    assert len(anthropic_twin.requests) == 2


# --- warm-up ------------------------------------------------------------------------------------------------


async def test_warmup_sends_one_tiny_request_to_a_self_hosted_server(
    openai_twin: OpenAITwin, make_settings: MakeSettings
) -> None:
    settings = make_settings(
        **openai_twin.settings_overrides(), modal_proxy_token_id="id", modal_proxy_token_secret="s"
    )
    await warmup(settings, settings.chat_provider)
    (sent,) = openai_twin.requests
    assert (sent.method, sent.path, sent.body["max_tokens"]) == ("POST", "/v1/chat/completions", 1)
    assert sent.headers["modal-key"] == "id"


async def test_warmup_lists_models_on_hosted_apis(anthropic_twin: AnthropicTwin, make_settings: MakeSettings) -> None:
    settings = make_settings(**anthropic_twin.settings_overrides())
    await warmup(settings, settings.chat_provider)
    (sent,) = anthropic_twin.requests
    assert (sent.method, sent.path, sent.headers["x-api-key"]) == ("GET", "/v1/models", API_KEY)
    request = warmup_request(parse_model_spec("fireworks:m"), make_settings(fireworks_api_key="fk"))
    assert (request.method, str(request.url)) == ("GET", f"{FIREWORKS_URL}/models")
    assert request.headers["authorization"] == "Bearer fk"


async def test_warmup_never_raises_and_is_bounded(openai_twin: OpenAITwin, make_settings: MakeSettings) -> None:
    openai_twin.fail_next(500)
    settings = make_settings(**openai_twin.settings_overrides(), llm_timeout_seconds=0.3)
    await warmup(settings, settings.chat_provider)
    openai_twin.latency = 30.0  # far beyond the bound below, so the bound can be generous on a loaded machine
    await asyncio.wait_for(warmup(settings, settings.chat_provider), timeout=15)
    await warmup(settings, "fireworks:m")  # no key
    await warmup(settings, "not a spec")
    await warmup(settings, "offline")
    assert len(openai_twin.requests) == 2
