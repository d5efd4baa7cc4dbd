"""The embedder contract the providers implement: the `Embedder` protocol, the input kinds and known widths.

Its own module so each provider module can import it without importing the package that builds them
(`build_embedder` imports a provider on first use; a provider importing the package back would be a loop).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

InputType = Literal["document", "query"]

#: Widths of common models, so `dimension` is right before the first call.
KNOWN_DIMENSIONS = {
    "wordllama-l2-256": 256,
    "nomic-embed-text": 768,
    "mxbai-embed-large": 1024,
    "all-minilm": 384,
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
    "voyage-3.5": 1024,
    "voyage-3.5-lite": 1024,
    "voyage-3-large": 1024,
}


class Embedder(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    async def embed(self, texts: list[str], *, input_type: InputType = "document") -> NDArray[np.float32]: ...
