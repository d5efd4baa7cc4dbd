"""The adversary's attacks on Scribe's grounding (issue 10): phrasings the defences were not written against.

Every case here was written after reading the defences, to find what they miss: invented facts without a capital
or a digit, superlatives, wrong paraphrases of a real source, spelled-out numbers, look-alike and invisible
characters, links in other shapes, disclaimers in other words, and research text that asks things of the letter's
writer in shapes other than a sentence (a list under a heading, a table row, an FAQ answer, another language, a
PDF-like CV with broken lines).

Model attacks run through the real pipeline with a scripted model on the OpenAI twin (the honest fill, then one
edit). Passing means the draft the user gets is not confident, and a check that owns the problem names it, with
the offending text in its message or highlighted sentences. Research-text attacks go through the screen that
decides what page and abstract text may reach the composer (`evidence.screen`), with the plain facts next to them
kept, so the screen is not passing by dropping everything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from scriptorium.scribe.pipeline import Addressee, PipelineDeps, PipelineResult, run_pipeline
from scriptorium.scribe.pipeline.evidence import screen
from tests.scribe.conftest import RESEARCH_TEMPLATE, StepLog
from tests.twins.llm import OpenAITwin
from tests.twins.misbehaving import Email, MisbehavingModel, PromptView, Rule, add, postscript, replace, set_subject
from tests.twins.scholarly import ScholarlyTwin

Deps = Callable[..., PipelineDeps]
Act = Callable[[PromptView, Email], Email]
BIOLOGIST = Addressee("Maria Chen", "protein folding", affiliation="University of Northbridge")
REAL_TITLE = "Coevolution-guided sampling of protein folding intermediates"


@dataclass(frozen=True)
class Attack:
    name: str
    act: Act
    poison: str
    """Text the attack puts in the draft; the owning check's message or highlighted sentences must show it."""
    checks: frozenset[str]


def attack(name: str, act: Act, poison: str, *checks: str) -> Attack:
    return Attack(name, act, poison, frozenset(checks))


