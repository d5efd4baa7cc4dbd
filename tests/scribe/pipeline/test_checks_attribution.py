"""Sentence-level attribution: drafts a misbehaving model writes fail with the sentence and the specific named.

The first tests are the misbehaviours seen with a scripted model (issue 10); the rest are paraphrases written
for this file, and drafts that must keep passing (template sentences, the user's own input, cited facts).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scriptorium.scribe.pipeline.attribution import specifics
from scriptorium.scribe.pipeline.checks import check_attribution, run_checks
from scriptorium.scribe.pipeline.types import Addressee, CheckResult, Claim, Draft, Evidence, Fact, ResearchSource

WHEN = datetime(2026, 6, 1, tzinfo=UTC)
PAPER = "Coevolution signals for protein folding"
EVIDENCE = Evidence(
    sources=[
        ResearchSource(
            "S1",
            "openalex",
            "https://openalex.org/A5001",
            "OpenAlex profile: Maria Chen",
            WHEN,
            "Maria Chen. Institutions: University of Northbridge. Topics: Protein Folding, Structural Biology.",
        ),
        ResearchSource(
            "S2", "openalex", "https://doi.org/10.5555/jmb.2021.0311", PAPER, WHEN, "We map coevolution in EMBL."
        ),
    ],
    facts=[
        Fact(
            "Maria Chen is affiliated with University of Northbridge.",
            ("S1",),
            "affiliation",
            "University of Northbridge",
        ),
        Fact(f'Maria Chen is an author of "{PAPER}" (2021).', ("S2",), "paper", PAPER),
    ],
    author_verified=True,
)
TEMPLATE = """Subject: Question about {{paper_title}}

Dear Professor {{last_name}},

I am a second-year PhD student at Stanford. I read your paper "{{paper_title}}" and would love to learn how \
your group at {{university}} approaches {{research_area}}.

Best,
Sam"""
RAWS = ("{{paper_title}}", "{{last_name}}", "{{university}}", "{{research_area}}")
RECIPIENT = Addressee("Dr. María Chen", "protein folding", email="mchen@northbridge.example")
GOOD_BODY = f"""Dear Professor Chen,

I am a second-year PhD student at Stanford. I read your paper "{PAPER}" and would love to learn how your group at \
University of Northbridge approaches protein folding.

