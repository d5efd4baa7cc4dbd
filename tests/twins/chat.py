"""What the chat twins share: recorded requests, queued failures, latency and the reply logic.

The API-specific servers (`OpenAITwin`, `AnthropicTwin`) and their fixtures live in `tests/twins/llm.py`;
import from there.
"""

from __future__ import annotations

import asyncio
import json
import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from tests.twins.embeddings import Recorded, hash_embedding

FIXTURES = Path(__file__).parents[1] / "fixtures" / "llm"


@dataclass(frozen=True)
class ToolCall:
    """A reply that calls the tool `name` with `arguments`."""

    name: str
    arguments: dict[str, Any]


Reply = str | dict[str, Any] | ToolCall
Responder = Callable[[dict[str, Any]], Reply]


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


class ChatTwin(ABC):
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
        self._replays: list[Path] = []

    def fail_next(self, status: int, times: int = 1, headers: dict[str, str] | None = None) -> None:
        self._failures.extend(_Failure(status, dict(headers or {})) for _ in range(times))

    def replay_next(self, name: str) -> None:
        """Answer the next request with `tests/fixtures/llm/<name>` verbatim (a recorded provider response)."""
        path = FIXTURES / name
        if not path.is_file():
            raise FileNotFoundError(path)
        self._replays.append(path)

    @abstractmethod
    def chat_spec(self, model: str = "twin-model") -> str:
        """Implemented per API."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    async def _enter(self, request: Request) -> tuple[dict[str, Any], Response | None]:
        """Record the request, take a queued failure or replay, if any, then wait `latency`.

        The queue is read on arrival, before the wait: a slow request left over from an earlier test (its client
        long gone) must not wake up and take the failure or replay that the next test queued.
        """
        raw = await request.body()
        body = json.loads(raw) if raw else {}
        self.requests.append(Recorded(request.method, request.url.path, body, dict(request.headers)))
        early: Response | None = None
        if self._failures:
            failure = self._failures.pop(0)
            early = self.error_response(failure.status, failure.headers)
        elif self._replays:
            path = self._replays.pop(0)
            media = "text/event-stream" if path.suffix == ".sse" else "application/json"
            early = Response(path.read_bytes(), media_type=media)
        if self.latency:
            await asyncio.sleep(self.latency)
        return body, early

    async def answer(self, request: Request) -> Response:
        """The chat endpoint: record, maybe fail or replay, then reply whole or as a stream."""
        body, early = await self._enter(request)
        if early is not None:
            return early
        reply = self.resolve(body)
        if body.get("stream"):
            return StreamingResponse(self._stream(body, reply), media_type="text/event-stream")
        return self.complete(body, reply)

    @abstractmethod
    def complete(self, body: dict[str, Any], reply: str | ToolCall) -> Response:
        """The whole reply as one JSON response."""

    @abstractmethod
    def _stream(self, body: dict[str, Any], reply: str | ToolCall) -> AsyncIterator[str]:
        """The reply as server-sent events."""

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