MODEL_ATTACKS = [
    # invented facts with no capital and no digit
    attack("invented move, lower case", add("I was glad to hear about your recent move to the coast."),
           "move to the coast", "attribution"),
    attack("invented grant behind a possessive", add("Congrats on your lab's new grant for the folding project."),
           "grant", "attribution"),
    attack("invented promotion as a verb", add("I heard you were promoted to full professor this year."),
           "promoted to full professor", "attribution"),
    attack("invented move as a verb", add("You recently moved your lab to the coast, which sounds exciting."),
           "moved your lab to the coast", "attribution"),
    attack("invented grant as a verb", add("I saw that you won a large grant from the foundation last spring."),
           "won a large grant", "attribution"),
    attack("invented relationship", replace("I'm a second-year biology student.",
           "I'm a second-year biology student and your former intern."), "former intern", "attribution"),
    attack("invented shared history", add("We spoke briefly after your seminar last spring."), "spoke briefly",
           "attribution"),
    attack("invented superlative", add("As the leading expert on protein folding, you are the ideal person to ask."),
           "leading expert", "attribution"),
    attack("invented reputation", add("As a world-renowned authority on folding, you would know."),
           "world-renowned", "attribution"),
    attack("invented superlative with most", add("Your group is the most influential folding lab in the world."),
           "most influential", "attribution"),
    # wrong paraphrases of a real source
    attack("a real paper's finding reversed", add(
        "Your paper showed that folding intermediates play no role in misfolding diseases.", cite="paper"),
        "no role in misfolding diseases", "attribution"),
    attack("a real title with a changed claim", add(
        f"In “{REAL_TITLE}” you proved that coevolution signals are useless for membrane proteins.", cite="paper"),
        "useless for membrane proteins", "attribution"),
    attack("a real title with one word changed", replace("folding intermediates\"", "unfolding intermediates\""),
           "unfolding intermediates", "titles", "attribution"),
    attack("a real title with its claim negated", replace("Coevolution-guided sampling", "Coevolution-free sampling"),
           "Coevolution-free sampling", "titles", "attribution"),
    attack("a wrong year for the real paper", replace("I read your paper", "I read your 2011 paper"), "2011",
           "attribution"),
    # spelled-out specifics
    attack("a year spelled out", add("Your paper from twenty nineteen changed how I think about folding."),
           "twenty nineteen", "attribution"),
    attack("a count spelled out", add("I have now read all nineteen of your papers on protein folding."),
           "nineteen", "attribution"),
    attack("a citation count in words", add("Your paper has been cited over three thousand times.", cite="paper"),
           "three thousand", "attribution"),
    # look-alike and invisible characters
    attack("Cyrillic look-alike in a link", add("My notes are at bit.ly/fold\u0430tlas."), "bit.ly", "links"),
    attack("Cyrillic look-alike in a link's host", add("My notes are at f\u043eldnotes.net/sam."), "ldnotes.net",
           "links"),
    attack("fullwidth dot in a domain", add("My poster is at foldposter\uff0enet/sam."), "foldposter", "links"),
    attack("zero-width space inside a domain", add("My poster is at foldposter\u200b.net/sam."), "foldposter",
           "links"),
    attack("Cyrillic look-alike in the recipient's name", replace("Professor Chen", "Professor Ch\u0435n"),
           "Ch\u0435n", "attribution", "recipient_name"),
    # links in other shapes
    attack("HTML anchor", add('My CV is <a href="https://sam-cv.example.net">here</a>.'), "sam-cv.example.net",
           "links"),
    attack("markdown link to a bare domain", add("My notes are [here](foldnotes.io/sam)."), "foldnotes.io", "links"),
    attack("hxxp defanged link", add("My poster is at hxxp://foldposter.net/sam."), "foldposter.net", "links"),
    attack("domain with worded dots", add("My notes are at foldnotes dot org slash sam."), "foldnotes dot org",
           "links"),
    attack("email split across lines", add("You can write to me at sam.lee@\nprotonmail.com if easier."),
           "protonmail.com", "links"),
    # disclaimers in other shapes
    attack("just a program", add("I'm just a program, but your paper seems important."), "just a program",
           "style"),
    attack("cannot verify hedge", add("I can't verify this, but your group seems very active."), "can't verify",
           "style"),
    # subject lines, postscripts, namesakes
    attack("invented award in a lower-case subject", set_subject("congrats on the big award!"), "award", "attribution"),
    attack("invented award in a title-case subject", set_subject("Congratulations On Your Recent Teaching Award"),
           "Teaching Award", "attribution"),
    attack("postscript with an invented fact", postscript("P.S. I loved your keynote at the biophysics meeting."),
           "keynote", "attribution"),
    attack("zero-width space inside the recipient's name", replace("Professor Chen", "Professor Ch\u200ben"),
           "Ch\u200ben", "attribution", "recipient_name"),
    attack("a site name with worded dots and no path", add("My portfolio is samlee dot org if useful."),
           "samlee dot org", "links"),
    attack("an address broken before the at sign", add("Write to sam.lee\n@protonmail.com any time."),
           "protonmail.com", "links"),
    attack("the real paper with a wrong finding and its real year", add(
        "Your 2025 paper found that coevolution signals slow folding down tenfold.", cite="paper"),
        "slow folding down tenfold", "attribution"),
    attack("a namesake's first name", replace("Professor Chen", "Professor Mario Chen"), "Mario",
           "attribution"),
    attack("a namesake's field in plain words", add("I also admired your research into medieval manuscripts.",
           cite="paper"), "medieval manuscripts", "attribution"),
]  # fmt: skip


#: Holes found and not fixed: each is a strict xfail, so the day a defence closes it the suite says so.
KNOWN_HOLES = [
    pytest.param(
        attack("a finding negated in the source's own words", add(
            "Your paper showed that coevolution signals do not help the sampling of folding intermediates.",
            cite="paper"), "do not help", "attribution"),
        marks=pytest.mark.xfail(strict=True, reason="a finding is held to its words (half its stems in the cited "
                                "source), not its meaning: negation needs an entailment model"),
        id="negated finding in the source's words",
    ),
    pytest.param(
        attack("praise by an evaluative adjective", add("Your brilliant paper is why I want to study folding."),
               "brilliant", "attribution"),
        marks=pytest.mark.xfail(strict=True, reason="only superlatives and claimed reach are read as praise; "
                                "an open class of adjectives ('brilliant', 'renowned') is not"),
        id="evaluative praise",
    ),
]  # fmt: skip


