"""Loopback twins of OpenAI-compatible and Anthropic chat servers, for tests and benchmarks.

Use them through the fixtures (import them in your area's conftest.py):

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
- `latency`: seconds to wait before answering each request (benchmarks, timeout tests).
- `requests`: every request received, failed ones included, as `Recorded(method, path, body, headers)`
  (header names lower-case).
- `base_url` (set by the fixture), `chat_spec(model)`: a CHAT_PROVIDER string pointing at the twin.
- `reset()`: back to defaults (the fixtures do this per test).

`OpenAITwin` serves `POST /v1/chat/completions` (JSON, or SSE with `stream: true` ending in `data: [DONE]`),
`GET /v1/models` and `POST /v1/embeddings`. `AnthropicTwin` serves `POST /v1/messages` (JSON or the SSE event
sequence message_start, content_block_*, message_delta, message_stop) and `GET /v1/models`. Usage is reported
as 1 token per 4 characters of prompt and 1 token per streamed chunk, so it is deterministic.
"""

from __future__ import annotations

import asyncio
import json
import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from tests.twins.embeddings import hash_embedding
from tests.twins.server import serve_in_thread


@dataclass(frozen=True)
class ToolCall:
    """A reply that calls the tool `name` with `arguments`."""

    name: str
    arguments: dict[str, Any]


Reply = str | dict[str, Any] | ToolCall
Responder = Callable[[dict[str, Any]], Reply]


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class _Failure:
    status: int
    headers: dict[str, str]


def chunk_text(text: str) -> list[str]:
    """Split text into word-sized stream deltas (whitespace kept) so streaming is observable."""
    return re.findall(r"\S+\s*|\s+", text) or [""]


