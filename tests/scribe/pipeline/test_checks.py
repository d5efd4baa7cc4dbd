"""The deterministic checks, one rule at a time, on hand-built drafts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scriptorium.scribe.pipeline.checks import (
    check_claims,
    check_length,
    check_links,
    check_placeholders,
    check_recipient_name,
    check_style,
    check_titles,
    cited_titles,
)
from scriptorium.scribe.pipeline.style import new_tells, tells
from scriptorium.scribe.pipeline.types import Addressee, Claim, Draft, Evidence, ResearchSource

WHEN = datetime(2026, 6, 1, tzinfo=UTC)
PAPER = "A novel coevolution method for robust folding"
EVIDENCE = Evidence(
    sources=[
        ResearchSource("S1", "openalex", "https://doi.org/10.5555/jmb.2025.0311", PAPER, WHEN, "abstract"),
        ResearchSource(
            "S2", "arxiv", "http://arxiv.org/abs/2410.04417v2", "Diffusion models for disordered proteins", WHEN, ""
        ),
        ResearchSource("S3", "web", "https://www.northbridge.example/people/mchen", "Maria Chen", WHEN, "bio"),
    ],
    facts=[],
    author_verified=True,
)
RECIPIENT = Addressee("Dr. María Chen", "robust protein design", email="mchen@northbridge.example")


def draft(body: str, subject: str = "Hello", claims: list[Claim] | None = None) -> Draft:
    return Draft(subject=subject, body=body, claims=claims or [], composer="offline")


def test_leftover_placeholders_fail_and_are_named() -> None:
    result = check_placeholders(draft("Dear Chen, about [Paper Title] and <Topic>."), ("{{name}}",))
    assert not result.passed
    assert result.message == "Placeholders left to fill: [Paper Title], <Topic>."
    assert check_placeholders(draft("Dear Chen,<br>thanks"), ("{{name}}",)).passed


def test_a_template_placeholder_left_in_the_subject_fails() -> None:
    assert not check_placeholders(draft("Dear Chen", subject="About {{paper_title}}"), ("{{paper_title}}",)).passed


def test_recipient_name_is_matched_without_accents_or_honorifics() -> None:
    assert check_recipient_name(draft("Dear Professor Chen,"), RECIPIENT).passed
    assert check_recipient_name(draft("Dear Dr. CHÉN,"), RECIPIENT).passed
    result = check_recipient_name(draft("Dear Professor,"), RECIPIENT)
    assert not result.passed
    assert "(Chen)" in result.message


def test_cited_titles_are_quoted_or_emphasised_spans_of_two_words_or_more() -> None:
    text = 'I read "A novel coevolution method" and *Diffusion models for proteins* and “Ink and Cloister” and "hi".'
    assert cited_titles(text) == ["A novel coevolution method", "Diffusion models for proteins", "Ink and Cloister"]


def test_titles_must_be_in_the_sources_loosely_matched() -> None:
    ok = draft(f'I loved "{PAPER.lower()}" and "Diffusion Models for Disordered Proteins."')
    assert check_titles(ok, EVIDENCE, "template").passed
    bad = check_titles(draft('I loved "Ink and Cloister: Scribal Networks".'), EVIDENCE, "template")
    assert not bad.passed
    assert "Ink and Cloister" in bad.message
    assert check_titles(draft('I loved "Your Big Book".'), EVIDENCE, 'Template quoting "Your Big Book".').passed


def test_claims_need_known_sources() -> None:
    assert check_claims(draft("x", claims=[Claim("a", ("S1", "S2"))]), EVIDENCE).passed
    assert not check_claims(draft("x", claims=[Claim("a", ())]), EVIDENCE).passed
    assert not check_claims(draft("x", claims=[Claim("a", ("S1", "S7"))]), EVIDENCE).passed


@pytest.mark.parametrize(
    "body",
    [
        "See https://arxiv.org/abs/2410.04417 for details.",  # a source URL, version suffix ignored
        "Your page https://northbridge.example/people/mchen/ was helpful.",
        "My site is https://sam.example/portfolio.",  # in the template
        "Reply to mchen@northbridge.example or sam@student.example.",  # recipient's and template's addresses
        "I saw your work on northbridge.example.",  # a source's host
    ],
)
def test_links_from_the_template_sources_or_recipient_pass(body: str) -> None:
    template = "My site is https://sam.example/portfolio. Write to sam@student.example."
    assert check_links(draft(body), EVIDENCE, template, RECIPIENT).passed


@pytest.mark.parametrize(
    ("body", "stray"),
    [
        ("Apply at http://evil.example/apply now.", "http://evil.example/apply"),
        ("Send details to grants@evil.example today.", "grants@evil.example"),
        ("Visit evil.example/apply-now for the form.", "evil.example"),
        ("See https://doi.org/10.5555/other for more.", "https://doi.org/10.5555/other"),
    ],
)
def test_any_other_link_or_address_fails(body: str, stray: str) -> None:
    result = check_links(draft(body), EVIDENCE, "template", RECIPIENT)
    assert not result.passed
    assert stray in result.message


def test_style_tells_count_only_beyond_the_template_and_outside_protected_text() -> None:
    template = "Hi; I hope this email finds you well."
    body = f'Hi; I hope this email finds you well. I read "{PAPER}" on robust protein design.'
    assert check_style(draft(body), template, EVIDENCE, RECIPIENT).passed  # all tells are the template's or quoted
    extra = check_style(
        draft(body + " It is groundbreaking; truly — I want to delve in…"), template, EVIDENCE, RECIPIENT
    )
    assert not extra.passed
    for tell in ('"groundbreaking"', "semicolon ×1", "em dash", '"delve"', "ellipsis"):
        assert tell in extra.message


def test_tell_words_match_inflections_but_not_unrelated_words() -> None:
    assert tells("We leveraged it, utilizing robustly.") == {'"leverage"': 1, '"utilize"': 1, '"robust"': 1}
    assert tells("A novelty of harnesses? No: a deliverable.") == {'"harness"': 1}
    assert new_tells("I'm reaching out to you", "I’m reaching out to you", []) == {}


def test_length_bounds_follow_the_template() -> None:
    template = "Dear {{name}}, " + "I would like to ask about your lab. " * 5
    raws = ("{{name}}",)
    assert check_length(draft(template.replace("{{name}}", "Maria Chen")), template, raws).passed
    short = check_length(draft("Dear Maria Chen, hi."), template, raws)
    assert not short.passed
    assert "expected" in short.message
    assert not check_length(draft("x" * 2000), template, raws).passed
    assert not check_length(draft(template, subject=""), template, raws).passed
    assert not check_length(draft(template, subject="two\nlines"), template, raws).passed
