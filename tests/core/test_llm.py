"""The chat-model seam, exercised over real HTTP against the loopback OpenAI and Anthropic twins."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel
from pydantic_ai import Agent, NativeOutput
from pydantic_ai.usage import RequestUsage, RunUsage

from scriptorium.core.errors import ConfigurationError, ModelError, ScriptoriumError
from scriptorium.core.llm import (
    ModelSpec,
    as_model_error,
    build_model,
    is_offline,
    model_errors,
    parse_model_spec,
    usage_record,
    warmup,
)
from scriptorium.core.llm.retry import backoff_wait, retry_after_seconds
from scriptorium.core.llm.spec import FIREWORKS_URL, OPENROUTER_URL
from scriptorium.core.llm.warmup import warmup_request
from scriptorium.core.settings import Settings
from tests.twins.llm import AnthropicTwin, OpenAITwin, prompt_tokens

MakeSettings = Callable[..., Settings]


class Email(BaseModel):
    subject: str
    body: str


def twin_settings(make_settings: MakeSettings, twin: OpenAITwin, **overrides: Any) -> Settings:
    return make_settings(chat_provider=twin.chat_spec(), **overrides)


# --- model strings ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("openai:gpt-4o-mini", ModelSpec("openai", "gpt-4o-mini")),
        ("ollama:llama3.2:3b", ModelSpec("ollama", "llama3.2:3b")),
        ("fireworks:accounts/f/models/m", ModelSpec("fireworks", "accounts/f/models/m", FIREWORKS_URL)),
        ("openrouter:meta-llama/llama-3.1-8b", ModelSpec("openrouter", "meta-llama/llama-3.1-8b", OPENROUTER_URL)),
        ("anthropic:claude-3-5-haiku-latest", ModelSpec("anthropic", "claude-3-5-haiku-latest")),
        (
            "openai-compatible:qwen@http://10.0.0.2:8000/v1/",
            ModelSpec("openai-compatible", "qwen", "http://10.0.0.2:8000/v1"),
        ),
        ("offline", ModelSpec("offline", "offline")),
    ],
    ids=["openai", "ollama-tag-with-colon", "fireworks", "openrouter", "anthropic", "custom-url", "offline"],
)
def test_parse_model_spec_reads_provider_model_and_base_url(text: str, expected: ModelSpec) -> None:
    assert parse_model_spec(text) == expected


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("gpt-4o", "provider:model"),
        ("openai:", "provider:model"),
        ("mistral:large", "unknown provider 'mistral'"),
        ("openai-compatible:qwen", "needs a base URL"),
        ("openai-compatible:qwen@ftp://host/v1", "needs a base URL"),
    ],
)
def test_parse_model_spec_rejects_bad_strings_with_the_accepted_forms(text: str, hint: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        parse_model_spec(text)
    assert hint in info.value.public_message
    assert repr(text) in info.value.public_message


def test_is_offline_only_for_the_offline_provider() -> None:
    assert is_offline("offline")
    assert not is_offline("ollama:llama3.2")


# --- building models ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "overrides", "variable"),
    [
        ("openai:gpt-4o-mini", {}, "OPENAI_API_KEY"),
        ("fireworks:m", {}, "FIREWORKS_API_KEY"),
        ("openrouter:a/b", {}, "OPENROUTER_API_KEY"),
        ("anthropic:claude-haiku-4-5", {}, "ANTHROPIC_API_KEY"),
        ("offline", {}, "offline"),
    ],
)
def test_build_model_refuses_missing_keys_and_offline(
    make_settings: MakeSettings, spec: str, overrides: dict[str, Any], variable: str
) -> None:
    with pytest.raises(ConfigurationError, match=variable):
        build_model(spec, make_settings(**overrides))


@pytest.mark.parametrize(
    ("spec", "overrides", "base_url"),
    [
        ("fireworks:accounts/fireworks/models/llama-v3p1-8b-instruct", {"fireworks_api_key": "k"}, FIREWORKS_URL),
        ("openrouter:meta-llama/llama-3.1-8b-instruct", {"openrouter_api_key": "k"}, OPENROUTER_URL),
        ("ollama:llama3.2", {"ollama_base_url": "http://pi.local:11434/"}, "http://pi.local:11434/v1"),
        ("openai:gpt-4o-mini", {"openai_base_url": "http://gpu.local/v1"}, "http://gpu.local/v1"),
        ("openai:gpt-4o-mini", {"openai_api_key": "k"}, "https://api.openai.com/v1"),
    ],
    ids=["fireworks", "openrouter", "ollama", "openai-custom-base", "openai"],
)
def test_build_model_points_each_provider_at_its_endpoint(
    make_settings: MakeSettings, spec: str, overrides: dict[str, Any], base_url: str
) -> None:
    model = build_model(spec, make_settings(**overrides))
    assert str(model.base_url).rstrip("/") == base_url
    assert model.model_name == parse_model_spec(spec).model_name


def test_importing_the_seam_loads_no_sdk() -> None:
    code = (
        "import sys, scriptorium.core.llm, scriptorium.core.embeddings\n"
        "bad = sorted({m.split('.')[0] for m in sys.modules} & {'pydantic_ai', 'openai', 'anthropic', 'httpx2'})\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == ""


# --- talking to the OpenAI-compatible twin ------------------------------------------------------------------


async def test_plain_run_returns_the_reply_and_sends_the_prompt(
    openai_twin: OpenAITwin, make_settings: MakeSettings
) -> None:
    openai_twin.responder = lambda body: "Dear Dr. Ada,"
    settings = twin_settings(make_settings, openai_twin)
    result = await Agent(build_model(settings.chat_provider, settings)).run("Write to Ada")
    assert result.output == "Dear Dr. Ada,"
    sent = openai_twin.requests[-1]
    assert sent.path == "/v1/chat/completions"
    assert sent.body["model"] == "twin-model"
    assert "Write to Ada" in str(sent.body["messages"])


async def test_structured_output_uses_the_final_result_tool(
    openai_twin: OpenAITwin, make_settings: MakeSettings
) -> None:
    openai_twin.responder = lambda body: {"subject": "Hello", "body": "Text"}
    settings = twin_settings(make_settings, openai_twin)
    result = await Agent(build_model(settings.chat_provider, settings), output_type=Email).run("x")
    assert result.output == Email(subject="Hello", body="Text")
    body = openai_twin.requests[-1].body
    assert [tool["function"]["name"] for tool in body["tools"]] == ["final_result"]
    assert body["tool_choice"] == "required"


async def test_native_output_uses_a_json_schema_response_format(
    openai_twin: OpenAITwin, make_settings: MakeSettings
) -> None:
    openai_twin.responder = lambda body: {"subject": "S", "body": "B"}
    settings = twin_settings(make_settings, openai_twin)
    agent = Agent(build_model(settings.chat_provider, settings), output_type=NativeOutput(Email))
    assert (await agent.run("x")).output == Email(subject="S", body="B")
    assert openai_twin.requests[-1].body["response_format"]["type"] == "json_schema"


async def test_stream_text_yields_deltas_in_order(openai_twin: OpenAITwin, make_settings: MakeSettings) -> None:
    openai_twin.responder = lambda body: "one two three four"
    settings = twin_settings(make_settings, openai_twin)
    async with Agent(build_model(settings.chat_provider, settings)).run_stream("x") as stream:
        deltas = [delta async for delta in stream.stream_text(delta=True, debounce_by=None)]
    assert deltas == ["one ", "two ", "three ", "four"]
    assert openai_twin.requests[-1].body["stream"] is True


async def test_streamed_structured_output_ends_with_the_full_object(
    openai_twin: OpenAITwin, make_settings: MakeSettings
) -> None:
    openai_twin.responder = lambda body: {"subject": "Re: paper", "body": "Long body text here"}
    settings = twin_settings(make_settings, openai_twin)
    agent = Agent(build_model(settings.chat_provider, settings), output_type=Email)
    async with agent.run_stream("x") as stream:
        outputs = [output async for output in stream.stream_output(debounce_by=None)]
    assert outputs[-1] == Email(subject="Re: paper", body="Long body text here")


async def test_ollama_and_openai_base_url_reach_the_same_wire_format(
    openai_twin: OpenAITwin, make_settings: MakeSettings
) -> None:
    ollama = make_settings(ollama_base_url=openai_twin.base_url)
    assert (await Agent(build_model("ollama:llama3.2", ollama)).run("hi")).output == "Twin reply to: hi"
    assert openai_twin.requests[-1].body["model"] == "llama3.2"
    custom = make_settings(openai_base_url=f"{openai_twin.base_url}/v1", openai_api_key="sk-test")
    assert (await Agent(build_model("openai:gpt-4o-mini", custom)).run("yo")).output == "Twin reply to: yo"
    assert openai_twin.requests[-1].headers["authorization"] == "Bearer sk-test"


async def test_custom_url_never_receives_the_openai_key(openai_twin: OpenAITwin, make_settings: MakeSettings) -> None:
    settings = twin_settings(make_settings, openai_twin, openai_api_key="sk-secret")
    await Agent(build_model(settings.chat_provider, settings)).run("x")
    assert "sk-secret" not in str(openai_twin.requests[-1].headers)


async def test_extra_and_modal_headers_reach_the_server(openai_twin: OpenAITwin, make_settings: MakeSettings) -> None:
    settings = twin_settings(
        make_settings,
        openai_twin,
        llm_extra_headers={"X-Team": "scriptorium"},
        modal_proxy_token_id="wk-id",
        modal_proxy_token_secret="ws-secret",
    )
    agent = Agent(build_model(settings.chat_provider, settings))
    await agent.run("x")
    async with agent.run_stream("y") as stream:
        await stream.get_output()
    for recorded in openai_twin.requests:
        assert recorded.headers["modal-key"] == "wk-id"
        assert recorded.headers["modal-secret"] == "ws-secret"
        assert recorded.headers["x-team"] == "scriptorium"


# --- recorded provider shapes (tests/fixtures/llm) ----------------------------------------------------------


async def test_recorded_openai_stream_parses_into_deltas_and_usage(
    openai_twin: OpenAITwin, make_settings: MakeSettings
) -> None:
    openai_twin.replay_next("openai_chat_stream.sse")
    settings = twin_settings(make_settings, openai_twin)
    async with Agent(build_model(settings.chat_provider, settings)).run_stream("x") as stream:
        deltas = [d async for d in stream.stream_text(delta=True, debounce_by=None)]
        usage = stream.usage
    assert "".join(deltas) == "Dear Professor Lovelace,"
    assert (usage.input_tokens, usage.output_tokens) == (31, 4)
    assert usage_record(usage, "openai:gpt-4o-mini-2024-07-18").cost_usd == pytest.approx((31 * 0.15 + 4 * 0.6) / 1e6)


async def test_recorded_openai_tool_call_becomes_the_structured_output(
    openai_twin: OpenAITwin, make_settings: MakeSettings
) -> None:
    openai_twin.replay_next("openai_chat_tool_call.json")
    settings = twin_settings(make_settings, openai_twin)
    result = await Agent(build_model(settings.chat_provider, settings), output_type=Email).run("x")
    assert result.output.subject == "Your 2023 paper on analytical engines"
    assert result.output.body.startswith("Dear Professor Lovelace,\n\n")
    assert (result.usage.input_tokens, result.usage.output_tokens) == (120, 38)


async def test_recorded_anthropic_stream_with_ping_parses(
    anthropic_twin: AnthropicTwin, make_settings: MakeSettings
) -> None:
    anthropic_twin.replay_next("anthropic_messages_stream.sse")
    settings = anthropic_settings(make_settings, anthropic_twin)
    async with Agent(build_model(settings.chat_provider, settings)).run_stream("x") as stream:
        text = await stream.get_output()
        usage = stream.usage
    assert text == "Carrot is Pepper's cat."
    assert (usage.input_tokens, usage.output_tokens) == (25, 15)


# --- retries, timeouts and errors ---------------------------------------------------------------------------


async def test_429_then_200_succeeds_after_one_retry(openai_twin: OpenAITwin, make_settings: MakeSettings) -> None:
    openai_twin.fail_next(429, headers={"Retry-After": "0"})
    settings = twin_settings(make_settings, openai_twin, llm_max_retries=2)
    assert (await Agent(build_model(settings.chat_provider, settings)).run("x")).output == "Twin reply to: x"
    assert len(openai_twin.requests) == 2


async def test_streaming_request_is_retried_too(openai_twin: OpenAITwin, make_settings: MakeSettings) -> None:
    openai_twin.fail_next(503, headers={"Retry-After": "0"})
    openai_twin.responder = lambda body: "a b"
    settings = twin_settings(make_settings, openai_twin, llm_max_retries=1)
    async with Agent(build_model(settings.chat_provider, settings)).run_stream("x") as stream:
        assert await stream.get_output() == "a b"
    assert len(openai_twin.requests) == 2


async def test_retry_after_is_honoured(openai_twin: OpenAITwin, make_settings: MakeSettings) -> None:
    openai_twin.fail_next(429, headers={"Retry-After": "1"})
    settings = twin_settings(make_settings, openai_twin, llm_max_retries=1)
    started = time.monotonic()
    await Agent(build_model(settings.chat_provider, settings)).run("x")
    assert time.monotonic() - started >= 1.0


async def test_400_is_not_retried_and_becomes_a_permanent_model_error(
    openai_twin: OpenAITwin, make_settings: MakeSettings
) -> None:
    openai_twin.fail_next(400)
    settings = twin_settings(make_settings, openai_twin, llm_max_retries=3)
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
    settings = twin_settings(make_settings, openai_twin, llm_max_retries=2)
    with pytest.raises(ModelError) as info, model_errors():
        await Agent(build_model(settings.chat_provider, settings)).run("x")
    assert len(openai_twin.requests) == 3
    assert (info.value.status, info.value.transient) == (503, True)


async def test_per_call_timeout_is_retried_then_reported_as_transient(
    openai_twin: OpenAITwin, make_settings: MakeSettings
) -> None:
    openai_twin.latency = 1.0
    settings = twin_settings(make_settings, openai_twin, llm_timeout_seconds=0.2, llm_max_retries=1)
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


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_parsing(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_seconds(headers) == expected


def test_backoff_grows_without_retry_after_and_caps_huge_ones() -> None:
    class State:
        def __init__(self, attempt: int, exc: BaseException) -> None:
            self.attempt_number = attempt
            self.outcome = type("Outcome", (), {"exception": lambda _self: exc})()

    plain = RuntimeError("boom")
    waits = [backoff_wait(State(n, plain)) for n in (1, 2, 3, 4)]  # type: ignore[arg-type]
    assert waits[0] < waits[3]
    huge = type("E", (Exception,), {"response": type("R", (), {"headers": {"retry-after": "86400"}})()})()
    assert backoff_wait(State(1, huge)) == 60.0  # type: ignore[arg-type]


# --- Anthropic ----------------------------------------------------------------------------------------------


def anthropic_settings(make_settings: MakeSettings, twin: AnthropicTwin, **overrides: Any) -> Settings:
    return make_settings(
        chat_provider=twin.chat_spec("claude-haiku-4-5"),
        anthropic_base_url=twin.base_url,
        anthropic_api_key="ak-test",
        **overrides,
    )


async def test_anthropic_plain_structured_and_streamed(
    anthropic_twin: AnthropicTwin, make_settings: MakeSettings
) -> None:
    settings = anthropic_settings(
        make_settings, anthropic_twin, modal_proxy_token_id="id", modal_proxy_token_secret="s"
    )
    model = build_model(settings.chat_provider, settings)
    assert (await Agent(model).run("hi")).output == "Twin reply to: hi"
    anthropic_twin.responder = lambda body: {"subject": "S", "body": "B"}
    assert (await Agent(model, output_type=Email).run("x")).output == Email(subject="S", body="B")
    assert anthropic_twin.requests[-1].body["tools"][0]["name"] == "final_result"
    anthropic_twin.responder = lambda body: "alpha beta gamma"
    async with Agent(model).run_stream("x") as stream:
        deltas = [d async for d in stream.stream_text(delta=True, debounce_by=None)]
    assert deltas == ["alpha ", "beta ", "gamma"]
    assert {r.headers["authorization"] for r in anthropic_twin.requests} == {"Bearer ak-test"}
    assert {r.headers["modal-key"] for r in anthropic_twin.requests} == {"id"}


async def test_anthropic_overload_is_retried(anthropic_twin: AnthropicTwin, make_settings: MakeSettings) -> None:
    anthropic_twin.fail_next(529, headers={"retry-after": "0"})
    settings = anthropic_settings(make_settings, anthropic_twin)
    assert (await Agent(build_model(settings.chat_provider, settings)).run("x")).output == "Twin reply to: x"
    assert len(anthropic_twin.requests) == 2


# --- usage and cost -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_name", "cost", "priced"),
    [
        ("gpt-4o-mini", 0.75, True),
        ("openai:gpt-4o-mini-2024-07-18", 0.75, True),
        ("gpt-4o", 12.5, True),
        ("openrouter:openai/gpt-4o-mini", 0.75, True),
        ("anthropic:claude-3-5-haiku-20241022", 4.8, True),
        ("claude-opus-4-1-20250805", 90.0, True),
        ("claude-opus-4-5-20251101", 30.0, True),
        ("ollama:gpt-4o-mini", 0.0, False),
        ("openai-compatible:qwen2.5", 0.0, False),
        ("some-new-model", 0.0, False),
    ],
)
def test_usage_record_estimates_cost_per_million_tokens(model_name: str, cost: float, priced: bool) -> None:
    record = usage_record(RunUsage(requests=2, input_tokens=1_000_000, output_tokens=1_000_000), model_name)
    assert (record.input_tokens, record.output_tokens, record.requests) == (1_000_000, 1_000_000, 2)
    assert record.cost_usd == pytest.approx(cost)
    assert record.priced is priced


def test_usage_record_accepts_a_single_request_usage() -> None:
    record = usage_record(RequestUsage(input_tokens=2000, output_tokens=1000), "gpt-4.1-mini")
    assert record.requests == 1
    assert record.cost_usd == pytest.approx((2000 * 0.40 + 1000 * 1.60) / 1e6)


async def test_usage_of_a_run_matches_what_the_server_reported(
    openai_twin: OpenAITwin, make_settings: MakeSettings
) -> None:
    openai_twin.responder = lambda body: "three word reply"
    settings = twin_settings(make_settings, openai_twin)
    result = await Agent(build_model(settings.chat_provider, settings)).run("count me")
    record = usage_record(result.usage, settings.chat_provider)
    assert record.input_tokens == prompt_tokens(openai_twin.requests[-1].body)
    assert (record.output_tokens, record.requests, record.cost_usd) == (3, 1, 0.0)


# --- warm-up ------------------------------------------------------------------------------------------------


async def test_warmup_sends_one_tiny_request_to_a_self_hosted_server(
    openai_twin: OpenAITwin, make_settings: MakeSettings
) -> None:
    settings = twin_settings(make_settings, openai_twin, modal_proxy_token_id="id", modal_proxy_token_secret="s")
    await warmup(settings, settings.chat_provider)
    (sent,) = openai_twin.requests
    assert (sent.method, sent.path, sent.body["max_tokens"]) == ("POST", "/v1/chat/completions", 1)
    assert sent.headers["modal-key"] == "id"


async def test_warmup_lists_models_on_hosted_apis(anthropic_twin: AnthropicTwin, make_settings: MakeSettings) -> None:
    settings = anthropic_settings(make_settings, anthropic_twin)
    await warmup(settings, settings.chat_provider)
    (sent,) = anthropic_twin.requests
    assert (sent.method, sent.path, sent.headers["x-api-key"]) == ("GET", "/v1/models", "ak-test")
    request = warmup_request(parse_model_spec("fireworks:m"), make_settings(fireworks_api_key="fk"))
    assert (request.method, str(request.url)) == ("GET", f"{FIREWORKS_URL}/models")
    assert request.headers["authorization"] == "Bearer fk"


async def test_warmup_never_raises_and_is_bounded(openai_twin: OpenAITwin, make_settings: MakeSettings) -> None:
    openai_twin.fail_next(500)
    settings = twin_settings(make_settings, openai_twin, llm_timeout_seconds=0.3)
    await warmup(settings, settings.chat_provider)
    openai_twin.latency = 5.0
    await asyncio.wait_for(warmup(settings, settings.chat_provider), timeout=3)
    await warmup(settings, "fireworks:m")  # no key
    await warmup(settings, "not a spec")
    await warmup(settings, "offline")
    assert len(openai_twin.requests) == 2
