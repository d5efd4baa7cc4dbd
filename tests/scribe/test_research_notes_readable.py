"""Research notes reach the reviewer in words: the source's name as people write it, the rest untouched."""

from __future__ import annotations

import pytest

from scriptorium.scribe.outage import readable


@pytest.mark.parametrize(
    ("note", "shown"),
    [
        ("arxiv: HTTP 503 after 3 attempts", "arXiv: HTTP 503 after 3 attempts"),
        ("semantic_scholar: timed out after 10 s", "Semantic Scholar: timed out after 10 s"),
        ("search: exa: HTTP 429 after 3 attempts", "Web search (Exa): HTTP 429 after 3 attempts"),
        (
            "profile (web): ignored 5 sentence(s) on https://x.example/p: 5 addressed to the letter's writer",
            "Profile page: ignored 5 sentence(s) on https://x.example/p: 5 addressed to the letter's writer",
        ),
        ("free text without a source", "free text without a source"),
    ],
)
def test_notes_name_their_source_as_people_write_it(note: str, shown: str) -> None:
    assert readable(note) == shown
