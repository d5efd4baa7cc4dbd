"""Word neighbours for the offline answerer: a question's word the pages never use, matched to page words near it.

The offline answerer scores sentences lexically, so a reader's paraphrase ("contest" for "challenge", "buddy" for
"friend", "fruit" for "berries") matches nothing and the answer falls back to reading the page out. The bundled
static embedder (WordLlama, `core.embeddings.offline`) places words with similar meaning near each other, so a
question word that no candidate sentence contains can be bridged to the candidate words closest to it.

Why words and not whole sentences: a static model averages word vectors, so the cosine of a short question and a
short comic balloon is dominated by filler ("When is the contest?" scores 0.24 against the challenge's date line
and 0.16 against "Happy ?!"), while word-to-word neighbours are sharper (contest ~ challenge 0.29, ~ coffee -0.01).
Only words that match no candidate exactly are expanded, so what the exact match already answers is unchanged;
the neighbour counts for less than the word itself (its weight is its similarity), and only words that appear in
lower case in the passages can be neighbours: names are matched exactly or not at all (the model's sub-word
tokens put "yelling" next to the surname "Vell"). The candidate words come only from the turn's passages, which
are already gated at the cursor, so no new text can reach an answer through this.

Vectors are cached per word for the process (a word's vector never changes for a given model, so content
versions do not matter): the first question on a new page embeds that page's vocabulary (a few hundred short
words, milliseconds), later ones only the question's unmatched words (tens of microseconds each). numpy and the
model load with the first question, never at start-up (tests/test_startup_imports.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

log = logging.getLogger(__name__)

MIN_SIMILARITY = 0.28
"""Below this, the static model's neighbours are mostly noise (measured on the sample's and the real episodes'
vocabulary: contest~challenge 0.29, buddy~friend 0.28, fruit~berries 0.35, but contest~coffee -0.01)."""
TOP_NEIGHBOURS = 2
CACHE_WORDS = 4096
"""Words kept, in one preallocated array (256 float32 each: 4 MB, fine on a 1 GB Pi; one series' vocabulary is a
few thousand). When it is full it starts over: re-embedding a page's words costs milliseconds, once."""

EmbedSync = Callable[[list[str]], "NDArray[np.float32]"]


class Neighbours:
    """Nearest page words of a question's unmatched words, by cosine of the static model's word vectors."""

    def __init__(self, embed: EmbedSync, *, cache_words: int = CACHE_WORDS) -> None:
        self._embed = embed
        self._index: dict[str, int] = {}
        self._rows: NDArray[np.float32] | None = None
        self._cache_words = cache_words
        self._lock = threading.Lock()
        self.failed = False

    def _matrix_of(self, words: Sequence[str]) -> NDArray[np.float32]:
        """The vectors of `words`, one row each, embedding only the words not cached yet."""
        import numpy as np

        with self._lock:
            missing = [w for w in dict.fromkeys(words) if w not in self._index]
            if len(self._index) + len(missing) > self._cache_words:
                self._index.clear()
                missing = list(dict.fromkeys(words))
            if len(missing) > self._cache_words:
                return self._embed(list(words))  # more than the cache holds: nothing kept
            if missing:
                vectors = self._embed(missing)
                if self._rows is None:
                    self._rows = np.zeros((self._cache_words, vectors.shape[1]), dtype=np.float32)
                start = len(self._index)
                self._rows[start : start + len(missing)] = vectors
                self._index.update((word, start + i) for i, word in enumerate(missing))
            assert self._rows is not None
            return self._rows[np.fromiter((self._index[w] for w in words), dtype=np.intp, count=len(words))]

    def near(self, asked: Iterable[str], vocabulary: Iterable[str]) -> dict[str, dict[str, float]]:
        """For each asked word, up to `TOP_NEIGHBOURS` vocabulary words at `MIN_SIMILARITY` or closer, with the
        similarity. Any failure of the embedder means no neighbours (the lexical answer stands), logged once."""
        asked_words = sorted(set(asked))
        words = tuple(sorted(set(vocabulary) - set(asked_words)))
        if not asked_words or not words or self.failed:
            return {}
        try:
            import numpy as np

            matrix = self._matrix_of(words)
            found: dict[str, dict[str, float]] = {}
            for word, vector in zip(asked_words, self._matrix_of(asked_words), strict=True):
                similarity = matrix @ vector
                best = np.argsort(-similarity, kind="stable")[:TOP_NEIGHBOURS]
                close = {words[i]: float(similarity[i]) for i in best if similarity[i] >= MIN_SIMILARITY}
                if close:
                    found[word] = close
            return found
        except Exception:
            self.failed = True
            log.warning("companion: word neighbours unavailable; offline answers match words exactly", exc_info=True)
            return {}


_SHARED: dict[str, Neighbours] = {}


def neighbours_for(name: str, embed: EmbedSync) -> Neighbours:
    """The process-wide `Neighbours` of one embedding model (its word cache is shared by every session)."""
    found = _SHARED.get(name)
    if found is None:
        found = _SHARED.setdefault(name, Neighbours(embed))
    return found


def expansion(near: Mapping[str, Mapping[str, float]], stem: Callable[[str], str]) -> dict[str, tuple[str, float]]:
    """Candidate term -> (the question term it stands for, weight): the closest asked word wins a shared term."""
    out: dict[str, tuple[str, float]] = {}
    for word, close in near.items():
        for neighbour, similarity in close.items():
            term = stem(neighbour)
            if term not in out or out[term][1] < similarity:
                out[term] = (stem(word), similarity)
    return out
