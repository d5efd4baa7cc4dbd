"""Ollama's native `POST {OLLAMA_BASE_URL}/api/embed` (batched `input`, `embeddings` in the reply)."""

from __future__ import annotations

from typing import Any

import httpx

from scriptorium.core.embeddings.remote import RemoteEmbedder
from scriptorium.core.settings import Settings


class OllamaEmbedder(RemoteEmbedder):
    provider = "ollama"

    @classmethod
    def from_settings(cls, settings: Settings, http: httpx.AsyncClient, model: str) -> OllamaEmbedder:
        return cls(
            http=http,
            url=f"{settings.ollama_base_url.rstrip('/')}/api/embed",
            model=model,
            headers=settings.model_headers,
            timeout=settings.llm_timeout_seconds,
            max_retries=settings.llm_max_retries,
        )

    def vectors(self, data: Any) -> list[list[float]]:
        embeddings: list[list[float]] = data["embeddings"]
        return embeddings
