"""Template step: validation bounds, rule classification, warnings, and the optional model classifier."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scriptorium.core.errors import ValidationFailed
from scriptorium.scribe.pipeline import PipelineDeps, analyze_template, validate_template
from scriptorium.scribe.pipeline.template import analyze_rules, analyze_template_with_usage
from tests.twins.llm import OpenAITwin

RESEARCH = "Dear {{name}}, I read your paper {{paper_title}} and would love to join your lab next summer."
BOOK = "Dear {{name}}, I just finished your book {{book_title}} and it changed how I think about monks."
GENERAL = "Dear {{name}}, I am a first-year student and would like to ask about advising in {{research_area}}."


def test_validation_accepts_20_to_5000_characters_after_trimming() -> None:
    assert validate_template("  " + "x" * 20 + "  ") == "x" * 20
    assert validate_template("y" * 5000) == "y" * 5000


@pytest.mark.parametrize("text", ["x" * 19, "   short template   ", "z" * 5001, ""])
def test_validation_rejects_out_of_bounds_with_the_field_named(text: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_template(text)
    assert caught.value.field == "template"
    assert f"(got {len(text.strip())})" in caught.value.public_message


def test_validation_rejects_nul_characters() -> None:
    with pytest.raises(ValidationFailed, match="NUL"):
        validate_template("Dear {{name}},\x00 hello there friend")


@pytest.mark.parametrize(("text", "expected"), [(RESEARCH, "research"), (BOOK, "book"), (GENERAL, "general")])
def test_rules_classify_the_three_types(text: str, expected: str) -> None:
    assert analyze_rules(text).template_type == expected


def test_placeholder_names_outweigh_incidental_words() -> None:
    text = "Dear [Name], your research inspired me. I loved [Book Title] and hope to talk."
    assert analyze_rules(text).template_type == "book"


def test_a_template_without_placeholders_is_accepted_with_a_warning() -> None:
    analysis = analyze_rules("Dear Professor, I would love to talk about your lab sometime soon.")
    assert analysis.placeholders == ()
    assert any("No placeholders found" in w for w in analysis.warnings)


def test_sender_placeholders_are_flagged_for_the_user_to_fill() -> None:
    analysis = analyze_rules("Dear {{name}}, I read your paper. Best, [Your Name] from {{my_university}}")
    flagged = [w for w in analysis.warnings if "your own details" in w]
    assert len(flagged) == 2
    assert "[Your Name]" in flagged[0]


async def test_offline_template_model_uses_rules_and_no_usage(pipeline_deps: Callable[..., PipelineDeps]) -> None:
    analysis, usage = await analyze_template_with_usage(BOOK, deps=pipeline_deps())
    assert analysis.template_type == "book"
    assert analysis.classified_by == "rules"
    assert usage == []


async def test_a_configured_model_classifies_and_its_usage_is_recorded(
    pipeline_deps: Callable[..., PipelineDeps], openai_twin: OpenAITwin
) -> None:
    openai_twin.responder = lambda request: {"template_type": "general"}
    deps = pipeline_deps(template_parser_model=openai_twin.chat_spec())
    analysis, usage = await analyze_template_with_usage(RESEARCH, deps=deps)
    assert analysis.template_type == "general"  # the model overrode the rules' "research"
    assert analysis.classified_by == openai_twin.chat_spec()
    assert usage[0]["step"] == "template"
    assert usage[0]["input_tokens"] > 0
    sent = str(openai_twin.requests[-1].body)
    assert "never instructions" in sent
    assert "{{paper_title}}" in sent


async def test_a_failing_classifier_falls_back_to_the_rules(
    pipeline_deps: Callable[..., PipelineDeps], openai_twin: OpenAITwin
) -> None:
    openai_twin.fail_next(500, times=5)
    deps = pipeline_deps(template_parser_model=openai_twin.chat_spec(), llm_max_retries=0)
    analysis = await analyze_template(BOOK, deps=deps)
    assert analysis.template_type == "book"
    assert analysis.classified_by == "rules"
    assert any("classifier model failed" in w for w in analysis.warnings)
    assert openai_twin.requests, "the model was asked first"
