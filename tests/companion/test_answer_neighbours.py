"""Paraphrase bridging in offline answers: a question word no passage uses stands for the page words nearest it.

Uses the real bundled static model (`OfflineEmbedder`, loaded once per module, ~1 s), because what is under test
is whether its neighbours bridge real paraphrases and stay off names; a hand-made vector table would only test
itself. The question set (tests/companion/test_question_set.py) measures the same on whole comics.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from numpy.typing import NDArray

from scriptorium.companion.answer import Passage, Turn
from scriptorium.companion.answer_offline import NOT_FOUND_INTRO, compose, select
from scriptorium.companion.boundary import Cursor
from scriptorium.companion.semantic import Neighbours
from scriptorium.companion.service_chat import word_neighbours
from scriptorium.core.embeddings.offline import OfflineEmbedder

EMBEDDER = OfflineEmbedder()


@pytest.fixture(scope="module")
def neighbours() -> Neighbours:
    return Neighbours(EMBEDDER.embed_sync)


def page(n: int, text: str, role: str = "visible") -> Passage:
    return Passage(f"p-{n}", "page", role, text, n - 1, f"page {n}", "ep3", 3, n)  # type: ignore[arg-type]


def turn(question: str, passages: list[Passage], near: Neighbours | None) -> Turn:
    return Turn("page", question, Cursor("s", 5), "Pepper&Carrot", "Ep", 3, (5,), "", tuple(passages), neighbours=near)


SHOPPING = page(
    5,
    "First, I need a few pearls of mist from those black clouds.\n"
    "And some red berries from the haunted jungle.\nSPLASH",
)


def test_a_paraphrase_is_answered_from_the_sentence_it_means_and_not_by_reading_the_page_out(
    neighbours: Neighbours,
) -> None:
    bridged = turn("What fruit is she after?", [SHOPPING], neighbours)
    text = compose(bridged, select(bridged))
    assert "red berries" in text and "pearls" not in text and NOT_FOUND_INTRO not in text, text
    # Exact words only: nothing matches "fruit", so the page on screen is read out instead.
    exact = replace(bridged, neighbours=None)
    assert compose(exact, select(exact)).startswith(NOT_FOUND_INTRO)


def test_a_word_the_question_shares_with_the_page_is_matched_as_before(neighbours: Neighbours) -> None:
    asked = turn("Where do the pearls come from?", [SHOPPING], neighbours)
    assert compose(asked, select(asked)) == compose(replace(asked, neighbours=None), select(asked))


def test_names_are_never_neighbours_only_lower_case_words_of_the_passages(neighbours: Neighbours) -> None:
    # The model's sub-word tokens put "yelling" near the surname "Vell" (0.35) as well as near "shouting" (0.46).
    scene = page(5, "Osric Vell sits by the fire.\nMarlo is shouting from the pier.")
    asked = turn("Why is everyone yelling?", [scene], neighbours)
    text = compose(asked, select(asked))
    assert "Marlo is shouting" in text and "Vell" not in text, text


def test_answers_with_neighbours_are_deterministic_and_quote_only_the_turns_passages(neighbours: Neighbours) -> None:
    earlier = page(2, "The contest is held on the Grand Plaza. Pepper buys four pumpkinstars.", role="earlier")
    asked = turn("When is the challenge?", [SHOPPING, earlier], neighbours)
    first = select(asked)
    assert [c.text for c in first] == [c.text for c in select(asked)]
    assert all(c.passage in asked.passages for c in first)


def test_a_failing_embedder_leaves_exact_word_answers() -> None:
    calls: list[list[str]] = []

    def broken(words: list[str]) -> NDArray[np.float32]:
        calls.append(words)
        raise RuntimeError("model file missing")

    near = Neighbours(broken)
    asked = turn("What fruit is she after?", [SHOPPING], near)
    assert compose(asked, select(asked)).startswith(NOT_FOUND_INTRO)
    select(asked)
    assert near.failed and len(calls) == 1  # tried once, then exact words only


def test_word_vectors_are_cached_and_bounded() -> None:
    embedded: list[str] = []

    def embed(words: list[str]) -> NDArray[np.float32]:
        embedded.extend(words)
        return EMBEDDER.embed_sync(words)

    near = Neighbours(embed, cache_words=4)
    near.near(["fruit"], ["berries", "mist"])
    near.near(["fruit"], ["berries", "mist"])
    assert sorted(embedded) == ["berries", "fruit", "mist"]  # the second question embedded nothing
    near.near(["kid"], ["child", "boy", "cloud"])
    assert len(near._vectors) <= 4


def test_only_the_bundled_local_model_gets_neighbours() -> None:
    class Remote:
        name = "ollama:nomic-embed-text"
        dimension = 768

        def embed_sync(self, texts: list[str]) -> NDArray[np.float32]:  # pragma: no cover - must not be called
            raise AssertionError("a network embedder inside an answer")

    assert word_neighbours(Remote()) is None  # type: ignore[arg-type]
    assert isinstance(word_neighbours(EMBEDDER), Neighbours)
