"""The homonym guard: two researchers named Maria Chen, and the other one's papers are never cited."""

from __future__ import annotations

from collections.abc import Callable

from scriptorium.scribe.pipeline import Addressee, PipelineDeps, run_pipeline
from scriptorium.scribe.pipeline.guard import AuthorChoice, PaperGuard, choose_author
from scriptorium.scribe.pipeline.research import SourceSet
from scriptorium.scribe.sources import AuthorRecord, PaperRecord, ResearchQuery
from tests.scribe.conftest import FIXED_NOW, StepLog
from tests.twins.scholarly import ScholarlyTwin

BIOLOGIST_TITLES = {
    "Coevolution-guided sampling of protein folding intermediates",
    "Graph neural networks for predicting protein-ligand binding affinity",
    "Energy landscapes of misfolding in amyloidogenic peptides",
    "Diffusion models for conformational ensembles of intrinsically disordered proteins",
    "Learned priors for thermostable enzyme design",
}
HISTORIAN_TITLES = {
    "Ink and Cloister: Scribal Networks in Twelfth-Century Flanders",
    "Marginal notes as evidence of reading in Cistercian houses",
    "Pricking, ruling and the economics of parchment",
    "Scribal hands in the Dunes Abbey cartulary",
}
ORCID = "0000-0002-1825-0097"
OTHER = "0000-0001-5109-3700"
OTHER_CHENS = {
    "Strain-tuned superconductivity in layered nickelate films",
    "Phonon transport in twisted bilayer graphene",
}

RESEARCH_TEMPLATE = (
    "Dear Professor {{name}},\n\nI am a student interested in {{research_area}}. I read your paper "
    '"{{paper_title}}" and would love to hear how you chose its approach.\n\nBest wishes,\nSam'
)
BOOK_TEMPLATE = (
    "Dear Dr. {{last_name}},\n\nI just read {{book_title}} for my seminar on {{research_area}}, and I would love "
    "to ask you two questions about how you traced the scribes.\n\nThank you,\nSam"
)


def author(author_id: str, institution: str, topics: tuple[str, ...]) -> AuthorRecord:
    return AuthorRecord(
        "openalex", author_id, "Maria Chen", f"https://openalex.org/{author_id}", (institution,), topics
    )


def query(interest: str, affiliation: str | None = None) -> ResearchQuery:
    return ResearchQuery("Maria Chen", "Maria Chen", interest, affiliation, (), "research", FIXED_NOW)


def test_topic_agreement_picks_the_right_namesake() -> None:
    biologist = author("A1", "University of Northbridge", ("Protein Structure and Folding Dynamics",))
    historian = author("A2", "Eastmarch University", ("Medieval Manuscripts and Paleography",))
    choice = choose_author([biologist, historian], query("medieval manuscripts"), [])
    assert choice.author is historian
    assert "topics agree" in choice.reason
    assert choice.others == (biologist,)


def test_no_agreement_means_no_profile() -> None:
    biologist = author("A1", "University of Northbridge", ("Protein Structure and Folding Dynamics",))
    choice = choose_author([biologist], query("tax law"), [])
    assert choice.author is None
    assert not choice.ambiguous


def test_two_same_topic_namesakes_at_different_places_are_ambiguous() -> None:
    one = author("A1", "University of Northbridge", ("Protein Folding",))
    two = author("A3", "Kestrel Polytechnic", ("Protein Folding",))
    choice = choose_author([one, two], query("protein folding"), [])
    assert choice.author is None
    assert choice.ambiguous


def test_affiliation_breaks_the_tie_and_a_profile_page_counts_as_affiliation() -> None:
    one = author("A1", "University of Northbridge", ("Protein Folding",))
    two = author("A3", "Kestrel Polytechnic", ("Protein Folding",))
    assert choose_author([one, two], query("protein folding", "Kestrel Polytechnic"), []).author is two
    page = ["Maria Chen joined Kestrel Polytechnic in 2021 to study protein folding."]
    assert choose_author([one, two], query("protein folding"), page).author is two


