"""Any OpenAI-compatible `POST /v1/embeddings`: OpenAI itself, or vLLM, llama.cpp, LiteLLM via EMBEDDING_BASE_URL."""

from __future__ import annotations

from typing import Any

import httpx

from scriptorium.core.embeddings.contract import InputType
from scriptorium.core.embeddings.remote import RemoteEmbedder, join_url
from scriptorium.core.errors import ConfigurationError
from scriptorium.core.settings import Settings

OPENAI_URL = "https://api.openai.com/v1"


class OpenAIEmbedder(RemoteEmbedder):
    provider = "openai"

    @classmethod
    def from_settings(cls, settings: Settings, http: httpx.AsyncClient, model: str) -> OpenAIEmbedder:
        key = settings.openai_api_key.get_secret_value()
        if not key and not settings.embedding_base_url:
            raise ConfigurationError(
                "OPENAI_API_KEY is required for EMBEDDING_PROVIDER=openai, unless EMBEDDING_BASE_URL points at "
                "a compatible server that needs no key."
            )
        headers = {**settings.model_headers, "Authorization": f"Bearer {key or 'none'}"}
        return cls(
            http=http,
            url=join_url(settings.embedding_base_url or OPENAI_URL, "embeddings"),
            model=model,
            headers=headers,
            timeout=settings.llm_timeout_seconds,
            max_retries=settings.llm_max_retries,
        )

    def payload(self, texts: list[str], input_type: InputType) -> dict[str, Any]:
        return {"model": self.model, "input": texts, "encoding_format": "float"}
