"""The default embedder: WordLlama's static `l2_supercat` 256-d model, shipped inside the `wordllama` wheel.

A static model averages per-token vectors, so it needs no neural network: ~55 MB with its imports and tens of
thousands of short texts per second on one core (see docs/bench/embeddings.md), which suits a 1 GB Pi.

WordLlama looks for its tokenizer in a misnamed folder (`tokenizer/` instead of the bundled `tokenizers/`)
and then *downloads it from Hugging Face*. We point `cache_dir` at the package itself, where both files
live, and pass `disable_download=True`, so a missing file is an error, never a network call. Importing
wordllama calls `logging.basicConfig(level=INFO)`; a temporary handler keeps it from configuring our logging.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from scriptorium.core.embeddings._vectors import normalise_rows
from scriptorium.core.embeddings.contract import InputType
from scriptorium.core.errors import ConfigurationError

if TYPE_CHECKING:
    from wordllama import WordLlamaInference

CONFIG = "l2_supercat"
DIMENSION = 256
#: Texts are cut here: a mean of static word vectors over more text says little, and padding a batch to
#: one huge text would cost batch x tokens x 1 KB of memory.
MAX_CHARS = 16_000
#: Padded characters per batch (texts are sorted by length first, so padding waste stays small). Small batches
#: stay in CPU cache: 8k was both fastest and ~55 MB lighter at peak than 64k (bench/embeddings.py).
BATCH_CHARS = 8_000
#: Up to this many characters in all, a loaded model embeds on the calling thread (a question: well under 1 ms).
INLINE_CHARS = 2_000


def _import_wordllama() -> Any:
    root = logging.getLogger()
    guard = None if root.handlers else logging.NullHandler()
    if guard is not None:
        root.addHandler(guard)
    try:
        import wordllama
    finally:
        if guard is not None:
            root.removeHandler(guard)
    return wordllama


def load_model() -> WordLlamaInference:
    """Load the bundled model from the installed package, never from the network, keeping its weights float16.

    The weights ship as float16 (16 MB). `WordLlama.load` widens them to float32 (33 MB) in
    `WordLlamaInference.__init__`, and narrowing that copy afterwards still costs a ~50 MB moment while all three
    arrays are alive. So we take WordLlama's own file resolution and tokenizer loader and build the inference
    object around the float16 array as read. Its pooling multiplies by a float32 mask and sums in float32, so
    each row is widened exactly where it is used and the vectors are bit-identical (a test checks against the
    float32 model). Bulk embedding is ~40% slower; a query still takes ~60 µs.
    """
    wordllama = _import_wordllama()
    from safetensors import safe_open
    from wordllama.inference import WordLlamaInference

    class HalfPrecisionInference(WordLlamaInference):  # type: ignore[misc]
        def __init__(self, embedding: NDArray[np.float16], tokenizer: Any) -> None:
            # The parent's __init__ without its `embedding.astype(np.float32)`.
            self.binary = False
            self.embedding = embedding
            self.tokenizer = tokenizer
            self.tokenizer.enable_padding()
            self.tokenizer.no_truncation()

    loader = wordllama.WordLlama
    uri = getattr(loader._wordllama, CONFIG)

    def bundled(file_type: str, remote_name: str | None) -> Path:
        path: Path = loader.resolve_file(
            config_name=CONFIG,
            model_uri=uri,
            dim=DIMENSION,
            binary=False,
            file_type=file_type,
            cache_dir=Path(wordllama.__file__).parent,
            remote_filename=remote_name,
            disable_download=True,
        )
        return path

    try:
        weights = bundled("weights", uri.remote_filename)
        tokenizer_file = bundled("tokenizer", uri.remote_tokenizer_filename)
    except FileNotFoundError as exc:
        raise ConfigurationError(
            "The offline embedding model is missing from the installed `wordllama` package; reinstall it "
            "(`pip install --force-reinstall wordllama`) or set EMBEDDING_PROVIDER to a server."
        ) from exc
    with safe_open(weights, framework="np", device="cpu") as tensors:
        embedding = np.ascontiguousarray(tensors.get_tensor(uri.tensor_key), dtype=np.float16)
    model: WordLlamaInference = HalfPrecisionInference(embedding, loader.load_tokenizer(tokenizer_file))
    return model


def batches(texts: list[str], max_chars: int = BATCH_CHARS) -> list[list[int]]:
    """Group text indices, shortest first, into batches whose padded size stays under `max_chars`."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    groups: list[list[int]] = []
    current: list[int] = []
    for index in order:
        longest = max(len(texts[index]), 1)
        if current and (len(current) + 1) * longest > max_chars:
            groups.append(current)
            current = []
        current.append(index)
    if current:
        groups.append(current)
    return groups


class OfflineEmbedder:
    """WordLlama in a worker thread, loaded on first use and then shared by every caller in the process."""

    name = f"offline:wordllama-l2-{DIMENSION}"
    dimension = DIMENSION

    def __init__(self, *, batch_chars: int = BATCH_CHARS) -> None:
        self.batch_chars = batch_chars
        self._model: WordLlamaInference | None = None
        self._lock = threading.Lock()

    def _loaded(self) -> WordLlamaInference:
        with self._lock:
            if self._model is None:
                self._model = load_model()
            return self._model

    def embed_sync(self, texts: list[str]) -> NDArray[np.float32]:
        """The blocking work: run it in a thread (`embed` does)."""
        model = self._loaded()
        clipped = [text[:MAX_CHARS] for text in texts]
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for group in batches(clipped, self.batch_chars):
            vectors = model.embed([clipped[i] for i in group], norm=False, batch_size=len(group))
            out[group] = np.nan_to_num(np.asarray(vectors, dtype=np.float32))
        return normalise_rows(out)

    async def embed(self, texts: list[str], *, input_type: InputType = "document") -> NDArray[np.float32]:
        """Short inputs (a reader's question) inline once the model is loaded; loading and bulk work in a thread.

        A question takes ~60 µs to embed, while a trip to a worker thread and back costs milliseconds on a busy
        event loop (the thread and the loop take turns holding the GIL), so inline is the faster and fairer way.
        """
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        if self._model is not None and sum(len(text) for text in texts) <= INLINE_CHARS:
            return self.embed_sync(list(texts))
        return await asyncio.to_thread(self.embed_sync, list(texts))
