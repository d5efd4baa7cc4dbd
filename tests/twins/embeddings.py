"""Loopback twins of the Ollama (`POST /api/embed`) and Voyage (`POST /v1/embeddings`) embedding APIs.

Fixtures `ollama_twin` and `voyage_twin` (import them in your conftest.py or test module) start one server
per process on first use and reset it per test. Each twin has `base_url`, `requests`
(`Recorded(method, path, body, headers)`), `fail_next(status, times=1, headers=None)`, `latency`, `dimension`
(default 16) and `max_batch` (a request with more inputs gets a 400, so batch splitting is observable).
The OpenAI-compatible `/v1/embeddings` lives on `OpenAITwin` in `tests/twins/llm.py`. With a model whose width
the embedder knows (`KNOWN_DIMENSIONS`, e.g. the default `nomic-embed-text`: 768), set `dimension` to match, or
the embedder rightly raises ModelError; an unknown name such as `twin-embed` takes whatever width comes back.

Vectors come from `hash_embedding`: a signed bag-of-words hash, deliberately *not* unit length (clients must
normalise) and deterministic, so texts sharing words get a higher cosine than texts that share none.
"""

from __future__ import annotations

import asyncio
import atexit
import hashlib
import json
import re
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from tests.twins.server import serve_in_thread


def hash_embedding(text: str, dimension: int) -> list[float]:
    """A deterministic, un-normalised vector: each word adds ±(1 + its length) to one hashed coordinate."""
    vector = [0.0] * dimension
    for word in re.findall(r"\w+", text.lower()) or [""]:
        digest = hashlib.sha256(word.encode()).digest()
        index = int.from_bytes(digest[:4], "big") % dimension
        sign = 1.0 if digest[4] & 1 else -1.0
        vector[index] += sign * (1 + len(word))
    if not any(vector):
        vector[0] = 1.0
    return vector


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class EmbeddingTwin:
    """One embedding API on loopback; `kind` is `ollama` or `voyage`."""

    kind: str
    base_url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    latency: float = 0.0
    dimension: int = 16
    max_batch: int | None = None
    failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        path, handler = ("/api/embed", self._ollama) if self.kind == "ollama" else ("/v1/embeddings", self._voyage)
        self.app = Starlette(routes=[Route(path, handler, methods=["POST"])])

    def reset(self) -> None:
        self.requests.clear()
        self.failures.clear()
        self.latency = 0.0
        self.dimension = 16
        self.max_batch = None

    def fail_next(self, status: int, times: int = 1, headers: dict[str, str] | None = None) -> None:
        self.failures.extend((status, dict(headers or {})) for _ in range(times))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    async def _enter(self, request: Request) -> tuple[dict[str, Any], list[str] | Response]:
        body = json.loads(await request.body() or b"{}")
        self.requests.append(Recorded(request.method, request.url.path, body, dict(request.headers)))
        # A queued failure is taken on arrival, before the wait: a slow request left over from an earlier test
        # must not wake up and take the failure the next test queued.
        failure = self.failures.pop(0) if self.failures else None
        if self.latency:
            await asyncio.sleep(self.latency)
        if failure is not None:
            status, headers = failure
            return body, JSONResponse({"error": f"twin error {status}"}, status_code=status, headers=headers)
        texts = body.get("input")
        texts = [texts] if isinstance(texts, str) else texts
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            return body, JSONResponse({"error": "input must be a string or a list of strings"}, status_code=400)
        if self.max_batch is not None and len(texts) > self.max_batch:
            return body, JSONResponse({"error": f"at most {self.max_batch} inputs"}, status_code=400)
        return body, texts

    async def _ollama(self, request: Request) -> Response:
        body, texts = await self._enter(request)
        if isinstance(texts, Response):
            return texts
        vectors = [hash_embedding(t, self.dimension) for t in texts]
        tokens = sum(len(t.split()) for t in texts)
        return JSONResponse(
            {"model": body.get("model"), "embeddings": vectors, "total_duration": 1, "prompt_eval_count": tokens}
        )

    async def _voyage(self, request: Request) -> Response:
        body, texts = await self._enter(request)
        if isinstance(texts, Response):
            return texts
        dimension = body.get("output_dimension") or self.dimension
        vectors = [hash_embedding(t, dimension) for t in texts]
        return JSONResponse(
            {
                "object": "list",
                "data": [{"object": "embedding", "embedding": v, "index": i} for i, v in enumerate(vectors)],
                "model": body.get("model"),
                "usage": {"total_tokens": sum(len(t.split()) for t in texts)},
            }
        )


_running: dict[str, EmbeddingTwin] = {}
_servers = ExitStack()
atexit.register(_servers.close)


def shared_embedding_twin(kind: str) -> EmbeddingTwin:
    """The process's one running `ollama` or `voyage` twin, started on first use."""
    if kind not in _running:
        twin = EmbeddingTwin(kind)
        twin.base_url = _servers.enter_context(serve_in_thread(twin))
        _running[kind] = twin
    return _running[kind]


@pytest.fixture
def ollama_twin() -> EmbeddingTwin:
    """Ollama's `/api/embed` on loopback, reset for this test: set `ollama_base_url=ollama_twin.base_url`."""
    twin = shared_embedding_twin("ollama")
    twin.reset()
    return twin


@pytest.fixture
def voyage_twin() -> EmbeddingTwin:
    """Voyage's `/v1/embeddings` on loopback, reset for this test: set `embedding_base_url=voyage_twin.base_url`."""
    twin = shared_embedding_twin("voyage")
    twin.reset()
    return twin
