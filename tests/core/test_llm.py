"""The chat-model seam, exercised over real HTTP against the loopback OpenAI and Anthropic twins."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel
from pydantic_ai import Agent, NativeOutput
from pydantic_ai.usage import RequestUsage, RunUsage

from scriptorium.core.errors import ConfigurationError
from scriptorium.core.llm import (
    ModelSpec,
    build_model,
    is_offline,
    parse_model_spec,
    usage_record,
)
from scriptorium.core.llm.spec import FIREWORKS_URL, OPENROUTER_URL
from scriptorium.core.settings import Settings
from tests.twins.llm import API_KEY, AnthropicTwin, OpenAITwin, prompt_tokens

MakeSettings = Callable[..., Settings]


class Email(BaseModel):
    subject: str
    body: str


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
    settings = make_settings(**openai_twin.settings_overrides())
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
    settings = make_settings(**openai_twin.settings_overrides())
    result = await Agent(build_model(settings.chat_provider, settings), output_type=Email).run("x")
    assert result.output == Email(subject="Hello", body="Text")
    body = openai_twin.requests[-1].body
    assert [tool["function"]["name"] for tool in body["tools"]] == ["final_result"]
    assert body["tool_choice"] == "required"


async def test_native_output_uses_a_json_schema_response_format(
    openai_twin: OpenAITwin, make_settings: MakeSettings
) -> None:
    openai_twin.responder = lambda body: {"subject": "S", "body": "B"}
    settings = make_settings(**openai_twin.settings_overrides())
    agent = Agent(build_model(settings.chat_provider, settings), output_type=NativeOutput(Email))
    assert (await agent.run("x")).output == Email(subject="S", body="B")
    assert openai_twin.requests[-1].body["response_format"]["type"] == "json_schema"


async def test_stream_text_yields_deltas_in_order(openai_twin: OpenAITwin, make_settings: MakeSettings) -> None:
    openai_twin.responder = lambda body: "one two three four"
    settings = make_settings(**openai_twin.settings_overrides())
    async with Agent(build_model(settings.chat_provider, settings)).run_stream("x") as stream:
        deltas = [delta async for delta in stream.stream_text(delta=True, debounce_by=None)]
    assert deltas == ["one ", "two ", "three ", "four"]
    assert openai_twin.requests[-1].body["stream"] is True


async def test_streamed_structured_output_ends_with_the_full_object(
    openai_twin: OpenAITwin, make_settings: MakeSettings
) -> None:
    openai_twin.responder = lambda body: {"subject": "Re: paper", "body": "Long body text here"}
    settings = make_settings(**openai_twin.settings_overrides())
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
    settings = make_settings(**openai_twin.settings_overrides(), openai_api_key="sk-secret")
    await Agent(build_model(settings.chat_provider, settings)).run("x")
    assert "sk-secret" not in str(openai_twin.requests[-1].headers)


async def test_extra_and_modal_headers_reach_the_server(openai_twin: OpenAITwin, make_settings: MakeSettings) -> None:
    settings = make_settings(
        **openai_twin.settings_overrides(),
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
    settings = make_settings(**openai_twin.settings_overrides())
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
    settings = make_settings(**openai_twin.settings_overrides())
    result = await Agent(build_model(settings.chat_provider, settings), output_type=Email).run("x")
    assert result.output.subject == "Your 2023 paper on analytical engines"
    assert result.output.body.startswith("Dear Professor Lovelace,\n\n")
    assert (result.usage.input_tokens, result.usage.output_tokens) == (120, 38)


async def test_recorded_anthropic_stream_with_ping_parses(
    anthropic_twin: AnthropicTwin, make_settings: MakeSettings
) -> None:
    anthropic_twin.replay_next("anthropic_messages_stream.sse")
    settings = make_settings(**anthropic_twin.settings_overrides())
    async with Agent(build_model(settings.chat_provider, settings)).run_stream("x") as stream:
        text = await stream.get_output()
        usage = stream.usage
    assert text == "Carrot is Pepper's cat."
    assert (usage.input_tokens, usage.output_tokens) == (25, 15)


# --- Anthropic ----------------------------------------------------------------------------------------------


async def test_anthropic_plain_structured_and_streamed(
    anthropic_twin: AnthropicTwin, make_settings: MakeSettings
) -> None:
    settings = make_settings(
        **anthropic_twin.settings_overrides(),
        modal_proxy_token_id="id",
        modal_proxy_token_secret="s",
        llm_extra_headers={"X-Team": "scribe"},
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
    assert {r.headers["authorization"] for r in anthropic_twin.requests} == {f"Bearer {API_KEY}"}
    # A hosted API gets the operator's extra headers but never the Modal proxy secret.
    assert {r.headers["x-team"] for r in anthropic_twin.requests} == {"scribe"}
    assert not any("modal-secret" in r.headers or "modal-key" in r.headers for r in anthropic_twin.requests)


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
    settings = make_settings(**openai_twin.settings_overrides())
    result = await Agent(build_model(settings.chat_provider, settings)).run("count me")
    record = usage_record(result.usage, settings.chat_provider)
    assert record.input_tokens == prompt_tokens(openai_twin.requests[-1].body)
    assert (record.output_tokens, record.requests, record.cost_usd) == (3, 1, 0.0)
