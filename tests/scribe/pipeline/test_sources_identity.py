"""Identity fields the sources carry for the homonym guard: ORCID iDs of authors and of works' authorships."""

from __future__ import annotations

from scriptorium.scribe.sources.openalex import parse_author, parse_work
from scriptorium.scribe.sources.text import orcid_ids


def test_orcid_ids_are_found_bare_or_as_links_and_nothing_else() -> None:
    text = "ORCID https://orcid.org/0000-0003-1415-9265, also 0000-0002-1825-009X; phone 0000-0000-0000"
    assert orcid_ids(text) == {"0000-0003-1415-9265", "0000-0002-1825-009X"}
    assert orcid_ids(None) == set()
    assert orcid_ids("ISBN 978-3-16-148410-0") == set()


def test_openalex_author_and_work_orcids_are_parsed_bare() -> None:
    author = parse_author(
        {
            "id": "https://openalex.org/A1",
            "display_name": "Helena Voss",
            "orcid": "https://orcid.org/0000-0003-1415-9265",
        }
    )
    assert author.orcid == "0000-0003-1415-9265"
    assert parse_author({"id": "https://openalex.org/A2", "display_name": "X Y", "orcid": None}).orcid is None
    work = parse_work(
        {
            "id": "https://openalex.org/W1",
            "display_name": "Snapping shrimp choruses",
            "authorships": [
                {"author": {"id": "https://openalex.org/A1", "display_name": "Helena Voss",
                            "orcid": "https://orcid.org/0000-0003-1415-9265"}},
                {"author": {"id": "https://openalex.org/A9", "display_name": "Tariq Nasser", "orcid": None}},
            ],
        }
    )  # fmt: skip
    assert work.author_orcids == ("0000-0003-1415-9265",)
    assert work.author_ids == ("A1", "A9")