def test_conflicting_affiliation_and_interest_pick_nobody() -> None:
    biologist = author("A1", "University of Northbridge", ("Protein Structure and Folding Dynamics",))
    historian = author("A2", "Eastmarch University", ("Medieval Manuscripts and Paleography",))
    choice = choose_author([biologist, historian], query("protein folding", "Eastmarch University"), [])
    assert choice.author is None
    assert choice.ambiguous


def test_papers_need_verified_authorship() -> None:
    biologist = author("A1", "University of Northbridge", ("Protein Folding",))
    guard = PaperGuard(query("protein folding"), AuthorChoice(biologist, "test"), None)
    own = PaperRecord("openalex", "W1", "Anything at all", "u1", author_ids=("A1",))
    namesake = PaperRecord("openalex", "W2", "Protein folding in yeast", "u2", author_ids=("A9",))
    on_topic = PaperRecord("arxiv", "X1", "Folding of small proteins", "u3")
    off_topic = PaperRecord("arxiv", "X2", "Phonons in graphene", "u4")
    same_place = PaperRecord("arxiv", "X3", "Protein folding rates", "u5", affiliations=("University of Northbridge",))
    assert guard.verify(own).reason == "listed under the verified OpenAlex author"
    # Topic agreement alone never makes a paper citable: a namesake in the same field writes on the same topic.
    assert not guard.verify(namesake).citable
    assert not guard.verify(on_topic).citable
    assert not guard.verify(off_topic).citable
    assert not guard.verify(same_place).citable  # nor does a shared institution: it is not an identity


def test_an_orcid_ties_a_paper_to_the_recipient() -> None:
    biologist = AuthorRecord(
        "openalex", "A1", "Maria Chen", "https://openalex.org/A1", ("University of Northbridge",), orcid=ORCID
    )
    guard = PaperGuard(query("protein folding"), AuthorChoice(biologist, "test"), None)
    split_profile = PaperRecord(
        "openalex", "W7", "Chaperones and folding", "u7", author_ids=("A8",), author_orcids=(ORCID,)
    )
    other = PaperRecord("openalex", "W8", "Chaperones and misfolding", "u8", author_ids=("A9",), author_orcids=(OTHER,))
    assert guard.verify(split_profile).reason == "an author carries the recipient's ORCID"
    assert not guard.verify(other).citable
    # With no accepted profile, an ORCID on the user's own profile page is the identity.
    page = f"Maria Chen, Kestrel Polytechnic. ORCID: https://orcid.org/{ORCID}"
    unaccepted = PaperGuard(query("protein folding"), AuthorChoice(None, "none"), None, [page])
    assert unaccepted.verify(split_profile).citable
    assert not unaccepted.verify(other).citable


def test_a_title_listed_on_the_users_profile_page_is_citable_and_a_phrase_is_not() -> None:
    page = (
        "Maria Chen leads the folding group. Selected publications: Coevolution-guided sampling of protein folding "
        "intermediates (2025); a review of folding."
    )
    guard = PaperGuard(query("protein folding"), AuthorChoice(None, "none"), None, [page])
    listed = PaperRecord("arxiv", "X1", "Coevolution-guided sampling of protein folding intermediates", "u1")
    unlisted = PaperRecord("arxiv", "X2", "Coevolution-guided sampling of RNA folding", "u2")
    short = PaperRecord("arxiv", "X3", "Folding group", "u3")  # words on the page, but not a listed title
    assert guard.verify(listed).reason == "listed on the recipient's own profile page"
    assert not guard.verify(unlisted).citable
    assert not guard.verify(short).citable


def test_an_orcid_on_the_profile_page_picks_the_profile_over_topic_and_place() -> None:
    biologist = author("A1", "University of Northbridge", ("Protein Folding",))
    historian = AuthorRecord(
        "openalex", "A2", "Maria Chen", "https://openalex.org/A2", ("Eastmarch University",),
        ("Medieval Manuscripts",), orcid=ORCID,
    )  # fmt: skip
    page = [f"Maria Chen (ORCID {ORCID}) reads the margins of twelfth-century manuscripts."]
    choice = choose_author([biologist, historian], query("protein folding", "University of Northbridge"), page)
    assert choice.author is historian
    assert "ORCID" in choice.reason


