"""The labelled question set (bench/companion_questions.py) kept honest in CI: no answer leaks, and the target holds.

The whole set runs (two imports plus every question, 184 today, through the chat API take seconds), scored by the
bench's own scorer, so the number in docs/benchmarks.md is the number CI checks. The real Pepper&Carrot episodes
come from ../shared/peppercarrot (or PEPPERCARROT_SAMPLE_DIR); without them the sample's questions still run and CI
fails loudly instead of skipping.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from tests.services import require

BENCH = Path(__file__).resolve().parents[2] / "bench" / "companion_questions.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("companion_questions_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    return module


async def test_question_set_answers_with_gold_facts_and_never_leaks() -> None:
    bench = _bench()
    questions = bench.load_questions()
    assert len(questions) >= 60 and {q.source for q in questions} == {"sample", "peppercarrot"}
    require(
        bench.PEPPERCARROT.is_dir(), "real Pepper&Carrot files in ../shared/peppercarrot", "set PEPPERCARROT_SAMPLE_DIR"
    )
    results = await bench.run(questions)
    leaks = [(r.question.text, r.question.episode, r.question.page, r.leaks, r.answer) for r in results if r.leaks]
    assert leaks == []
    answered = sum(r.answered for r in results) / len(results)
    missed = [
        f"{r.question.source} {r.question.episode}:{r.question.page} {r.question.text}"
        for r in results
        if not r.answered
    ]
    assert answered >= bench.TARGET_ANSWERED, (answered, missed)
    for source in ("sample", "peppercarrot"):
        group = [r for r in results if r.question.source == source]
        assert sum(r.answered for r in group) / len(group) >= 0.75, (source, missed)


def test_scorer_counts_gold_partial_and_leaks_on_made_up_answers() -> None:
    """The scorer itself: a later name is a leak even when no forbid pattern lists it."""
    bench = _bench()
    question = bench.Question("sample", 1, 3, "page", "Who is Marlo?", ("ferry", "green cap"), ("curfew",))
    late = bench.LateNames(None, [("Agathe Brune", 3), ("Marlo Finch", 2)])
    full = bench.score(question, "Marlo Finch is a ferry boy in a green cap.", 2, late)
    assert full.answered and not full.leaks
    half = bench.score(question, "Marlo Finch runs the ferry.", 2, late)
    assert half.partial and not half.answered
    leaked = bench.score(question, "A ferry boy in a green cap; Agathe Brune sets a curfew.", 2, late)
    assert leaked.answered and len(leaked.leaks) == 2