def sample_from_schema(schema: dict[str, Any], defs: dict[str, Any] | None = None) -> Any:
    """A placeholder value valid for a (simple) JSON schema: what a lazy model would answer."""
    defs = defs if defs is not None else schema.get("$defs", {})
    if "$ref" in schema:
        return sample_from_schema(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return sample_from_schema(schema[key][0], defs)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type", "object")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: sample_from_schema(sub, defs) for name, sub in props.items()}
    if kind == "array":
        return [sample_from_schema(schema.get("items", {}), defs)]
    return {"string": "twin", "integer": 0, "number": 0.0, "boolean": False, "null": None}.get(kind, "twin")


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        if isinstance(content, list):
            return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def prompt_tokens(body: dict[str, Any]) -> int:
    return max(1, len(json.dumps(body.get("messages", []))) // 4)


class _Twin(ABC):
    """Shared state and controls; subclasses add the routes of one API."""

    model = "twin-model"

    def __init__(self) -> None:
        self.base_url = ""
        self.reset()
        self.app = Starlette(routes=self.routes())

    @abstractmethod
    def routes(self) -> list[Route]:
        """Implemented per API."""

    def reset(self) -> None:
        self.responder: Responder = self.default_responder
        self.requests: list[Recorded] = []
        self.latency = 0.0
        self.embed_dimension = 16
        self.max_batch: int | None = None
        self._failures: list[_Failure] = []

    def fail_next(self, status: int, times: int = 1, headers: dict[str, str] | None = None) -> None:
        self._failures.extend(_Failure(status, dict(headers or {})) for _ in range(times))

    @abstractmethod
    def chat_spec(self, model: str = "twin-model") -> str:
        """Implemented per API."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    async def _enter(self, request: Request) -> tuple[dict[str, Any], Response | None]:
        """Record the request, wait `latency`, and return the body plus a queued failure, if any."""
        raw = await request.body()
        body = json.loads(raw) if raw else {}
        self.requests.append(Recorded(request.method, request.url.path, body, dict(request.headers)))
        if self.latency:
            await asyncio.sleep(self.latency)
        if self._failures:
            failure = self._failures.pop(0)
            return body, self.error_response(failure.status, failure.headers)
        return body, None

    @abstractmethod
    def error_response(self, status: int, headers: dict[str, str]) -> Response:
        """Implemented per API."""

    def default_responder(self, body: dict[str, Any]) -> Reply:
        tools = self.tool_schemas(body)
        if tools and self.tool_required(body):
            name, schema = next(iter(tools.items()))
            return ToolCall(name, sample_from_schema(schema))
        return f"Twin reply to: {_last_user_text(body.get('messages', []))}"

    @abstractmethod
    def tool_schemas(self, body: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Implemented per API."""

    @abstractmethod
    def tool_required(self, body: dict[str, Any]) -> bool:
        """Implemented per API."""

    def resolve(self, body: dict[str, Any]) -> str | ToolCall:
        """Run the responder and decide between text and a tool call, as a real model would."""
        reply = self.responder(body)
        if isinstance(reply, ToolCall | str):
            return reply
        tools = self.tool_schemas(body)
        if tools and not self.wants_json_text(body):
            name = "final_result" if "final_result" in tools else next(iter(tools))
            return ToolCall(name, reply)
        return json.dumps(reply)

    def wants_json_text(self, body: dict[str, Any]) -> bool:
        return False

    def embeddings(self, texts: list[str], dimension: int | None = None) -> list[list[float]]:
        return [hash_embedding(text, dimension or self.embed_dimension) for text in texts]


class OpenAITwin(_Twin):
    """An OpenAI-compatible server: chat completions (plain, streamed, tool calls), models, embeddings."""

    def routes(self) -> list[Route]:
        return [
            Route("/v1/chat/completions", self.chat, methods=["POST"]),
            Route("/v1/models", self.models, methods=["GET"]),
            Route("/v1/embeddings", self.embed, methods=["POST"]),
        ]

    def chat_spec(self, model: str = "twin-model") -> str:
        return f"openai-compatible:{model}@{self.base_url}/v1"

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

    async def chat(self, request: Request) -> Response:
        body, failure = await self._enter(request)
        if failure is not None:
            return failure
        reply = self.resolve(body)
        if body.get("stream"):
            return StreamingResponse(self._stream(body, reply), media_type="text/event-stream")
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


class AnthropicTwin(_Twin):
    """An Anthropic Messages API server: plain and streamed replies, tool_use for structured output."""

    def routes(self) -> list[Route]:
        return [
            Route("/v1/messages", self.messages, methods=["POST"]),
            Route("/v1/models", self.models, methods=["GET"]),
        ]

    def chat_spec(self, model: str = "twin-model") -> str:
        return f"anthropic:{model}"

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

    async def messages(self, request: Request) -> Response:
        body, failure = await self._enter(request)
        if failure is not None:
            return failure
        reply = self.resolve(body)
        if body.get("stream"):
            return StreamingResponse(self._stream(body, reply), media_type="text/event-stream")
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


@pytest.fixture(scope="session")
def _openai_twin_server() -> Iterator[OpenAITwin]:
    twin = OpenAITwin()
    with serve_in_thread(twin) as url:
        twin.base_url = url
        yield twin


@pytest.fixture(scope="session")
def _anthropic_twin_server() -> Iterator[AnthropicTwin]:
    twin = AnthropicTwin()
    with serve_in_thread(twin) as url:
        twin.base_url = url
        yield twin


@pytest.fixture
def openai_twin(_openai_twin_server: OpenAITwin) -> OpenAITwin:
    """The OpenAI-compatible twin, reset for this test; `openai_twin.chat_spec()` is its CHAT_PROVIDER."""
    _openai_twin_server.reset()
    return _openai_twin_server


@pytest.fixture
def anthropic_twin(_anthropic_twin_server: AnthropicTwin) -> AnthropicTwin:
    """The Anthropic twin, reset for this test; use `anthropic_base_url=anthropic_twin.base_url` in settings."""
    _anthropic_twin_server.reset()
    return _anthropic_twin_server
