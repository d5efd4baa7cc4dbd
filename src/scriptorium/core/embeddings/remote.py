"""What every HTTP embedder shares: batching, retries with backoff, error mapping and shape checks.

A subclass says where to POST (`url`), what to send (`payload`) and how to read the reply (`vectors`). Calls go
through the process's shared `httpx.AsyncClient` with a per-call timeout of LLM_TIMEOUT_SECONDS; transient
failures are retried LLM_MAX_RETRIES times with the shared policy (`core.http_retry`: 408/425/429/5xx and
transport errors, honouring Retry-After). Batches are sent one after another, which keeps memory flat and is
gentle with rate limits.
"""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
from numpy.typing import NDArray

from scriptorium.core.embeddings._vectors import normalise_rows
from scriptorium.core.embeddings.contract import KNOWN_DIMENSIONS, InputType
from scriptorium.core.errors import ModelError
from scriptorium.core.http_retry import RetryPolicy, raise_for_retryable_status
from scriptorium.core.llm.errors import as_model_error

DEFAULT_BATCH_SIZE = 64


def join_url(base: str, path: str) -> str:
    """`{base}/v1/{path}`, accepting a base given with or without its `/v1`."""
    base = base.rstrip("/")
    return f"{base}/{path}" if base.endswith("/v1") else f"{base}/v1/{path}"


class RemoteEmbedder:
    provider = "remote"

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        url: str,
        model: str,
        headers: dict[str, str],
        timeout: float,
        max_retries: int,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        self.http = http
        self.url = url
        self.model = model
        self.headers = headers
        self.timeout = timeout
        self.retry = RetryPolicy(attempts=max_retries + 1)
        self.batch_size = batch_size
        self._dimension = KNOWN_DIMENSIONS.get(model, 0)

    @property
    def name(self) -> str:
        return f"{self.provider}:{self.model}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def payload(self, texts: list[str], input_type: InputType) -> dict[str, Any]:
        return {"model": self.model, "input": texts}

    def vectors(self, data: Any) -> list[list[float]]:
        """Vectors from an OpenAI-style `{"data": [{"index", "embedding"}]}` reply, in input order."""
        items = sorted(data["data"], key=lambda item: item["index"])
        return [item["embedding"] for item in items]

    async def embed(self, texts: list[str], *, input_type: InputType = "document") -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        parts = [
            await self._call(texts[start : start + self.batch_size], input_type)
            for start in range(0, len(texts), self.batch_size)
        ]
        return normalise_rows(np.vstack(parts))

    async def _call(self, texts: list[str], input_type: InputType) -> NDArray[np.float32]:
        service = f"embeddings:{self.provider}"
        try:
            response = await self._post(self.payload(texts, input_type))
            response.raise_for_status()
            matrix = np.asarray(self.vectors(response.json()), dtype=np.float32)
        except httpx.HTTPError as exc:
            raise as_model_error(exc, service=service) from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"The {self.provider} embedding server sent a malformed reply.", service=service) from exc
        self._check_shape(matrix, len(texts), service)
        return matrix

    async def _post(self, payload: dict[str, Any]) -> httpx.Response:
        return await self.retry.call(self._post_once, payload)

    async def _post_once(self, payload: dict[str, Any]) -> httpx.Response:
        response = await self.http.post(self.url, json=payload, headers=self.headers, timeout=self.timeout)
        raise_for_retryable_status(response)
        return response

    def _check_shape(self, matrix: NDArray[np.float32], count: int, service: str) -> None:
        if matrix.ndim != 2 or matrix.shape[0] != count or matrix.shape[1] == 0:
            raise ModelError(
                f"The {self.provider} embedding server returned {matrix.shape} for {count} texts.", service=service
            )
        width = int(matrix.shape[1])
        if self._dimension == 0:
            self._dimension = width
        elif width != self._dimension:
            raise ModelError(
                f"{self.name!r} returned {width}-dimensional vectors where {self._dimension} were expected; "
                "check EMBEDDING_MODEL and the server's model.",
                service=service,
            )
