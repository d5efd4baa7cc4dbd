"""Voyage AI's `POST /v1/embeddings`, which embeds queries and documents differently (`input_type`).

Only the API key is sent: Voyage is a hosted API, so the Modal proxy headers (meant for our own GPU
endpoints) stay home.
"""

from __future__ import annotations

from typing import Any

import httpx

from scriptorium.core.embeddings.contract import InputType
from scriptorium.core.embeddings.remote import RemoteEmbedder, join_url
from scriptorium.core.errors import ConfigurationError
from scriptorium.core.settings import Settings

VOYAGE_URL = "https://api.voyageai.com"


class VoyageEmbedder(RemoteEmbedder):
    provider = "voyage"

    @classmethod
    def from_settings(cls, settings: Settings, http: httpx.AsyncClient, model: str) -> VoyageEmbedder:
        key = settings.voyage_api_key.get_secret_value()
        if not key:
            raise ConfigurationError("VOYAGE_API_KEY is required for EMBEDDING_PROVIDER=voyage.")
        return cls(
            http=http,
            url=join_url(settings.embedding_base_url or VOYAGE_URL, "embeddings"),
            model=model,
            headers={"Authorization": f"Bearer {key}"},
            timeout=settings.llm_timeout_seconds,
            max_retries=settings.llm_max_retries,
        )

    def payload(self, texts: list[str], input_type: InputType) -> dict[str, Any]:
        return {"model": self.model, "input": texts, "input_type": input_type}
