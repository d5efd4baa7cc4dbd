"""Loopback twins of OpenAI-compatible and Anthropic chat servers, for tests and benchmarks.

Use them through the fixtures (import them in your area's conftest.py or test module; nothing else needed):

    from tests.twins.llm import anthropic_twin, openai_twin  # noqa: F401  (pytest fixtures)

    async def test_x(openai_twin, make_settings):
        openai_twin.responder = lambda request: "Hello there"          # plain text reply
        openai_twin.responder = lambda request: {"subject": "s", "body": "b"}  # structured output
        settings = make_settings(chat_provider=openai_twin.chat_spec())
        ...
        assert openai_twin.requests[-1].body["model"] == "twin-model"

The twin API (both classes):
- `responder(request_body) -> str | dict | ToolCall`: a `str` is the reply text; a `dict` is structured output
  (sent as a call to the request's output tool, or as JSON text when the request asks for `response_format`
  or has no tools); a `ToolCall` calls a named tool. The default echoes the last user message, or fills the
  output tool's JSON schema with placeholder values.
- `fail_next(status, times=1, headers=None)`: the next `times` requests get that error status.
- `replay_next(name)`: the next request gets `tests/fixtures/llm/<name>` verbatim (recorded provider shapes).
- `latency`: seconds to wait before answering each request (benchmarks, timeout tests).
- `requests`: every request received, failed ones included, as `Recorded(method, path, body, headers)`
  (header names lower-case).
- `base_url` (root URL, no `/v1`), `chat_spec(model)`: a CHAT_PROVIDER string pointing at the twin, and
  `settings_overrides(model)`: everything `make_settings(**...)` needs to use it (Anthropic: URL and key too).
- `reset()`: back to defaults (the fixtures do this per test).
- `max_batch`, `embed_dimension`: limits of `OpenAITwin`'s `/v1/embeddings` (hash vectors, not unit length).

Outside pytest (benchmarks), `shared_twin(OpenAITwin)` starts one twin per process and returns it.

`OpenAITwin` serves `POST /v1/chat/completions` (JSON, or SSE with `stream: true` ending in `data: [DONE]`),
`GET /v1/models` and `POST /v1/embeddings`. `AnthropicTwin` serves `POST /v1/messages` (JSON or the SSE event
sequence message_start, content_block_*, message_delta, message_stop) and `GET /v1/models`. Usage is reported
as 1 token per 4 characters of prompt and 1 token per streamed chunk, so it is deterministic.
"""

from __future__ import annotations

import atexit
import json
from collections.abc import AsyncIterator
from contextlib import ExitStack
from typing import Any, TypeVar

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.twins.chat import (
    ChatTwin,
    Reply,
    Responder,
    ToolCall,
    chunk_text,
    prompt_tokens,
    sample_from_schema,
)
from tests.twins.embeddings import Recorded
from tests.twins.server import serve_in_thread

__all__ = [
    "AnthropicTwin",
    "OpenAITwin",
    "Recorded",
    "Reply",
    "Responder",
    "ToolCall",
    "anthropic_twin",
    "chunk_text",
    "openai_twin",
    "prompt_tokens",
    "sample_from_schema",
    "shared_twin",
]

T = TypeVar("T", bound=ChatTwin)

#: The key `AnthropicTwin.settings_overrides` configures (the twin accepts any key).
API_KEY = "ak-test"


