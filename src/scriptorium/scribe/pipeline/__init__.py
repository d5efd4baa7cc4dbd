"""The Scribe pipeline: template → research → papers → compose → checks, as plain async functions.

`run_pipeline` is the one entry point the job handler calls; the step functions are public for tests and tools.

Names are loaded from their submodules on first use (PEP 562): the API only needs `validate_template`, `STEPS`
and the result types at start-up, and importing `research`/`runner` eagerly would pull in every source client
with them (~40 ms of each server start; tests/test_startup_imports.py keeps it that way).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scriptorium.scribe.pipeline.research import SourceSet
    from scriptorium.scribe.pipeline.runner import run_pipeline, validate_recipient
    from scriptorium.scribe.pipeline.template import analyze_template, validate_template
    from scriptorium.scribe.pipeline.types import (
        STEPS,
        Addressee,
        CheckResult,
        Claim,
        Draft,
        Evidence,
        Fact,
        OnStep,
        PipelineDeps,
        PipelineResult,
        Placeholder,
        ResearchSource,
        Step,
        TemplateAnalysis,
    )

_HOMES = {
    "SourceSet": "research",
    "run_pipeline": "runner",
    "validate_recipient": "runner",
    "analyze_template": "template",
    "validate_template": "template",
}

__all__ = [
    "STEPS",
    "Addressee",
    "CheckResult",
    "Claim",
    "Draft",
    "Evidence",
    "Fact",
    "OnStep",
    "PipelineDeps",
    "PipelineResult",
    "Placeholder",
    "ResearchSource",
    "SourceSet",
    "Step",
    "TemplateAnalysis",
    "analyze_template",
    "run_pipeline",
    "validate_recipient",
    "validate_template",
]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_HOMES.get(name, 'types')}")
    value = getattr(module, name)
    globals()[name] = value  # later lookups skip this function
    return value
