"""Row normalisation shared by every embedder, so cosine similarity is a plain dot product downstream."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def normalise_rows(matrix: NDArray[np.floating]) -> NDArray[np.float32]:
    """Scale each row to unit L2 length as float32; all-zero rows (empty texts) stay zero instead of NaN."""
    rows = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    out: NDArray[np.float32] = np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0)
    return out