Best,
Sam"""
GOOD_CLAIMS = [
    Claim(f'Maria Chen is an author of "{PAPER}" (2021).', ("S2",)),
    Claim("Maria Chen is affiliated with University of Northbridge.", ("S1",)),
]


def attribution(body: str, claims: list[Claim] | None = None, subject: str = f"Question about {PAPER}") -> CheckResult:
    draft = Draft(subject, body, GOOD_CLAIMS if claims is None else claims, "model")
    return check_attribution(draft, template=TEMPLATE, template_raws=RAWS, recipient=RECIPIENT, evidence=EVIDENCE)


def with_sentence(sentence: str) -> str:
    return GOOD_BODY.replace("\n\nBest,", f" {sentence}\n\nBest,")


def assert_fails_on(result: CheckResult, sentence: str, *named: str) -> None:
    assert not result.passed
    assert sentence in result.sentences, result.sentences
    for specific in named:
        assert f"'{specific}'" in result.message, result.message


def test_the_filled_template_with_cited_facts_passes() -> None:
    result = attribution(GOOD_BODY)
    assert result.passed, result.message
    assert result.sentences == ()


def test_an_invented_fact_attributed_to_a_real_source_fails() -> None:
    sentence = "Congratulations on your 2023 Guggenheim Fellowship and your recent book on deep-sea sponges."
    claims = [*GOOD_CLAIMS, Claim("Maria Chen received a 2023 Guggenheim Fellowship.", ("S1",))]
    result = attribution(with_sentence(sentence), claims)
    assert_fails_on(result, sentence, "Guggenheim Fellowship", "2023", "deep-sea sponges")
    assert "not in S1" in result.message  # the cited source is named
    assert "cites S1, which never mentions 'Guggenheim Fellowship' and '2023'" in result.message  # the claim itself


def test_an_invented_sentence_with_no_claim_fails() -> None:
    sentence = "Congratulations on winning the Nobel Prize in Chemistry last year."
    result = attribution(with_sentence(sentence))
    assert_fails_on(result, sentence, "Nobel Prize in Chemistry")
    assert "in no source" in result.message


def test_a_namesakes_work_described_without_quotes_fails() -> None:
    sentence = "I was struck by your work on tactile feedback for dexterous robotic grasping at MIT."
    result = attribution(with_sentence(sentence))
    assert_fails_on(result, sentence, "tactile feedback for dexterous robotic grasping", "MIT")


@pytest.mark.parametrize(
    ("sentence", "named"),
    [
        ("You were named a MacArthur Fellow in 2019, which is inspiring.", ("MacArthur Fellow", "2019")),
        ("Your keynote at ISMB in Madrid stayed with me.", ("ISMB in Madrid",)),
        ("I also enjoyed your research into soft exoskeleton control for stroke rehabilitation.", ()),
        ("It is impressive that your lab has published 140 papers.", ("140",)),
        ("My advisor, Dr. Okafor, speaks highly of you.", ("Okafor",)),
        ("Before Northbridge you spent six years at DeepMind.", ("DeepMind",)),
        ("Your recent study about coral bleaching under ocean heatwaves was a revelation.", ()),
        ("Congratulations on your recent promotion to full professor.", ()),  # not one capital or digit
        ("I hear your new lab space opens soon.", ()),
    ],
)
def test_paraphrased_inventions_fail_and_name_the_specific(sentence: str, named: tuple[str, ...]) -> None:
    assert_fails_on(attribution(with_sentence(sentence)), sentence, *named)


def test_a_fact_cited_to_the_wrong_source_fails_and_says_where_it_is() -> None:
    sentence = "Your group at University of Northbridge maps coevolution in EMBL data."
    claims = [*GOOD_CLAIMS, Claim("Maria Chen works with EMBL data at University of Northbridge.", ("S1",))]
    result = attribution(with_sentence(sentence), claims)
    assert_fails_on(result, sentence, "EMBL")
    assert "appears in another source" in result.message


def test_the_template_and_the_users_own_input_need_no_source() -> None:
    # "Stanford" and "Sam" are the sender's facts in the template; the interest and name were typed by the user.
    body = with_sentence("Your work on protein folding is why I am writing, Professor Chen.")
    assert attribution(body).passed


def test_a_sentence_with_no_claim_may_state_what_the_verified_sources_say() -> None:
    assert attribution(with_sentence("I know you study Structural Biology at University of Northbridge.")).passed


def test_a_template_sentence_reworded_with_a_new_place_fails() -> None:
    body = GOOD_BODY.replace("at Stanford.", "at Stanford University in California.")
    result = attribution(body)
    assert not result.passed
    assert "I am a second-year PhD student at Stanford University in California." in result.sentences


def test_sentences_are_verbatim_substrings_of_the_subject_or_body() -> None:
    subject = "Your 2024 Turing Award"
    body = with_sentence("Congratulations on the Turing Award.") + "\nP.S. Greetings from Oslo."
    result = attribution(body, subject=subject)
    assert not result.passed
    assert subject in result.sentences
    assert "Congratulations on the Turing Award." in result.sentences
    assert "P.S. Greetings from Oslo." in result.sentences
    assert all(s in body or s in subject for s in result.sentences)


def test_the_recipients_name_is_a_specific_the_user_gave() -> None:
    assert [s.text for s in specifics("Thank you for your time, Dr. Chen!")] == ["Chen"]
    assert attribution(with_sentence("Thank you for your time, Dr. Chen!")).passed
    assert not attribution(with_sentence("Thank you for your time, Dr. Okafor!")).passed


@pytest.mark.parametrize(
    "sentence",
    [
        "Would you have fifteen minutes for a call next Monday?",
        "I hope to hear from you soon.",
        "As a student, I am eager to learn more.",
        "PS: I am happy to share my CV.",
    ],
)
def test_generic_sentences_have_no_specifics(sentence: str) -> None:
    assert specifics(sentence) == []
    assert attribution(with_sentence(sentence)).passed


def test_an_attribution_failure_makes_the_draft_not_confident_with_its_own_reason() -> None:
    sentence = "Congratulations on winning the Nobel Prize in Chemistry last year."
    draft = Draft(f"Question about {PAPER}", with_sentence(sentence), GOOD_CLAIMS, "model")
    checks = run_checks(draft, template=TEMPLATE, template_raws=RAWS, recipient=RECIPIENT, evidence=EVIDENCE)
    failed = {c.name: c for c in checks if not c.passed}
    assert set(failed) == {"attribution"}, {n: c.message for n, c in failed.items()}


def test_a_title_case_subject_is_judged_by_its_names_not_its_capitals() -> None:
    assert attribution(GOOD_BODY, subject="Prospective PhD Student Inquiry About Your Protein Folding Research").passed
    result = attribution(GOOD_BODY, subject="Congratulations On Your Turing Award")
    assert_fails_on(result, "Congratulations On Your Turing Award", "Turing Award")


def test_a_claim_its_source_does_not_back_highlights_the_sentence_stating_it() -> None:
    # EMBL is in S2, but the claim says S1 backs it: the claim is named, and the sentence stating it highlighted.
    sentence = "I know your group works with EMBL."
    claims = [*GOOD_CLAIMS, Claim("Maria Chen's group works with EMBL.", ("S1",))]
    result = attribution(with_sentence(sentence), claims)
    assert not result.passed
    assert "cites S1, which never mentions 'EMBL'" in result.message
    assert sentence in result.sentences


@pytest.mark.parametrize(
    "sentence",
    [
        "As a fellow Stanford alum, I admire your lab.",  # the sender's school, now said of the recipient
        "You taught at Stanford before moving on.",
    ],
)
def test_the_senders_facts_are_allowed_where_the_template_states_them_not_anywhere(sentence: str) -> None:
    assert_fails_on(attribution(with_sentence(sentence)), sentence, "Stanford")


def test_a_template_sentence_split_in_two_or_reworded_lightly_still_counts_as_template_text() -> None:
    body = GOOD_BODY.replace(
        "I am a second-year PhD student at Stanford.", "I'm a PhD student at Stanford, in my second year."
    ).replace(f'I read your paper "{PAPER}" and would', f'I read your paper "{PAPER}". I would')
    result = attribution(body)
    assert result.passed, result.message


@pytest.mark.parametrize(
    "line",
    ["Kind Regards,", "Thank You!", "With Best Wishes,", "Yours Sincerely,", "Seeking Advice On Graduate Research"],
)
def test_courtesy_words_and_title_case_subject_lines_are_not_names(line: str) -> None:
    assert specifics(line) == []


def test_degrees_initials_and_dotted_acronyms() -> None:
    assert specifics("I am a Ph.D. student in the U.S. now.") == []
    assert [s.text for s in specifics("Dear Prof. M. Chen, I met J. R. Smith.")] == ["Chen", "Smith"]
    assert attribution(with_sentence("Dear Prof. M. Chen, thank you.")).passed  # the initial is no new name
    assert attribution(with_sentence("I read about your EMBL visit.")).passed  # S2's abstract names EMBL
    assert not attribution(with_sentence("I moved here from the U.K. last year.")).passed
