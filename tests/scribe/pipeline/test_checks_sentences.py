"""Sentence spans: every sentence is a verbatim slice of its part, so the UI can find it by substring search."""

from __future__ import annotations

import pytest

from scriptorium.scribe.pipeline.sentences import containing, split, split_draft


@pytest.mark.parametrize(
    "text",
    [
        'Dear Dr. Chen,\n\nI read "Deep sea. Sponges" (2021). It was great! See e.g. the U.S. results.\n\nBest,\nSam',
        "Dear Prof. Müller,\r\nthank you… I’d love to ask: how?\r\n\r\nCheers,\r\nZoë",
        "  leading spaces. And trailing ones.   \n\n\n",
    ],
)
def test_each_sentence_is_the_exact_slice_it_claims_to_be(text: str) -> None:
    sentences = split(text)
    assert sentences
    for sentence in sentences:
        assert text[sentence.start : sentence.end] == sentence.text
        assert sentence.text == sentence.text.strip() and "\n" not in sentence.text


def test_abbreviations_and_quotes_do_not_split_and_lines_do() -> None:
    text = 'Dear Dr. Chen,\nI read "Deep sea. Sponges" and e.g. the U.S. data. Thanks!\nBest,\nSam'
    assert [s.text for s in split(text)] == [
        "Dear Dr. Chen,",
        'I read "Deep sea. Sponges" and e.g. the U.S. data.',
        "Thanks!",
        "Best,",
        "Sam",
    ]


def test_the_subject_comes_first_and_spans_are_found_by_part() -> None:
    sentences = split_draft("About your paper", "Hello there. Bye.")
    assert [(s.part, s.text) for s in sentences] == [
        ("subject", "About your paper"),
        ("body", "Hello there."),
        ("body", "Bye."),
    ]
    bye = "Hello there. Bye.".index("Bye")
    found = containing(sentences, "body", bye, bye + 3)
    assert found is not None and found.text == "Bye."
    assert containing(sentences, "subject", 20, 22) is None  # offsets are per part: the subject ends at 16
