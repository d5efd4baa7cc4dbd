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
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
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
"""Words kept (256 float32 each: 4 MB at most, fine on a 1 GB Pi; one series' vocabulary is a few thousand)."""
CACHE_VOCABULARIES = 16
"""Stacked vocabulary matrices kept: a page's vocabulary is asked again by every question and chip probe on it,
and stacking a few hundred vectors costs more than the product itself (a few hundred KB each)."""

EmbedSync = Callable[[list[str]], "NDArray[np.float32]"]


class Neighbours:
    """Nearest page words of a question's unmatched words, by cosine of the static model's word vectors."""

    def __init__(self, embed: EmbedSync, *, cache_words: int = CACHE_WORDS) -> None:
        self._embed = embed
        self._vectors: OrderedDict[str, NDArray[np.float32]] = OrderedDict()
        self._matrices: OrderedDict[tuple[str, ...], NDArray[np.float32]] = OrderedDict()
        self._cache_words = cache_words
        self._lock = threading.Lock()
        self.failed = False

    def _vectors_of(self, words: list[str]) -> list[NDArray[np.float32]]:
        with self._lock:
            missing = [w for w in dict.fromkeys(words) if w not in self._vectors]
            if missing:
                for word, vector in zip(missing, self._embed(missing), strict=True):
                    self._vectors[word] = vector
            out = []
            for word in words:
                self._vectors.move_to_end(word)
                out.append(self._vectors[word])
            while len(self._vectors) > self._cache_words:
                self._vectors.popitem(last=False)
            return out

    def _matrix_of(self, words: tuple[str, ...]) -> NDArray[np.float32]:
        import numpy as np

        with self._lock:
            found = self._matrices.get(words)
            if found is not None:
                self._matrices.move_to_end(words)
                return found
        matrix = np.stack(self._vectors_of(list(words)))
        with self._lock:
            self._matrices[words] = matrix
            while len(self._matrices) > CACHE_VOCABULARIES:
                self._matrices.popitem(last=False)
        return matrix

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
            for word, vector in zip(asked_words, self._vectors_of(asked_words), strict=True):
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