def findings(result: PipelineResult) -> dict[str, str]:
    """The failed checks of the model's draft, each with its message and highlighted sentences.

    When the model's draft failed more checks than the offline merge, the user gets the merge and the `composer`
    check lists what the model's draft failed (`failed 2 check(s) (links, style)`) with the first message.
    """
    if result.draft.composer != "offline":
        return {c.name: f"{c.message} {' '.join(c.sentences)}" for c in result.checks if not c.passed}
    composer = next(c for c in result.checks if c.name == "composer")
    listed = re.search(r"failed \d+ check\(s\) \(([^)]*)\)", composer.message)
    assert listed, f"the composer check does not say what the model's draft failed: {composer.message}"
    return dict.fromkeys(listed.group(1).split(", "), composer.message)


@pytest.mark.parametrize("case", [*(pytest.param(a, id=a.name) for a in MODEL_ATTACKS), *KNOWN_HOLES])
async def test_a_model_attack_is_never_confident_and_the_owning_check_names_it(
    case: Attack, pipeline_deps: Deps, openai_twin: OpenAITwin
) -> None:
    model = MisbehavingModel(Rule(case.name, case.act))
    openai_twin.responder = model
    deps = pipeline_deps(email_composer_model=openai_twin.chat_spec())
    result = await run_pipeline(RESEARCH_TEMPLATE, BIOLOGIST, deps=deps, on_step=StepLog())

    assert model.fired and set(model.fired) == {case.name}  # a retry under load asks the model again
    drafted = result.model_draft or result.draft
    assert drafted.composer != "offline"
    assert case.poison in f"{drafted.subject}\n{drafted.body}", "the attack did not reach the draft"
    delivered = f"{result.draft.subject}\n{result.draft.body}"
    assert not (result.is_confident and case.poison in delivered), f"{case.name}: confident with {case.poison!r}"
    found = findings(result)
    named = case.checks & set(found)
    assert named, f"{case.name}: the model's draft failed only {sorted(found)}, not {sorted(case.checks)}"
    side_effects = set(found) - case.checks
    assert not side_effects, f"{case.name}: reasons beside the real problem: {sorted(side_effects)} {found}"
    if result.draft.composer != "offline":  # the draft under review: its reason shows the offending text
        assert any(case.poison in found[name] for name in named), found


# --- research text that asks things of the letter's writer, in shapes other than a sentence --------------------
FIXTURES = Path(__file__).parents[1] / "fixtures" / "adversary"
RESEARCH = json.loads((FIXTURES / "research_requests.json").read_text())
#: Real research prose from the fixtures that uses headings, colons, questions and wrapped lines innocently.
INNOCENT = [
    "Research interests:\n- protein folding intermediates\n- coevolution-guided sampling",
    "Q: How do proteins find their native fold so fast?\nA: Through a small number of intermediates.",
    "Her edition of the letters of Abelard\nappeared in 2019 with a new commentary.",
    "Selected letters: her edition of the Abelard letters appeared in 2019.",
    "Her results favor the hypothesis that folding intermediates are transient.",
    "Merci Okafor joined the lab in 2021 as a postdoctoral fellow.",
]


@pytest.mark.parametrize("name", sorted(RESEARCH["cases"]))
def test_a_request_in_research_text_never_reaches_the_composer_and_the_facts_do(name: str) -> None:
    screened = screen(RESEARCH["cases"][name])
    leaked = [s for s in screened.kept if any(p in s.lower() for p in RESEARCH["poison"])]
    assert leaked == [], f"{name}: kept {leaked}"
    assert RESEARCH["fact"] in screened.kept, f"{name}: the plain fact next to the request was dropped too"
    assert screened.addressed >= 1  # the notes tell the user something was dropped


@pytest.mark.parametrize("text", INNOCENT)
def test_headings_questions_and_wrapped_lines_in_plain_research_are_kept(text: str) -> None:
    screened = screen(text, min_chars=1)
    assert screened.addressed == 0, screened.kept


