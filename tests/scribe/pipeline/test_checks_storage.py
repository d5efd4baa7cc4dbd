"""The `sentences` field of a check travels to the stored `checks` JSON and back, and old rows still load."""

from __future__ import annotations

from scriptorium.scribe.pipeline.types import CheckResult
from scriptorium.scribe.schemas import CheckOut


def test_a_stored_row_without_sentences_still_loads() -> None:
    old_row = {"name": "links", "passed": False, "detail": "Link or address not in the template or sources: x.io."}
    loaded = CheckOut.model_validate(old_row)
    assert loaded.sentences == []
    assert loaded.detail == old_row["detail"]


def test_sentences_round_trip_through_the_stored_shape() -> None:
    from scriptorium.scribe.results import checks_json

    check = CheckResult("attribution", False, "'2023' is in no source.", ("In 2023 you won a prize.",))

    class _Result:  # checks_json reads only `.checks`
        checks = [check]

    stored = checks_json(_Result())  # type: ignore[arg-type]
    assert stored == [
        {
            "name": "attribution",
            "passed": False,
            "detail": "'2023' is in no source.",
            "sentences": ["In 2023 you won a prize."],
        }
    ]
    assert CheckOut.model_validate(stored[0]).sentences == ["In 2023 you won a prize."]


def test_a_failed_title_check_points_at_the_sentence_that_cites_it() -> None:
    from datetime import UTC, datetime

    from scriptorium.scribe.pipeline.checks import check_titles
    from scriptorium.scribe.pipeline.types import Draft, Evidence, ResearchSource

    source = ResearchSource(
        "S1", "openalex", "https://doi.org/10.1/x", "Soil carbon under cover crops", datetime.now(UTC), ""
    )
    sentence = 'I loved "Ink and Cloister: Scribal Networks".'
    body = f'Dear Dr. Chen,\nI read "Soil carbon under cover crops". {sentence}\nSam'
    result = check_titles(Draft("Hi", body, [], "model"), Evidence([source], [], author_verified=True), "template")
    assert not result.passed
    assert result.sentences == (sentence,)
