"""The process's typed provider cache: each provider is built once, under its own key, and can be provided."""

from __future__ import annotations

from collections.abc import Callable

from scriptorium.core.embeddings.offline import OfflineEmbedder
from scriptorium.core.resources import EMBEDDER, CacheKey, open_resources
from scriptorium.core.settings import Settings


async def test_a_provider_is_built_once_per_key(make_settings: Callable[..., Settings]) -> None:
    first: CacheKey[list[int]] = CacheKey("numbers")
    same_name: CacheKey[list[int]] = CacheKey("numbers")
    async with open_resources(make_settings()) as resources:
        one = resources.cached(first, lambda: [1])
        assert resources.cached(first, lambda: [2]) is one
        assert resources.cached(same_name, lambda: [3]) == [3]  # keys are objects: a shared name is no collision


async def test_the_embedder_is_built_from_settings_once_or_provided(make_settings: Callable[..., Settings]) -> None:
    async with open_resources(make_settings(embedding_provider="offline")) as resources:
        embedder = resources.embedder()
        assert isinstance(embedder, OfflineEmbedder)
        assert resources.embedder() is embedder
    provided = OfflineEmbedder()
    async with open_resources(make_settings()) as resources:
        resources.provide(EMBEDDER, provided)
        assert resources.embedder() is provided
