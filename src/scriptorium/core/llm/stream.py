"""Plain-text chat streaming over HTTP: the Companion's hot path, without an SDK.

Why not pydantic-ai here: a chat answer is one request with no tools and text output, relayed chunk by chunk to
a reader. Through pydantic-ai and the OpenAI SDK each streamed chunk cost about 0.3 ms of server CPU (a pydantic
model built per chunk, an anyio deadline per read, several async-generator layers), so 50 concurrent readers
kept the event loop busy enough to push other readers' first tokens past 25 ms; and importing the two cost
~45 MB in a server that otherwise never needs them. This module speaks the two wire protocols directly with
httpx (already loaded by the server): OpenAI-style `POST /chat/completions` (OpenAI, Ollama, vLLM, llama.cpp,
Fireworks, OpenRouter, a Modal proxy) and Anthropic's `POST /v1/messages`, both with `stream: true`.
Structured output, tools and retries inside a response stay with pydantic-ai (Scribe).

Behaviour: the same endpoints, keys and headers as `build.py` (`spec.resolve_endpoint`, `request_headers`);
opening the stream retries with the shared policy (`core.http_retry`: 408/425/429/5xx and transport errors,
honouring Retry-After) up to LLM_MAX_RETRIES; once text has flowed nothing is retried (the
reader has seen it). Events are read with `httpx-sse` (a reply that is not `text/event-stream` fails as a transport
error). Failures leave as httpx exceptions, which `errors.model_errors` turns into `ModelError`
with a public message; provider response bodies are never read into errors or logs.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from httpx_sse import EventSource

from scriptorium.core.http_retry import RetryPolicy, provider_policy
from scriptorium.core.llm.spec import ModelSpec, parse_model_spec, request_headers, resolve_endpoint
from scriptorium.core.settings import Settings

ANTHROPIC_VERSION = "2023-06-01"
#: OpenAI reasoning models accept only the default temperature and count `max_completion_tokens`.
_OPENAI_REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")


@dataclass(frozen=True, slots=True)
class ChatTurn:
    """One earlier or current message of the conversation."""

    role: Literal["user", "assistant"]
    content: str


@dataclass(slots=True)
class StreamUsage:
    """Token counts reported by the server (0 when it reports none)."""

    input_tokens: int = 0
    output_tokens: int = 0


class ChatStreamer:
    """Streams text deltas from one configured chat model over a pooled connection; `aclose()` at shutdown."""

    def __init__(self, spec: str | ModelSpec, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None):
        self.spec = parse_model_spec(spec)
        self.anthropic = self.spec.provider == "anthropic"
        endpoint = resolve_endpoint(self.spec, settings)
        headers = request_headers(self.spec, settings)
        if self.anthropic:
            headers.update({"x-api-key": endpoint.api_key, "anthropic-version": ANTHROPIC_VERSION})
            self.url = f"{endpoint.base_url}/v1/messages"
        else:
            headers.setdefault("Authorization", f"Bearer {endpoint.api_key}")
            self.url = f"{endpoint.base_url}/chat/completions"
        seconds = settings.llm_timeout_seconds
        self.retry: RetryPolicy = provider_policy(settings)
        self.client = httpx.AsyncClient(
            headers=headers,
            timeout=httpx.Timeout(seconds, connect=min(10.0, seconds)),
            follow_redirects=False,
            transport=transport,
        )

    def body(self, system: str, messages: Sequence[ChatTurn], *, max_tokens: int, temperature: float) -> dict[str, Any]:
        """The request body in the provider's dialect."""
        turns = [{"role": m.role, "content": m.content} for m in messages]
        if self.anthropic:
            return {
                "model": self.spec.model_name,
                "system": system,
                "messages": turns,
                "max_tokens": max_tokens,
                "temperature": temperature,
                "stream": True,
            }
        body: dict[str, Any] = {
            "model": self.spec.model_name,
            "messages": [{"role": "system", "content": system}, *turns],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        hosted_openai = self.spec.provider == "openai" and self.url.startswith("https://api.openai.com/")
        if hosted_openai and self.spec.model_name.startswith(_OPENAI_REASONING_PREFIXES):
            body["max_completion_tokens"] = max_tokens
        else:
            body["max_tokens"] = max_tokens
            body["temperature"] = temperature
        return body

    async def _open(self, body: dict[str, Any]) -> httpx.Response:
        """A 2xx response whose body is still unread (the caller closes it), after retrying transient failures."""
        return await self.retry.call(self._send, body)

    async def _send(self, body: dict[str, Any]) -> httpx.Response:
        response = await self.client.send(self.client.build_request("POST", self.url, json=body), stream=True)
        if response.is_error:
            await response.aclose()
            response.raise_for_status()
        return response

    async def stream(
        self,
        system: str,
        messages: Sequence[ChatTurn],
        *,
        max_tokens: int,
        temperature: float,
        usage: StreamUsage | None = None,
    ) -> AsyncGenerator[str]:
        """Yield the answer's text as it arrives; fill `usage` when the server reports it."""
        usage = usage if usage is not None else StreamUsage()
        body = self.body(system, messages, max_tokens=max_tokens, temperature=temperature)
        parse = _anthropic_text if self.anthropic else _openai_text
        response = await self._open(body)
        try:
            async for sse in EventSource(response).aiter_sse():
                data = sse.data.strip()
                if not data or data == "[DONE]":
                    continue
                try:
                    event = json.loads(data)
                except ValueError as exc:
                    raise httpx.DecodingError("the model server sent a chunk that is not JSON") from exc
                text = parse(event, usage) if isinstance(event, dict) else ""
                if text:
                    yield text
        finally:
            await response.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()


def _openai_text(event: dict[str, Any], usage: StreamUsage) -> str:
    """The text in one chat-completion chunk (usage arrives in a final chunk with no choices)."""
    if event.get("error"):
        # vLLM, OpenRouter and others report a failure after the stream opened as an `error` object.
        raise httpx.RemoteProtocolError("the model server reported an error in the stream")
    if reported := event.get("usage"):
        usage.input_tokens = int(reported.get("prompt_tokens") or 0)
        usage.output_tokens = int(reported.get("completion_tokens") or 0)
    choices = event.get("choices") or ()
    if not choices:
        return ""
    content = (choices[0].get("delta") or {}).get("content")
    return content if isinstance(content, str) else ""


def _anthropic_text(event: dict[str, Any], usage: StreamUsage) -> str:
    """The text in one Messages stream event; input tokens come in `message_start`, output in `message_delta`."""
    kind = event.get("type")
    if kind == "content_block_delta":
        delta = event.get("delta") or {}
        return str(delta.get("text") or "") if delta.get("type") == "text_delta" else ""
    if kind == "message_start":
        usage.input_tokens = int(((event.get("message") or {}).get("usage") or {}).get("input_tokens") or 0)
    elif kind == "message_delta":
        usage.output_tokens = int((event.get("usage") or {}).get("output_tokens") or usage.output_tokens)
    elif kind == "error":
        # An error after the stream opened (e.g. `overloaded_error`): surface it as a failed server response.
        raise httpx.RemoteProtocolError("the model server reported an error in the stream")
    return ""
