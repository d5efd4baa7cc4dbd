"""The offline mail merge: which placeholders it fills from what, and what it leaves for the user."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scriptorium.scribe.pipeline.merge import compose_offline, slot_for, split_subject
from scriptorium.scribe.pipeline.template import analyze_rules
from scriptorium.scribe.pipeline.types import Addressee, Evidence, Fact, Placeholder, ResearchSource

WHEN = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "slot"),
    [
        ("name", "name"),
        ("Professor Name", "name"),
        ("Professor", "name"),
        ("professor_last_name", "last_name"),
        ("Last Name", "last_name"),
        ("surname", "last_name"),
        ("first_name", "first_name"),
        ("research_area", "interest"),
        ("lab_research_focus", "interest"),
        ("topic", "interest"),
        ("paper_title", "paper"),
        ("key_paper_title", "paper"),
        ("recent publication", "paper"),
        ("book_title", "book"),
        ("university", "institution"),
        ("Your Name", None),
        ("my_university", None),
        ("specific_question", None),
    ],
)
def test_slots_by_placeholder_name(name: str, slot: str | None) -> None:
    assert slot_for(Placeholder(name, f"[{name}]", "square")) == slot


def test_subject_line_is_split_from_the_body() -> None:
    assert split_subject("Subject: Hello {{name}}\n\nDear {{name}}") == ("Hello {{name}}", "Dear {{name}}")
    assert split_subject("Dear {{name}}, subject: none") == (None, "Dear {{name}}, subject: none")


def test_researched_values_carry_claims_and_given_values_do_not() -> None:
    evidence = Evidence(
        sources=[ResearchSource("S1", "openalex", "https://openalex.org/A1", "OpenAlex profile", WHEN, "")],
        facts=[
            Fact('Maria Chen is an author of "Folding".', ("S1",), "paper", "Folding"),
            Fact(
                "Maria Chen is affiliated with University of Northbridge.",
                ("S1",),
                "affiliation",
                "University of Northbridge",
            ),
        ],
        author_verified=True,
    )
    template = "Dear Dr. {{last_name}}, I read {{paper_title}} at {{university}} on {{research_area}}. [Your Name]"
    draft, notes = compose_offline(template, analyze_rules(template), Addressee("Dr. Maria Chen", "folding"), evidence)
    assert draft.body == "Dear Dr. Chen, I read Folding at University of Northbridge on folding. [Your Name]"
    assert [c.text for c in draft.claims] == [evidence.facts[0].text, evidence.facts[1].text]
    assert notes == ["[Your Name] was left for you to fill: it is your own detail."]
    assert draft.subject == "Question about your research on folding"


def test_a_given_affiliation_fills_the_university_when_research_found_none() -> None:
    evidence = Evidence(sources=[], facts=[], author_verified=False)
    template = "Hello {{name}} at {{university}}, about {{book_title}}."
    draft, notes = compose_offline(
        template, analyze_rules(template), Addressee("Ana Ruiz", "poetry", affiliation="Lakeshore"), evidence
    )
    assert draft.body == "Hello Ana Ruiz at Lakeshore, about {{book_title}}."
    assert draft.claims == []
    assert notes == ["{{book_title}} was left for you to fill: no book could be verified as theirs."]