class OpenAITwin(ChatTwin):
    """An OpenAI-compatible server: chat completions (plain, streamed, tool calls), models, embeddings."""

    def routes(self) -> list[Route]:
        return [
            Route("/v1/chat/completions", self.answer, methods=["POST"]),
            Route("/v1/models", self.models, methods=["GET"]),
            Route("/v1/embeddings", self.embed, methods=["POST"]),
        ]

    def chat_spec(self, model: str = "twin-model") -> str:
        return f"openai-compatible:{model}@{self.base_url}/v1"

    def settings_overrides(self, model: str = "twin-model") -> dict[str, Any]:
        return {"chat_provider": self.chat_spec(model)}

    def error_response(self, status: int, headers: dict[str, str]) -> Response:
        error = {"message": f"twin error {status}", "type": "twin_error", "code": str(status)}
        return JSONResponse({"error": error}, status_code=status, headers=headers)

    def tool_schemas(self, body: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {
            tool["function"]["name"]: tool["function"].get("parameters", {})
            for tool in body.get("tools") or []
            if tool.get("type") == "function"
        }

    def tool_required(self, body: dict[str, Any]) -> bool:
        return body.get("tool_choice") == "required"

    def wants_json_text(self, body: dict[str, Any]) -> bool:
        return (body.get("response_format") or {}).get("type") in {"json_schema", "json_object"}

    def default_responder(self, body: dict[str, Any]) -> Reply:
        response_format = body.get("response_format") or {}
        if response_format.get("type") == "json_schema":
            sample: dict[str, Any] = sample_from_schema(response_format["json_schema"].get("schema", {}))
            return sample
        return super().default_responder(body)

    async def models(self, request: Request) -> Response:
        _, failure = await self._enter(request)
        if failure is not None:
            return failure
        return JSONResponse({"object": "list", "data": [{"id": self.model, "object": "model", "owned_by": "twin"}]})

    async def embed(self, request: Request) -> Response:
        body, failure = await self._enter(request)
        if failure is not None:
            return failure
        texts = body.get("input")
        texts = [texts] if isinstance(texts, str) else texts
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            return self.error_response(400, {})
        if self.max_batch is not None and len(texts) > self.max_batch:
            return self.error_response(400, {})
        vectors = self.embeddings(texts, body.get("dimensions") or body.get("output_dimension"))
        tokens = sum(len(t.split()) for t in texts)
        return JSONResponse(
            {
                "object": "list",
                "data": [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)],
                "model": body.get("model", self.model),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    def complete(self, body: dict[str, Any], reply: str | ToolCall) -> Response:
        message: dict[str, Any] = {"role": "assistant", "content": None}
        if isinstance(reply, ToolCall):
            arguments = json.dumps(reply.arguments)
            call = {"id": "call_1", "type": "function", "function": {"name": reply.name, "arguments": arguments}}
            message["tool_calls"] = [call]
            finish, completion = "tool_calls", len(chunk_text(arguments))
        else:
            message["content"] = reply
            finish, completion = "stop", len(chunk_text(reply))
        return JSONResponse(
            {
                "id": "chatcmpl-twin",
                "object": "chat.completion",
                "created": 0,
                "model": body.get("model", self.model),
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": self._usage(body, completion),
            }
        )

    def _usage(self, body: dict[str, Any], completion: int) -> dict[str, int]:
        prompt = prompt_tokens(body)
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    async def _stream(self, body: dict[str, Any], reply: str | ToolCall) -> AsyncIterator[str]:
        model = body.get("model", self.model)

        def frame(delta: dict[str, Any], finish: str | None = None) -> str:
            choice = {"index": 0, "delta": delta, "finish_reason": finish}
            chunk = {"id": "chatcmpl-twin", "object": "chat.completion.chunk", "created": 0, "model": model}
            return f"data: {json.dumps({**chunk, 'choices': [choice]})}\n\n"

        if isinstance(reply, ToolCall):
            pieces = chunk_text(json.dumps(reply.arguments))
            start = {"index": 0, "id": "call_1", "type": "function", "function": {"name": reply.name, "arguments": ""}}
            yield frame({"role": "assistant", "tool_calls": [start]})
            for piece in pieces:
                yield frame({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
            yield frame({}, "tool_calls")
        else:
            pieces = chunk_text(reply)
            yield frame({"role": "assistant", "content": ""})
            for piece in pieces:
                yield frame({"content": piece})
            yield frame({}, "stop")
        if (body.get("stream_options") or {}).get("include_usage"):
            usage = {"id": "chatcmpl-twin", "object": "chat.completion.chunk", "created": 0, "model": model}
            yield f"data: {json.dumps({**usage, 'choices': [], 'usage': self._usage(body, len(pieces))})}\n\n"
        yield "data: [DONE]\n\n"


class AnthropicTwin(ChatTwin):
    """An Anthropic Messages API server: plain and streamed replies, tool_use for structured output."""

    def routes(self) -> list[Route]:
        return [
            Route("/v1/messages", self.answer, methods=["POST"]),
            Route("/v1/models", self.models, methods=["GET"]),
        ]

    def chat_spec(self, model: str = "twin-model") -> str:
        return f"anthropic:{model}"

    def settings_overrides(self, model: str = "twin-model") -> dict[str, Any]:
        return {
            "chat_provider": self.chat_spec(model),
            "anthropic_base_url": self.base_url,
            "anthropic_api_key": API_KEY,
        }

    def error_response(self, status: int, headers: dict[str, str]) -> Response:
        kind = {429: "rate_limit_error", 529: "overloaded_error"}.get(status, "api_error")
        error = {"type": "error", "error": {"type": kind, "message": f"twin error {status}"}}
        return JSONResponse(error, status_code=status, headers=headers)

    def tool_schemas(self, body: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {tool["name"]: tool.get("input_schema", {}) for tool in body.get("tools") or [] if "name" in tool}

    def tool_required(self, body: dict[str, Any]) -> bool:
        return (body.get("tool_choice") or {}).get("type") in {"any", "tool"}

    def wants_json_text(self, body: dict[str, Any]) -> bool:
        return bool(body.get("output_format"))

    async def models(self, request: Request) -> Response:
        _, failure = await self._enter(request)
        if failure is not None:
            return failure
        data = [{"id": self.model, "type": "model", "display_name": "Twin", "created_at": "2026-01-01T00:00:00Z"}]
        return JSONResponse({"data": data, "has_more": False, "first_id": self.model, "last_id": self.model})

    def complete(self, body: dict[str, Any], reply: str | ToolCall) -> Response:
        if isinstance(reply, ToolCall):
            content = [{"type": "tool_use", "id": "toolu_twin", "name": reply.name, "input": reply.arguments}]
            stop, output = "tool_use", len(chunk_text(json.dumps(reply.arguments)))
        else:
            content = [{"type": "text", "text": reply}]
            stop, output = "end_turn", len(chunk_text(reply))
        return JSONResponse(
            {
                "id": "msg_twin",
                "type": "message",
                "role": "assistant",
                "model": body.get("model", self.model),
                "content": content,
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": {"input_tokens": prompt_tokens(body), "output_tokens": output},
            }
        )

    async def _stream(self, body: dict[str, Any], reply: str | ToolCall) -> AsyncIterator[str]:
        def event(kind: str, data: dict[str, Any]) -> str:
            return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n"

        message = {
            "id": "msg_twin",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", self.model),
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": prompt_tokens(body), "output_tokens": 1},
        }
        yield event("message_start", {"message": message})
        if isinstance(reply, ToolCall):
            block = {"type": "tool_use", "id": "toolu_twin", "name": reply.name, "input": {}}
            pieces, delta_kind, key, stop = (
                chunk_text(json.dumps(reply.arguments)),
                "input_json_delta",
                "partial_json",
                "tool_use",
            )
        else:
            block = {"type": "text", "text": ""}
            pieces, delta_kind, key, stop = chunk_text(reply), "text_delta", "text", "end_turn"
        yield event("content_block_start", {"index": 0, "content_block": block})
        for piece in pieces:
            yield event("content_block_delta", {"index": 0, "delta": {"type": delta_kind, key: piece}})
        yield event("content_block_stop", {"index": 0})
        delta = {"stop_reason": stop, "stop_sequence": None}
        yield event("message_delta", {"delta": delta, "usage": {"output_tokens": len(pieces)}})
        yield event("message_stop", {})


_running: dict[type[ChatTwin], ChatTwin] = {}
_servers = ExitStack()
atexit.register(_servers.close)


def shared_twin(kind: type[T]) -> T:
    """The process's one running `kind` twin, started on first use (tests and benchmarks share it)."""
    if kind not in _running:
        twin = kind()
        twin.base_url = _servers.enter_context(serve_in_thread(twin))
        _running[kind] = twin
    running = _running[kind]
    assert isinstance(running, kind)
    return running


@pytest.fixture
def openai_twin() -> OpenAITwin:
    """The OpenAI-compatible twin, reset for this test; `openai_twin.chat_spec()` is its CHAT_PROVIDER."""
    twin = shared_twin(OpenAITwin)
    twin.reset()
    return twin


@pytest.fixture
def anthropic_twin() -> AnthropicTwin:
    """The Anthropic twin, reset for this test; use `anthropic_base_url=anthropic_twin.base_url` in settings."""
    twin = shared_twin(AnthropicTwin)
    twin.reset()
    return twin


@pytest.fixture(scope="session")
def _openai_twin_server() -> OpenAITwin:
    """Kept for conftests that imported it; `openai_twin` no longer needs it."""
    return shared_twin(OpenAITwin)


@pytest.fixture(scope="session")
def _anthropic_twin_server() -> AnthropicTwin:
    """Kept for conftests that imported it; `anthropic_twin` no longer needs it."""
    return shared_twin(AnthropicTwin)