def test_ambiguity_disables_the_topic_rule() -> None:
    guard = PaperGuard(query("protein folding"), AuthorChoice(None, "two", ambiguous=True), None)
    assert not guard.verify(PaperRecord("arxiv", "X1", "Folding of small proteins", "u3")).citable


async def run(deps: PipelineDeps, template: str, recipient: Addressee) -> tuple[set[str], set[str], str]:
    result = await run_pipeline(template, recipient, deps=deps, on_step=StepLog())
    source_titles = {s.title for s in result.evidence.sources}
    return source_titles, {f.value for f in result.evidence.facts if f.kind in {"paper", "book"}}, result.draft.body


async def test_the_biologist_gets_only_her_papers(pipeline_deps: Callable[..., PipelineDeps]) -> None:
    recipient = Addressee("Dr. Maria Chen", "protein folding", affiliation="University of Northbridge")
    sources, cited_works, body = await run(pipeline_deps(), RESEARCH_TEMPLATE, recipient)
    assert cited_works
    assert cited_works <= BIOLOGIST_TITLES
    assert not sources & (HISTORIAN_TITLES | OTHER_CHENS)
    assert not any(t in body for t in HISTORIAN_TITLES | OTHER_CHENS)


async def test_the_historian_gets_only_her_works_even_when_arxiv_is_searched(
    pipeline_deps: Callable[..., PipelineDeps], scholarly_twin: ScholarlyTwin
) -> None:
    recipient = Addressee("Maria Chen", "medieval manuscripts and monastic history", affiliation="Eastmarch University")
    result = await run_pipeline(RESEARCH_TEMPLATE, recipient, deps=pipeline_deps(), on_step=StepLog())
    assert scholarly_twin.requests_to("arxiv"), "research templates search arXiv"
    titles = {s.title for s in result.evidence.sources}
    assert titles & HISTORIAN_TITLES
    assert not titles & (BIOLOGIST_TITLES | OTHER_CHENS)
    assert not any(t in result.draft.body for t in BIOLOGIST_TITLES | OTHER_CHENS)
    assert all(s.kind != "arxiv" for s in result.evidence.sources)
    note = next(n for n in result.evidence.notes if n.startswith("arxiv:"))
    assert "not cited, authorship not verified" in note
    assert "Coevolution-guided sampling" in note


async def test_the_historian_book_email_cites_her_book(pipeline_deps: Callable[..., PipelineDeps]) -> None:
    recipient = Addressee("Maria Chen", "medieval monastic history")  # no affiliation: topics decide
    sources, cited_works, body = await run(pipeline_deps(), BOOK_TEMPLATE, recipient)
    assert "Ink and Cloister: Scribal Networks in Twelfth-Century Flanders" in body
    assert cited_works <= HISTORIAN_TITLES
    assert not sources & BIOLOGIST_TITLES


async def test_conflicting_input_yields_needs_review_not_the_wrong_person(
    pipeline_deps: Callable[..., PipelineDeps],
) -> None:
    recipient = Addressee("Maria Chen", "protein folding", affiliation="Eastmarch University")
    result = await run_pipeline(RESEARCH_TEMPLATE, recipient, deps=pipeline_deps(), on_step=StepLog())
    assert not result.evidence.author_verified
    assert not {s.title for s in result.evidence.sources} & (HISTORIAN_TITLES | BIOLOGIST_TITLES)
    assert result.status == "needs_review"
    assert any("the affiliation points to one profile and the interest to another" in n for n in result.evidence.notes)


def test_default_source_set_has_no_search_without_configuration(pipeline_deps: Callable[..., PipelineDeps]) -> None:
    deps = pipeline_deps()
    assert SourceSet.default(deps.settings, deps.http).search is None
