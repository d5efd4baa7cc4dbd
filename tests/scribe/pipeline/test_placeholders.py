"""Placeholder detection: the three forms, and the look-alikes that must not count."""

from __future__ import annotations

import pytest

from scriptorium.scribe.pipeline.placeholders import fill, find_placeholders


def raws(text: str) -> list[str]:
    return [p.raw for p in find_placeholders(text)[0]]


def test_three_forms_in_order_of_appearance_each_once() -> None:
    text = "Dear <Professor Name>, I read [Paper Title] on {{ research_area }}. Again: [Paper Title]."
    found = find_placeholders(text)[0]
    assert [(p.raw, p.name, p.form) for p in found] == [
        ("<Professor Name>", "Professor Name", "angle"),
        ("[Paper Title]", "Paper Title", "square"),
        ("{{ research_area }}", "research_area", "curly"),
    ]


def test_key_folds_names_to_identifiers() -> None:
    found = find_placeholders("[Professor's Last Name] {{Paper-Title}}")[0]
    assert [p.key for p in found] == ["professor_last_name", "paper_title"]


@pytest.mark.parametrize(
    "text",
    [
        "Line one<br>line two<br/>three<hr>",
        "<p>Hello</p> <b>bold</b> <i>it</i> <strong>s</strong>",
        '<a href="https://example.org">link</a> <img src="x.png" alt="x">',
        "Write to <ada@lab.example> or see <https://lab.example/people>",
        "<!-- a comment --> and <?xml version='1.0'?>",
        "I <3 your work, and 2 < 3 > 1 holds",
        "As shown in [1] and [12], see also [ ] and [x]",
        "The quote [sic] and a cut [...] and [etc]",
        "A Markdown [link](https://example.org) here",
        "Mail [ada@lab.example] or [https://lab.example]",
        "Numbers [2019] and [3.5]",
    ],
)
def test_markup_links_addresses_and_marks_are_not_placeholders(text: str) -> None:
    assert raws(text) == []


def test_ambiguous_element_names_are_placeholders_in_plain_text() -> None:
    assert raws("I enjoyed <title> and your <section> on monks.") == ["<title>", "<section>"]


def test_ambiguous_element_names_are_markup_when_the_template_has_html() -> None:
    text = "<p>I enjoyed <title> and <Paper Title>.</p>"
    assert raws(text) == ["<Paper Title>"]


def test_square_brackets_with_a_following_parenthesis_are_links_but_spaced_ones_are_placeholders() -> None:
    assert raws("[Your Name] (student)") == ["[Your Name]"]
    assert raws("[Your Name](mailto:me@x.example)") == []


def test_empty_curly_placeholder_is_a_warning_not_a_placeholder() -> None:
    found, warnings = find_placeholders("Hello {{ }} and {{name}}")
    assert [p.raw for p in found] == ["{{name}}"]
    assert any("Empty placeholder" in w for w in warnings)


def test_unbalanced_braces_are_reported() -> None:
    _, warnings = find_placeholders("Hello {{name} and welcome")
    assert any("Unbalanced" in w for w in warnings)


def test_fill_replaces_only_the_given_raws_and_leaves_the_rest_findable() -> None:
    text = "Dear {{name}}, about [Paper Title] and <Topic>."
    filled = fill(text, {"{{name}}": "Maria Chen", "<Topic>": "folding"})
    assert filled == "Dear Maria Chen, about [Paper Title] and folding."
    assert [p.raw for p in find_placeholders(filled)[0]] == ["[Paper Title]"]
