"""Plain-HTTP chat streaming (`core.llm.stream`): both wire dialects, recorded shapes, headers, retries, failures."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from scriptorium.core.errors import ModelError
from scriptorium.core.llm import model_errors
from scriptorium.core.llm.stream import ChatStreamer, ChatTurn, StreamUsage
from scriptorium.core.settings import Settings
from tests.twins.llm import API_KEY, AnthropicTwin, OpenAITwin

MakeSettings = Callable[..., Settings]
HISTORY = [ChatTurn("user", "Who is Pim?"), ChatTurn("assistant", "A heron."), ChatTurn("user", "And Wren?")]


async def _collect(streamer: ChatStreamer, usage: StreamUsage | None = None) -> list[str]:
    try:
        return [d async for d in streamer.stream("Be kind.", HISTORY, max_tokens=64, temperature=0.3, usage=usage)]
    finally:
        await streamer.aclose()


async def test_openai_dialect_streams_deltas_with_the_system_prompt_history_and_usage(
    openai_twin: OpenAITwin, make_settings: MakeSettings
) -> None:
    openai_twin.responder = lambda body: "Wren lights the lamps of Saltwhistle."
    usage = StreamUsage()
    deltas = await _collect(ChatStreamer(openai_twin.chat_spec(), make_settings()), usage)
    assert len(deltas) > 1 and "".join(deltas) == "Wren lights the lamps of Saltwhistle."
    body = openai_twin.requests[-1].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "user"]
    assert body["messages"][0]["content"] == "Be kind." and body["messages"][-1]["content"] == "And Wren?"
    assert (body["max_tokens"], body["temperature"]) == (64, 0.3)
    assert usage.output_tokens == len(deltas) and usage.input_tokens > 0


async def test_anthropic_dialect_sends_system_apart_and_reads_text_deltas(
    anthropic_twin: AnthropicTwin, make_settings: MakeSettings
) -> None:
    anthropic_twin.responder = lambda body: "Pim is a clockwork heron."
    settings = make_settings(**anthropic_twin.settings_overrides())
    usage = StreamUsage()
    deltas = await _collect(ChatStreamer(settings.chat_provider, settings), usage)
    assert "".join(deltas) == "Pim is a clockwork heron."
    recorded = anthropic_twin.requests[-1]
    assert recorded.path == "/v1/messages" and recorded.body["system"] == "Be kind."
    assert [m["role"] for m in recorded.body["messages"]] == ["user", "assistant", "user"]
    assert recorded.headers["x-api-key"] == API_KEY and recorded.headers["anthropic-version"]
    assert usage.output_tokens == len(deltas) and usage.input_tokens > 0


async def test_recorded_provider_shapes_parse_into_text_and_usage(
    openai_twin: OpenAITwin, anthropic_twin: AnthropicTwin, make_settings: MakeSettings
) -> None:
    openai_twin.replay_next("openai_chat_stream.sse")
    usage = StreamUsage()
    assert "".join(await _collect(ChatStreamer(openai_twin.chat_spec(), make_settings()), usage)) == (
        "Dear Professor Lovelace,"
    )
    assert (usage.input_tokens, usage.output_tokens) == (31, 4)
    anthropic_twin.replay_next("anthropic_messages_stream.sse")
    settings = make_settings(**anthropic_twin.settings_overrides())
    usage = StreamUsage()
    assert "".join(await _collect(ChatStreamer(settings.chat_provider, settings), usage)) == "Carrot is Pepper's cat."
    assert (usage.input_tokens, usage.output_tokens) == (25, 15)


async def test_proxy_headers_go_to_a_self_hosted_server(openai_twin: OpenAITwin, make_settings: MakeSettings) -> None:
    settings = make_settings(
        llm_extra_headers={"X-Team": "scriptorium"}, modal_proxy_token_id="wk-id", modal_proxy_token_secret="ws-s"
    )
    await _collect(ChatStreamer(openai_twin.chat_spec(), settings))
    headers = openai_twin.requests[-1].headers
    assert (headers["modal-key"], headers["modal-secret"], headers["x-team"]) == ("wk-id", "ws-s", "scriptorium")


def test_hosted_openai_reasoning_models_get_max_completion_tokens_and_no_temperature(
    make_settings: MakeSettings,
) -> None:
    settings = make_settings(openai_api_key="sk-test", modal_proxy_token_id="wk-id", modal_proxy_token_secret="ws")
    reasoning = ChatStreamer("openai:gpt-5-mini", settings)
    body = reasoning.body("s", HISTORY, max_tokens=64, temperature=0.3)
    assert body["max_completion_tokens"] == 64 and "max_tokens" not in body and "temperature" not in body
    assert "modal-key" not in reasoning.client.headers  # the proxy secret never goes to a hosted API
    classic = ChatStreamer("openai:gpt-4o-mini", settings).body("s", HISTORY, max_tokens=64, temperature=0.3)
    assert (classic["max_tokens"], classic["temperature"]) == (64, 0.3)


async def test_transient_failures_before_the_first_byte_are_retried(
    openai_twin: OpenAITwin, make_settings: MakeSettings
) -> None:
    openai_twin.fail_next(503, times=2, headers={"Retry-After": "0"})
    openai_twin.responder = lambda body: "back again"
    deltas = await _collect(ChatStreamer(openai_twin.chat_spec(), make_settings(llm_max_retries=2)))
    assert "".join(deltas) == "back again" and len(openai_twin.requests) == 3


async def test_a_rejected_request_is_not_retried_and_becomes_a_safe_model_error(
    openai_twin: OpenAITwin, make_settings: MakeSettings
) -> None:
    openai_twin.fail_next(401)
    with pytest.raises(ModelError) as info, model_errors("openai-compatible"):
        await _collect(ChatStreamer(openai_twin.chat_spec(), make_settings(llm_max_retries=3)))
    assert len(openai_twin.requests) == 1
    assert (info.value.status, info.value.transient) == (401, False)
    assert "twin error" not in info.value.public_message and "credentials" in info.value.public_message


async def test_exhausted_retries_are_a_transient_model_error(
    openai_twin: OpenAITwin, make_settings: MakeSettings
) -> None:
    openai_twin.fail_next(429, times=5, headers={"Retry-After": "0"})
    with pytest.raises(ModelError) as info, model_errors():
        await _collect(ChatStreamer(openai_twin.chat_spec(), make_settings(llm_max_retries=1)))
    assert len(openai_twin.requests) == 2 and (info.value.status, info.value.transient) == (429, True)


def _sse(*events: object) -> httpx.MockTransport:
    body = "".join(f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n" for e in events)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(
    ("events", "public"),
    [
        (({"choices": [{"delta": {"content": "Hi"}}]}, "{not json"), "failed"),
        (({"choices": [{"delta": {"content": "Hi"}}]}, {"error": {"message": "CUDA out of memory"}}), "reach"),
    ],
    ids=["malformed chunk", "error object mid-stream"],
)
async def test_a_broken_stream_after_text_is_a_model_error_without_provider_text(
    make_settings: MakeSettings, events: tuple[object, ...], public: str
) -> None:
    streamer = ChatStreamer("openai-compatible:m@http://127.0.0.1:9/v1", make_settings(), transport=_sse(*events))
    seen: list[str] = []

    async def drain() -> None:
        async for delta in streamer.stream("s", HISTORY, max_tokens=8, temperature=0.0):
            seen.append(delta)

    with pytest.raises(ModelError) as info, model_errors():
        await drain()
    await streamer.aclose()
    assert seen == ["Hi"]
    assert public in info.value.public_message and "CUDA" not in info.value.public_message


async def test_the_stream_ignores_keepalives_comments_and_non_text_deltas(make_settings: MakeSettings) -> None:
    transport = _sse(
        "",
        {"choices": [{"delta": {"role": "assistant"}}]},
        {"choices": [{"delta": {"content": "a"}}]},
        {"choices": [{"delta": {"tool_calls": []}}]},
        {"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 1}},
        "[DONE]",
    )
    usage = StreamUsage()
    streamer = ChatStreamer("openai-compatible:m@http://127.0.0.1:9/v1", make_settings(), transport=transport)
    assert await _collect(streamer, usage) == ["a"]
    assert (usage.input_tokens, usage.output_tokens) == (7, 1)


async def test_a_reply_that_is_not_an_event_stream_is_a_model_error_not_an_empty_answer(
    make_settings: MakeSettings,
) -> None:
    """A server that ignores `stream: true` and answers JSON: httpx-sse refuses it, so the reader sees an error."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"choices": [{"message": {"content": "Hi"}}]})

    transport = httpx.MockTransport(handler)
    streamer = ChatStreamer("openai-compatible:m@http://127.0.0.1:9/v1", make_settings(), transport=transport)
    with pytest.raises(ModelError) as info, model_errors():
        await _collect(streamer)
    assert info.value.public_message and "choices" not in info.value.public_message


async def test_multi_line_data_fields_are_joined_into_one_event(make_settings: MakeSettings) -> None:
    body = 'data: {"choices": [{"delta":\ndata: {"content": "joined"}}]}\n\ndata: [DONE]\n\n'

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=body, headers={"content-type": "text/event-stream; charset=utf-8"})

    streamer = ChatStreamer(
        "openai-compatible:m@http://127.0.0.1:9/v1", make_settings(), transport=httpx.MockTransport(handler)
    )
    assert await _collect(streamer) == ["joined"]
