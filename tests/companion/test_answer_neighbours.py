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

from scriptorium.companion.boundary import Cursor
from scriptorium.companion.chat.context import word_neighbours
from scriptorium.companion.chat.offline import NOT_FOUND_INTRO, compose, select
from scriptorium.companion.chat.semantic import Neighbours
from scriptorium.companion.chat.turn import Passage, Turn
from scriptorium.core.embeddings.offline import OfflineEmbedder

EMBEDDER = OfflineEmbedder()


@pytest.fixture(scope="module")
def neighbours() -> Neighbours:
    return Neighbours(EMBEDDER.embed_sync)


def page(n: int, text: str, role: str = "visible") -> Passage:
    return Passage(f"p-{n}", "page", role, text, n - 1, f"page {n}", "ep3", 3, n)  # type: ignore[arg-type]


def turn(question: str, passages: list[Passage], near: Neighbours | None) -> Turn:
    return Turn("page", question, Cursor("s", 5), "Pepper&Carrot", "Ep", 3, (5,), "", tuple(passages), neighbours=near)


LIST = page(5, "And some red berries from the haunted jungle.\nSPLASH\nFirst, I need a few pearls of mist.")
"""The berries are not the balloon after the "need" line, which joins an answer as its reply."""
SHOPPING = page(
    5,
    "First, I need a few pearls of mist from those black clouds.\n"
    "And some red berries from the haunted jungle.\nSPLASH",
)


def after_intro(text: str) -> str:
    assert text.startswith(NOT_FOUND_INTRO), text
    return text.removeprefix(NOT_FOUND_INTRO).strip()


def test_a_neighbour_ranks_the_sentence_it_means_among_exact_matches(neighbours: Neighbours) -> None:
    bridged = turn("What fruit does she need?", [LIST], neighbours)
    text = compose(bridged, select(bridged))
    assert "red berries" in text and NOT_FOUND_INTRO not in text, text
    exact = replace(bridged, neighbours=None)
    assert "red berries" not in compose(exact, select(exact))  # "need" alone picks the pearls


def test_a_paraphrase_alone_reads_the_page_on_screen_with_the_sentence_it_means_first(neighbours: Neighbours) -> None:
    bridged = turn("What fruit is she after?", [SHOPPING], neighbours)
    assert after_intro(compose(bridged, select(bridged))).startswith("And some red berries")
    exact = replace(bridged, neighbours=None)
    assert after_intro(compose(exact, select(exact))).startswith("First, I need a few pearls")


def test_in_page_mode_a_neighbour_counts_only_on_the_page_on_screen(neighbours: Neighbours) -> None:
    earlier = page(2, "The contest starts tomorrow on the Grand Plaza.", role="earlier")
    asked = turn("When is the challenge?", [SHOPPING, earlier], neighbours)  # challenge ~ contest (0.29)
    text = compose(asked, select(asked))
    assert "Grand Plaza" not in text and after_intro(text).startswith("First, I need"), text


def test_in_wiki_mode_a_neighbour_finds_the_section_it_means(neighbours: Neighbours) -> None:
    wiki = [
        Passage("w-1", "wiki", "wiki", "Red berries grow only in the haunted jungle.", 0, "Berries"),
        Passage("w-2", "wiki", "wiki", "Pearls of mist form in black clouds.", 0, "Mist"),
    ]
    asked = replace(turn("Where is the fruit found?", wiki, neighbours), mode="wiki")
    assert compose(asked, select(asked)) == "Red berries grow only in the haunted jungle. [Berries]"
    exact = replace(asked, neighbours=None)
    assert compose(exact, select(exact)) == "The wiki entries you have unlocked so far don't cover that."


def test_names_are_never_neighbours_only_lower_case_words_of_the_passages(neighbours: Neighbours) -> None:
    # The model's sub-word tokens put "yelling" near the surname "Vell" (0.35) as well as near "shouting" (0.46).
    scene = page(5, "Osric Vell sits by the fire.\nMarlo is shouting from the pier.")
    asked = turn("Why is everyone yelling?", [scene], neighbours)
    assert after_intro(compose(asked, select(asked))).startswith("Marlo is shouting")


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
    asked = turn("What fruit does she need?", [LIST], near)
    assert "red berries" not in compose(asked, select(asked))
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
    assert len(near._index) <= 4


def test_only_the_bundled_local_model_gets_neighbours() -> None:
    class Remote:
        name = "ollama:nomic-embed-text"
        dimension = 768

        def embed_sync(self, texts: list[str]) -> NDArray[np.float32]:  # pragma: no cover - must not be called
            raise AssertionError("a network embedder inside an answer")

    assert word_neighbours(Remote()) is None  # type: ignore[arg-type]
    assert isinstance(word_neighbours(EMBEDDER), Neighbours)
