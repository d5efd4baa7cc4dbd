"""Shared content helpers: tokens for lexical search, chunk text, vector packing and the content version.

Ingestion and retrieval must tokenise and pack vectors the same way, so both import them from here. The content
version is what a running server checks to notice a re-ingest without a restart.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.companion.models import Series
from scriptorium.core.embeddings import Embedder as Embedder

Vector = NDArray[np.float32]

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
_STOPWORD_TEXT = """a an and are as at be but by did do does for from had has have he her hers him his how i if in
    into is it its me my no not of on or our she so than that the their them then there these they this to was we
    were what when where which who whom why will with you your"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def _stem(word: str) -> str:
    """A deliberately light stemmer: plurals and possessives only, so 'moths', "moth's" and 'moth' meet."""
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """Lower-cased, accent-folded, stopword-free, lightly stemmed word tokens (query and documents alike)."""
    folded = unicodedata.normalize("NFKD", text.replace("’", "'")).encode("ascii", "ignore").decode()
    return [_stem(w) for w in _WORD.findall(folded.lower()) if w not in STOPWORDS]


def page_chunk_text(
    *, episode_number: int, episode_title: str, page_number: int, description: str, text: str, names: Sequence[str]
) -> str:
    """The passage a page contributes to retrieval: where it is, who is on it, what happens, what is said."""
    parts = [f"Episode {episode_number} ({episode_title}), page {page_number}."]
    if names:
        parts.append("Characters: " + ", ".join(names) + ".")
    if description.strip():
        parts.append(description.strip())
    if text.strip():
        parts.append("Dialogue:\n" + text.strip())
    return "\n".join(parts)


def wiki_chunk_text(*, title: str, heading: str, text: str) -> str:
    head = f"{title} — {heading}" if heading and heading.lower() != title.lower() else title
    return f"{head}\n{text.strip()}"


def pack_vector(vector: NDArray[np.floating]) -> bytes:
    """float32 little-endian bytes: the same on every platform and engine."""
    return np.asarray(vector, dtype="<f4").tobytes()


def unpack_vectors(blobs: Iterable[bytes], dimension: int) -> Vector:
    """Stack stored vectors into an (n, dimension) float32 matrix without per-row Python float objects."""
    joined = b"".join(blobs)
    matrix = np.frombuffer(joined, dtype="<f4").astype(np.float32, copy=False)
    return matrix.reshape(-1, dimension) if dimension else matrix.reshape(0, 0)


async def content_version(session: AsyncSession, series_id: str) -> int:
    """The series' content version; caches keyed on it refresh after every ingest."""
    value = await session.scalar(select(Series.content_version).where(Series.id == series_id))
    return int(value or 0)