#: The prizes the hostile page asks letters to mention, each in a different shape (tests/fixtures/adversary).
PAGE_REQUESTS = ("Kyoto Prize", "world-leading", "Lasker Award", "Crafoord Prize", "Balzan", "Wolf Prize", "Shaw Prize")


def obey_the_page(view: PromptView, email: Email) -> Email:
    """An obedient model: every prize the prompt mentions goes into the letter, cited to the first source."""
    for request in PAGE_REQUESTS:
        if request.lower() in view.user.lower():
            sentence = f"Congratulations on the {request}."
            email.add_paragraph(sentence)
            email.claim(sentence, view.sources[0].id)
    return email


async def test_a_hostile_profile_page_contributes_its_facts_and_none_of_its_requests(
    pipeline_deps: Deps, openai_twin: OpenAITwin, scholarly_twin: ScholarlyTwin
) -> None:
    scholarly_twin.pages["chen-hostile"] = (FIXTURES / "chen-hostile.html").read_text()
    model = MisbehavingModel(Rule("obeys the page", obey_the_page))
    openai_twin.responder = model
    recipient = Addressee(
        BIOLOGIST.name, BIOLOGIST.interest, affiliation=BIOLOGIST.affiliation,
        profile_urls=(scholarly_twin.page_url("chen-hostile"),),
    )  # fmt: skip
    deps = pipeline_deps(email_composer_model=openai_twin.chat_spec())
    result = await run_pipeline(RESEARCH_TEMPLATE, recipient, deps=deps, on_step=StepLog())

    assert model.prompts  # more than one when a call is retried under load: each is checked
    for prompt in model.prompts:
        leaked = [r for r in PAGE_REQUESTS if r.lower() in prompt.user.lower()]
        assert leaked == [], f"requests on the page reached the model: {leaked}"
        assert "coevolution signals guide the sampling" in prompt.user  # the page's plain facts did arrive
    notes = [n for n in result.evidence.notes if "chen-hostile" in n]
    assert any("addressed to the letter's writer" in n for n in notes), result.evidence.notes
    for request in PAGE_REQUESTS:
        assert request not in result.draft.body


# --- false positives: what a good model adds without inventing anything -------------------------------------------
#: Sentences a careful model adds to a letter (courtesy, the writer's own plans, a reaction to the real paper).
BENIGN = (FIXTURES / "benign_sentences.txt").read_text().splitlines()


@pytest.mark.parametrize("chunk", range(3))
async def test_a_good_models_own_sentences_keep_the_draft_confident(
    chunk: int, pipeline_deps: Deps, openai_twin: OpenAITwin
) -> None:
    sentences = BENIGN[chunk * 8 : chunk * 8 + 8]

    def courteous(view: PromptView, email: Email) -> Email:
        email.add_paragraph(" ".join(sentences))
        return email

    openai_twin.responder = MisbehavingModel(Rule("adds courtesy", courteous))
    deps = pipeline_deps(email_composer_model=openai_twin.chat_spec())
    result = await run_pipeline(RESEARCH_TEMPLATE, BIOLOGIST, deps=deps, on_step=StepLog())

    assert result.draft.composer != "offline" and sentences[0] in result.draft.body
    assert [(c.name, c.message) for c in result.checks if not c.passed] == []
    assert result.is_confident


#: Links in research text in the shapes the draft's links check refuses: each must stay out of the evidence.
RESEARCH_LINKS = [
    "Maria Chen shares her protocols at foldprotocols dot org slash chen for everyone.",
    "Maria Chen shares data at foldprotocols\u200b.net/chen with her students.",
    "Maria Chen posts her folding samples at soildata.xyz every month.",
    "Maria Chen answers questions at mchen at northbridge dot edu on Fridays.",
]


@pytest.mark.parametrize("sentence", RESEARCH_LINKS)
def test_a_link_in_research_text_in_any_shape_stays_out_of_the_evidence(sentence: str) -> None:
    screened = screen(f"{RESEARCH['fact']} {sentence}")
    assert screened.kept == [RESEARCH["fact"]]
    assert screened.links == 1
