"""Each research source against the scholarly twin: request shapes, parsing, retries and refusals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from scriptorium.core.errors import SourceError
from scriptorium.core.settings import Settings
from scriptorium.scribe.sources import (
    Arxiv,
    ExaSearch,
    OpenAlex,
    ProfilePages,
    ResearchQuery,
    SearxngSearch,
    SemanticScholar,
    build_search,
)
from scriptorium.scribe.sources.arxiv import relevance
from scriptorium.scribe.sources.text import clean_name
from tests.scribe.conftest import FIXED_NOW
from tests.twins.scholarly import EXA_KEY, ScholarlyTwin


def query(name: str = "Maria Chen", interest: str = "protein folding", **kw: object) -> ResearchQuery:
    values: dict[str, object] = {
        "name": clean_name(name),
        "raw_name": name,
        "interest": interest,
        "affiliation": None,
        "profile_urls": (),
        "template_type": "research",
        "now": FIXED_NOW,
    }
    values.update(kw)
    return ResearchQuery(**values)  # type: ignore[arg-type]


SettingsFactory = Callable[..., Settings]


async def test_openalex_author_search_keeps_namesakes_and_drops_other_names(
    scribe_settings: SettingsFactory, research_http: httpx.AsyncClient, scholarly_twin: ScholarlyTwin
) -> None:
    source = OpenAlex(scribe_settings(openalex_mailto="ops@lab.example"), research_http)
    authors = await source.find_authors(query())
    assert [a.author_id for a in authors] == ["A5100000001", "A5100000002"]  # "Mario Chen" is not Maria Chen
    biologist = authors[0]
    assert biologist.institutions == ("University of Northbridge", "Halvorsen Institute for Structural Biology")
    assert "Protein Structure and Folding Dynamics" in biologist.topics
    assert "Molecular Biology" in biologist.topics  # subfields count as topics too
    sent = scholarly_twin.requests_to("openalex.authors")[0]
    assert sent.params["search"] == "Maria Chen"
    assert sent.params["mailto"] == "ops@lab.example"


async def test_openalex_works_are_listed_by_author_id_with_abstracts_rebuilt(
    scribe_settings: SettingsFactory, research_http: httpx.AsyncClient, scholarly_twin: ScholarlyTwin
) -> None:
    source = OpenAlex(scribe_settings(), research_http)
    historian = (await source.find_authors(query()))[1]
    works = await source.works(historian, query())
    assert {w.title for w in works} == {
        "Ink and Cloister: Scribal Networks in Twelfth-Century Flanders",
        "Marginal notes as evidence of reading in Cistercian houses",
        "Pricking, ruling and the economics of parchment",
    }
    book = next(w for w in works if w.work_type == "book")
    assert book.is_book
    assert book.abstract.startswith("This book reconstructs the networks of scribes")
    assert scholarly_twin.requests_to("openalex.works")[0].params["filter"] == "author.id:A5100000002"


async def test_arxiv_searches_the_bare_name_keeps_ten_years_and_ranks_by_interest(
    scribe_settings: SettingsFactory, research_http: httpx.AsyncClient, scholarly_twin: ScholarlyTwin
) -> None:
    papers = await Arxiv(scribe_settings(), research_http).search(query("Prof. Dr. Maria Chen, PhD"))
    sent = scholarly_twin.requests_to("arxiv")[0].params
    assert sent["search_query"] == 'au:"Maria Chen"'
    assert sent["max_results"] == "15"
    titles = [p.title for p in papers]
    assert "Lattice models of protein folding kinetics" not in titles  # 2013: older than ten years
    assert "Emulsion stability of heat-denatured whey proteins" not in titles  # by Mario Chen
    assert titles[0] == "Coevolution-guided sampling of protein folding intermediates"
    scores = [relevance(p, "protein folding") for p in papers]
    assert scores == sorted(scores, reverse=True)
    assert papers[0].url == "https://arxiv.org/abs/2410.04417v2"
    assert "q-bio.BM" in papers[0].categories


async def test_arxiv_window_moves_with_the_clock(
    scribe_settings: SettingsFactory, research_http: httpx.AsyncClient
) -> None:
    later = query(now=datetime(2034, 1, 1, tzinfo=UTC))
    papers = await Arxiv(scribe_settings(), research_http).search(later)
    assert {p.year for p in papers} == {2024, 2025}


async def test_arxiv_single_author_affiliation_is_kept(
    scribe_settings: SettingsFactory, research_http: httpx.AsyncClient
) -> None:
    papers = await Arxiv(scribe_settings(), research_http).search(query())
    nickelate = next(p for p in papers if "nickelate" in p.title)
    assert nickelate.affiliations == ("Kestrel Polytechnic",)
    assert all(p.affiliations == () for p in papers if len(p.authors) > 1)


def test_scholarly_settings_point_at_the_twin(scholarly_settings: Settings, scholarly_twin: ScholarlyTwin) -> None:
    assert scholarly_settings.openalex_base_url == f"{scholarly_twin.base_url}/openalex"
    assert scholarly_settings.fetch_allow_hosts == ["127.0.0.1"]
    assert scholarly_settings.exa_api_key.get_secret_value() == ""


async def test_semantic_scholar_sends_the_api_key_and_parses_papers(
    scribe_settings: SettingsFactory, research_http: httpx.AsyncClient, scholarly_twin: ScholarlyTwin
) -> None:
    source = SemanticScholar(scribe_settings(semantic_scholar_api_key="s2-secret"), research_http)
    authors = await source.find_authors(query())
    assert [(a.author_id, a.institutions) for a in authors] == [("1741101", ()), ("2093302", ("Eastmarch University",))]
    papers = await source.works(authors[1], query())
    assert [p.title for p in papers] == [
        "Marginal notes as evidence of reading in Cistercian houses",
        "Scribal hands in the Dunes Abbey cartulary",
    ]
    assert papers[0].author_ids == ("2093302",)
    assert all(r.headers["x-api-key"] == "s2-secret" for r in scholarly_twin.requests)


async def test_transient_failures_are_retried_then_succeed(
    scribe_settings: SettingsFactory, research_http: httpx.AsyncClient, scholarly_twin: ScholarlyTwin
) -> None:
    scholarly_twin.fail("openalex.authors", 503, times=1)
    scholarly_twin.fail("s2.authors", 429, times=1, headers={"Retry-After": "0"})
    settings = scribe_settings()
    assert len(await OpenAlex(settings, research_http).find_authors(query())) == 2
    assert len(await SemanticScholar(settings, research_http).find_authors(query())) == 2
    assert len(scholarly_twin.requests_to("openalex.authors")) == 2
    assert len(scholarly_twin.requests_to("s2.authors")) == 2


async def test_a_408_is_retried_and_an_http_date_retry_after_is_read(
    scribe_settings: SettingsFactory, research_http: httpx.AsyncClient, scholarly_twin: ScholarlyTwin
) -> None:
    past = "Wed, 21 Oct 2015 07:28:00 GMT"  # a date already gone: retry at once
    scholarly_twin.fail("openalex.authors", 408, times=1, headers={"Retry-After": past})
    assert len(await OpenAlex(scribe_settings(), research_http).find_authors(query())) == 2
    assert len(scholarly_twin.requests_to("openalex.authors")) == 2


async def test_persistent_server_errors_become_a_transient_source_error(
    scribe_settings: SettingsFactory, research_http: httpx.AsyncClient, scholarly_twin: ScholarlyTwin
) -> None:
    scholarly_twin.fail("openalex.authors", 502)
    with pytest.raises(SourceError) as caught:
        await OpenAlex(scribe_settings(), research_http).find_authors(query())
    assert caught.value.transient
    assert caught.value.public_message == "openalex: HTTP 502 after 3 attempts"
    assert len(scholarly_twin.requests_to("openalex.authors")) == 3


async def test_client_errors_are_not_retried(
    scribe_settings: SettingsFactory, research_http: httpx.AsyncClient, scholarly_twin: ScholarlyTwin
) -> None:
    scholarly_twin.fail("arxiv", 400)
    with pytest.raises(SourceError, match="arxiv: HTTP 400"):
        await Arxiv(scribe_settings(), research_http).search(query())
    assert len(scholarly_twin.requests_to("arxiv")) == 1


async def test_profile_pages_are_read_through_safe_fetch(
    scribe_settings: SettingsFactory, research_http: httpx.AsyncClient, scholarly_twin: ScholarlyTwin
) -> None:
    url = scholarly_twin.page_url("mchen-eastmarch")
    batch = await ProfilePages(scribe_settings(), research_http).pages(query(profile_urls=(url,)))
    assert batch.notes == []
    page = batch.pages[0]
    assert page.title == "Dr Maria Chen - School of History - Eastmarch University"
    assert "historian of the medieval book" in page.text
    assert "School of History</a>" not in page.text  # markup gone


async def test_profile_pages_on_private_addresses_are_refused_unless_allow_listed(
    scribe_settings: SettingsFactory, research_http: httpx.AsyncClient, scholarly_twin: ScholarlyTwin
) -> None:
    url = scholarly_twin.page_url("mchen-eastmarch")
    batch = await ProfilePages(scribe_settings(fetch_allow_hosts=[]), research_http).pages(query(profile_urls=(url,)))
    assert batch.pages == []
    assert len(batch.notes) == 1
    assert batch.notes[0].startswith("profile: ")
    assert scholarly_twin.requests_to("pages") == []  # refused before any connection


async def test_exa_search_posts_with_the_key_and_fetches_result_pages_safely(
    scribe_settings: SettingsFactory, research_http: httpx.AsyncClient, scholarly_twin: ScholarlyTwin
) -> None:
    settings = scribe_settings(exa=True)
    search = build_search(settings, research_http)
    assert isinstance(search, ExaSearch)
    batch = await search.pages(query(affiliation="University of Northbridge"))
    sent = scholarly_twin.requests_to("exa")[0]
    assert sent.headers["x-api-key"] == EXA_KEY
    assert sent.body["query"] == '"Maria Chen" protein folding University of Northbridge'
    assert {p.title for p in batch.pages} == {
        "Northbridge biologist wins early-career award for protein folding work",
        "Reading in the margins: a conversation with Maria Chen",
    }
    assert any("10.0.0.7" in note or "private" in note.lower() for note in batch.notes)  # intranet result refused


async def test_searxng_search_asks_for_json(
    scribe_settings: SettingsFactory, research_http: httpx.AsyncClient, scholarly_twin: ScholarlyTwin
) -> None:
    settings = scribe_settings(searxng=True)
    search = build_search(settings, research_http)
    assert isinstance(search, SearxngSearch)
    batch = await search.pages(query())
    assert scholarly_twin.requests_to("searxng")[0].params["format"] == "json"
    assert len(batch.pages) == 2


def test_no_search_provider_without_configuration(
    scribe_settings: SettingsFactory, research_http: httpx.AsyncClient
) -> None:
    assert build_search(scribe_settings(), research_http) is None
    both = scribe_settings(exa=True, searxng=True)
    assert isinstance(build_search(both, research_http), ExaSearch)
