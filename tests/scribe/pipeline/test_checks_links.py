"""Links and addresses in any form: without a scheme, on any public suffix, obfuscated, and inside source titles."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scriptorium.scribe.pipeline.checks import check_links, check_placeholders
from scriptorium.scribe.pipeline.links import find_links, is_domain
from scriptorium.scribe.pipeline.merge import compose_offline
from scriptorium.scribe.pipeline.template import analyze_rules
from scriptorium.scribe.pipeline.types import Addressee, Draft, Evidence, Fact, ResearchSource

WHEN = datetime(2026, 6, 1, tzinfo=UTC)
EVIDENCE = Evidence(
    sources=[ResearchSource("S1", "web", "https://www.northbridge.example/people/mchen", "Maria Chen", WHEN, "bio")],
    facts=[],
    author_verified=True,
)
RECIPIENT = Addressee("Maria Chen", "soil carbon", email="mchen@northbridge.example")
TEMPLATE = "Dear {{name}}, my notes are at sam.example/notes. Reach me at sam [at] student (dot) example. Sam"


def links(body: str) -> tuple[bool, str, tuple[str, ...]]:
    result = check_links(Draft("Hello", body, [], "model"), EVIDENCE, TEMPLATE, RECIPIENT)
    return result.passed, result.message, result.sentences


@pytest.mark.parametrize(
    ("sentence", "stray"),
    [
        ("The slides are at bit.ly/3xYzAb if useful.", "bit.ly/3xYzAb"),
        ("Samples are listed on soildata.ru/samples for download.", "soildata.ru/samples"),
        ("A summary lives at tinyurl.com/soil-c.", "tinyurl.com/soil-c"),
        ("Our partner site is carbon-lab.co.uk today.", "carbon-lab.co.uk"),
        ("You can mail m.chen [at] northbridge (dot) edu directly.", "m.chen [at] northbridge (dot) edu"),
        ("Or write to grants AT fundme DOT org instead.", "grants AT fundme DOT org"),
        ("Send it to info (at) soil-carbon.io please.", "info (at) soil-carbon.io"),
        ("The form is at hxxps://evil.example/form now.", "hxxps://evil.example/form"),
        ("Visit www.evil.example for the call.", "www.evil.example"),
    ],
)
def test_links_in_any_form_that_nobody_gave_fail_with_their_sentence(sentence: str, stray: str) -> None:
    passed, message, sentences = links(f"Dear Maria Chen, hello. {sentence} Best, Sam")
    assert not passed
    assert stray in message
    assert sentence in sentences


@pytest.mark.parametrize(
    "sentence",
    [
        "My notes are at sam.example/notes.",  # the template's own link
        "Reach me at sam [at] student (dot) example.",  # the template's own obfuscated address
        "Your page northbridge.example/people/mchen helped.",  # a source URL without its scheme
        "I will copy mchen@northbridge.example too.",  # the recipient's address as the user typed it
        "Thanks for the week.Best wishes, e.g. the U.S. team, et al. at 3 p.m. and Ph.D. students.",
    ],
)
def test_the_templates_the_sources_and_the_users_links_and_non_links_pass(sentence: str) -> None:
    passed, message, _ = links(f"Dear Maria Chen, hello. {sentence} Best, Sam")
    assert passed, message


def test_a_domain_is_judged_by_the_public_suffix_list_not_a_short_tld_list() -> None:
    assert all(is_domain(d) for d in ("bit.ly", "soildata.ru", "a.b.co.uk", "kb.museum", "evil.example"))
    assert not any(is_domain(d) for d in ("e.g", "u.s", "index.html", "Dr.Chen", "node.js"))


def test_an_obfuscated_address_is_a_link_not_a_leftover_placeholder() -> None:
    body = "Dear Maria Chen, write to maria [at] evil (dot) org for the prize. Best, Sam"
    assert check_placeholders(Draft("Hi", body, [], "model"), ("{{name}}",)).passed  # `[at]` is no slot
    assert [link.key for link in find_links(body)] == ["maria@evil.org"]
    assert not links(body)[0]


def _paper(title: str, source_id: str) -> tuple[ResearchSource, Fact]:
    source = ResearchSource(source_id, "openalex", f"https://doi.org/10.5555/{source_id}", title, WHEN, "abstract")
    return source, Fact(f'Maria Chen is an author of "{title}" (2024).', (source_id,), "paper", title)


def test_the_offline_merge_never_pastes_a_link_found_inside_a_title() -> None:
    linked, linked_fact = _paper("Soil carbon data, mirrored at soildata.ru/samples", "S1")
    clean, clean_fact = _paper("Soil carbon under cover crops", "S2")
    template = "Dear {{name}}, I read {{paper_title}} and loved it. Thanks, Sam"
    analysis = analyze_rules(template)
    evidence = Evidence([linked, clean], [linked_fact, clean_fact], author_verified=True)
    draft, _ = compose_offline(template, analysis, RECIPIENT, evidence)
    assert "Soil carbon under cover crops" in draft.body
    assert "soildata" not in draft.body
    assert check_links(draft, evidence, template, RECIPIENT).passed

    only_linked = Evidence([linked], [linked_fact], author_verified=True)
    draft, notes = compose_offline(template, analysis, RECIPIENT, only_linked)
    assert "{{paper_title}}" in draft.body
    assert any("carries a link" in note for note in notes)


def test_a_link_inside_a_source_title_is_not_an_allowed_link() -> None:
    linked, linked_fact = _paper("Soil carbon data, mirrored at soildata.ru/samples", "S1")
    evidence = Evidence([linked], [linked_fact], author_verified=True)
    draft = Draft("Hi", "Dear Maria Chen, I read Soil carbon data, mirrored at soildata.ru/samples. Sam", [], "x")
    result = check_links(draft, evidence, "Dear {{name}}, I read {{paper_title}}. Sam", RECIPIENT)
    assert not result.passed
    assert "soildata.ru/samples" in result.message


def test_an_address_after_a_preposition_is_still_found() -> None:
    # "me at sam.lee" is tried first and is no address; the search must move on, not skip past the real one.
    found = find_links("You can reach me at sam.lee [at] protonmail [dot] com.")
    assert [(link.kind, link.key) for link in found] == [("obfuscated", "sam.lee@protonmail.com")]
    assert not links("Dear Maria Chen, hello. You can reach me at sam.lee [at] protonmail [dot] com. Best, Sam")[0]
