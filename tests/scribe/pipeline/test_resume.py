"""Saved step results (issue 10, item 8): they round-trip exactly, and anything not certainly reusable is ignored
(another version, other inputs, too old, a shape this code does not know) instead of crashing a retry."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from scriptorium.scribe.pipeline.resume import MAX_AGE, SavedEvidence, SavedTemplate, StepResults, fingerprint
from scriptorium.scribe.pipeline.template import analyze_rules
from scriptorium.scribe.pipeline.types import Addressee, Evidence, Fact, ResearchSource

NOW = datetime(2026, 12, 7, 19, 0, tzinfo=UTC)
TEMPLATE = "Dear {{name}},\n\nI read [Paper Title] on <research_area> and would like to join your lab next year."
CHEN = Addressee("Dr. Maria Chen", "protein folding", affiliation="University of Northbridge")


def evidence() -> Evidence:
    sources = [
        ResearchSource(
            "S1", "openalex", "https://openalex.org/A1", "Maria Chen", NOW - timedelta(minutes=3), "Northbridge"
        ),
        ResearchSource("S2", "arxiv", "http://arxiv.org/abs/2401.00001v2", "Coevolution-guided sampling — “folding”",
                       NOW - timedelta(minutes=2), "We sample intermediates…\nSecond line, ünïcode."),
    ]  # fmt: skip
    facts = [
        Fact("Works at University of Northbridge.", ("S1",), "affiliation", "University of Northbridge"),
        Fact("Wrote “Coevolution-guided sampling”.", ("S1", "S2"), "paper", "Coevolution-guided sampling"),
    ]
    return Evidence(sources, facts, True, ["semantic_scholar: timed out after 12 s"])


def saved(*, saved_at: datetime = NOW) -> dict[str, Any]:
    analysis = analyze_rules(TEMPLATE)
    results = StepResults(fingerprint(TEMPLATE, CHEN, dry_run=False), attempt=1)
    results.template = SavedTemplate(analysis, [{"step": "template", "input_tokens": 12}], 1, saved_at)
    results.evidence = SavedEvidence(evidence(), analysis.template_type, 1, saved_at)
    return results.to_json()


def load(data: Any, *, now: datetime = NOW, recipient: Addressee = CHEN, dry_run: bool = False) -> StepResults:
    return StepResults.load(data, fingerprint=fingerprint(TEMPLATE, recipient, dry_run=dry_run), attempt=2, now=now)


def test_saved_steps_round_trip_exactly_through_json() -> None:
    import json

    loaded = load(json.loads(json.dumps(saved())))  # as a JSON column hands it back
    assert loaded.template is not None and loaded.evidence is not None
    assert loaded.template.analysis == analyze_rules(TEMPLATE)
    assert loaded.template.usage == [{"step": "template", "input_tokens": 12}]
    assert loaded.evidence.evidence == evidence()  # sources, excerpts, retrieval times, facts, notes
    assert loaded.evidence.attempt == 1 and loaded.attempt == 2


def test_another_version_is_ignored() -> None:
    data = saved() | {"version": 2}
    assert (load(data).template, load(data).evidence) == (None, None)


@pytest.mark.parametrize(
    "change",
    [
        {"recipient": Addressee("Dr. Maria Chen", "protein folding", affiliation="Eastmarch University")},
        {
            "recipient": Addressee(
                "Dr. Maria Chen",
                "protein folding",
                affiliation="University of Northbridge",
                profile_urls=("https://example.org/chen",),
            )
        },
        {"dry_run": True},
    ],
)
def test_results_saved_for_other_inputs_are_ignored(change: dict[str, Any]) -> None:
    loaded = load(saved(), **change)
    assert (loaded.template, loaded.evidence) == (None, None)


def test_results_older_than_the_bound_are_ignored() -> None:
    assert load(saved(saved_at=NOW - MAX_AGE - timedelta(minutes=1))).evidence is None
    assert load(saved(saved_at=NOW - MAX_AGE + timedelta(minutes=1))).evidence is not None


def _break(path: list[Any], value: Any) -> Any:
    data = copy.deepcopy(saved())
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    "data",
    [
        None,
        "not an envelope",
        [],
        _break(["evidence", "evidence", "sources", 0, "retrieved_at"], KeyError),
        _break(["evidence", "evidence", "sources", 0, "retrieved_at"], "yesterday"),
        _break(["evidence", "evidence", "sources", 0, "retrieved_at"], "2026-12-07T18:00:00"),  # no time zone
        _break(["evidence", "evidence", "sources", 0, "kind"], "myspace"),
        _break(["evidence", "evidence", "sources"], {"S1": "x"}),
        _break(["evidence", "evidence", "facts", 0, "source_ids"], ["S9"]),  # cites a source that is not there
        _break(["evidence", "evidence", "author_verified"], "yes"),
        _break(["evidence", "saved_at"], 17),
        _break(["template", "analysis", "template_type"], "limerick"),
        _break(["template", "analysis", "placeholders", 0], {"name": "name"}),
        _break(["template", "usage"], "lots"),
        _break(["template", "attempt"], True),
    ],
)
def test_a_shape_this_code_does_not_know_is_ignored_not_a_crash(data: Any) -> None:
    loaded = load(data)
    assert (loaded.template, loaded.evidence) == (None, None)
    assert loaded.to_json()["version"] == 1  # and this attempt can save its own steps over it
