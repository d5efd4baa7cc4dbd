"""The embedding seam: texts in, unit-length float32 rows out.

Contract (`Embedder`):
- `name`: provider and model, e.g. `offline:wordllama-l2-256` or `ollama:nomic-embed-text`. Store it, with
  `dimension`, beside every vector you persist, and call `ensure_compatible` before searching or adding, so
  a provider switch is detected instead of silently mixing incomparable vectors.
- `dimension`: the vector width. Remote models missing from `KNOWN_DIMENSIONS` report 0 until their first
  call; after that it is fixed, and a server that changes width mid-life raises ModelError.
- `await embed(texts, input_type="document")`: an `(len(texts), dimension)` float32 array, rows L2-normalised
  (an empty text gives a zero row). Batching is internal. `input_type="query"` matters to Voyage only.
  Failures raise ModelError (`transient=True` for rate limits, 5xx and timeouts, after retries).

Implementations (one module each): `offline` (the bundled WordLlama static model, no network, default),
`ollama` (`POST /api/embed`), `openai` (any OpenAI-compatible `/v1/embeddings`), `voyage`. The process-wide one
is `resources.embedder()` (built with `build_embedder` on first use, see `core.resources`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, assert_never

from scriptorium.core.embeddings.contract import KNOWN_DIMENSIONS, Embedder, InputType
from scriptorium.core.errors import ConfigurationError
from scriptorium.core.settings import Settings

if TYPE_CHECKING:
    import httpx

DEFAULT_MODELS = {
    "offline": "wordllama-l2-256",
    "ollama": "nomic-embed-text",
    "openai": "text-embedding-3-small",
    "voyage": "voyage-3.5",
}

__all__ = ["DEFAULT_MODELS", "KNOWN_DIMENSIONS", "Embedder", "InputType", "build_embedder", "ensure_compatible"]


def build_embedder(settings: Settings, http: httpx.AsyncClient) -> Embedder:
    """The embedder EMBEDDING_PROVIDER asks for; nothing is loaded or contacted until the first `embed`."""
    provider = settings.embedding_provider
    model = settings.embedding_model or DEFAULT_MODELS[provider]
    if provider == "offline":
        from scriptorium.core.embeddings.offline import OfflineEmbedder

        if model != DEFAULT_MODELS["offline"]:
            raise ConfigurationError(
                f"EMBEDDING_MODEL={model!r} is not available offline; leave it empty for "
                f"{DEFAULT_MODELS['offline']!r} or choose EMBEDDING_PROVIDER=ollama, openai or voyage."
            )
        return OfflineEmbedder()
    if provider == "ollama":
        from scriptorium.core.embeddings.ollama import OllamaEmbedder

        return OllamaEmbedder.from_settings(settings, http, model)
    if provider == "openai":
        from scriptorium.core.embeddings.openai import OpenAIEmbedder

        return OpenAIEmbedder.from_settings(settings, http, model)
    if provider == "voyage":
        from scriptorium.core.embeddings.voyage import VoyageEmbedder

        return VoyageEmbedder.from_settings(settings, http, model)
    assert_never(provider)


def ensure_compatible(stored_name: str, stored_dim: int, embedder: Embedder) -> None:
    """Refuse to mix vectors from another embedder: the operator must re-index after switching providers."""
    same_name = stored_name == embedder.name
    same_dim = embedder.dimension in (0, stored_dim)
    if same_name and same_dim:
        return
    raise ConfigurationError(
        f"Stored vectors were made by {stored_name!r} ({stored_dim} dimensions) but the configured embedder is "
        f"{embedder.name!r} ({embedder.dimension or 'unknown'} dimensions); their similarities are meaningless "
        "together. Run `scriptorium companion reindex` to re-embed everything, or set EMBEDDING_PROVIDER and "
        "EMBEDDING_MODEL back to what made the index."
    )
