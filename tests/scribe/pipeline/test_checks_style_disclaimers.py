"""The model-disclaimer family of AI tells: the assistant speaking about itself, reworded or not."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scriptorium.scribe.pipeline.checks import check_style
from scriptorium.scribe.pipeline.style import tells
from scriptorium.scribe.pipeline.types import Draft, Evidence, Recipient, Source

WHEN = datetime(2026, 6, 1, tzinfo=UTC)
EVIDENCE = Evidence(
    sources=[Source("S1", "openalex", "https://doi.org/10.5555/x", "Soil carbon under cover crops", WHEN, "")],
    facts=[],
    author_verified=True,
)
RECIPIENT = Recipient("Maria Chen", "soil carbon")
TEMPLATE = "Dear {{name}}, I read your paper and would like to ask two questions about it. Thanks, Sam"


@pytest.mark.parametrize(
    ("sentence", "family"),
    [
        (
            "As an AI language model, I do not have personal opinions, but your paper seems important.",
            "model disclaimer",
        ),
        ("Being an AI, I lack personal experiences of fieldwork.", "model disclaimer"),
        ("As a large language model I can only summarise what I was given.", "model disclaimer"),
        ("I'm a virtual assistant, so I may be missing details.", "model disclaimer"),
        ("I cannot browse the internet, so I relied on the abstract.", "capability disclaimer"),
        ("I'm unable to access your latest publications.", "capability disclaimer"),
        ("I don’t have real-time information about your lab.", "capability disclaimer"),
        ("As of my last knowledge update, you led the soil group.", "knowledge cutoff"),
        ("My training data suggests you moved to Northbridge.", "knowledge cutoff"),
        ("Here is a personalized draft email for Professor Chen:", "assistant chatter"),
        ("Feel free to adjust the tone before sending.", "assistant chatter"),
        ("I hope this note reaches you in good health.", "stock opener"),
    ],
)
def test_disclaimers_and_chat_framing_fail_the_style_check_with_their_sentence(sentence: str, family: str) -> None:
    body = f"Dear Maria Chen,\n{sentence}\nI would like to ask two questions about your paper.\nThanks, Sam"
    result = check_style(Draft("Hello", body, [], "model"), TEMPLATE, EVIDENCE, RECIPIENT)
    assert not result.passed
    assert family in result.message
    assert sentence in result.sentences


@pytest.mark.parametrize(
    "sentence",
    [
        "As an AI researcher myself, I admired the method.",
        "As a research assistant in the Lee lab, I ran similar assays.",
        "I cannot wait to hear what you think.",
        "I do not know much about cover crops yet.",
        "I was unable to attend your talk last spring.",
    ],
)
def test_human_sentences_about_ai_work_or_limits_are_not_disclaimers(sentence: str) -> None:
    assert tells(sentence) == {}


def test_the_originals_stock_phrase_counts_once_and_only_beyond_the_template() -> None:
    assert tells("I hope this email finds you well.") == {'"I hope this email finds you well"': 1}
    template = "I hope this email finds you well. " + TEMPLATE
    body = "I hope this email finds you well. Dear Maria Chen, I would like to ask two questions. Thanks, Sam"
    assert check_style(Draft("Hello", body, [], "model"), template, EVIDENCE, RECIPIENT).passed
