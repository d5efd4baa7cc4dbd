"""The Scribe pipeline: template → research → papers → compose → checks, as plain async functions.

`run_pipeline` is the one entry point the job handler calls; the step functions are public for tests and tools.
"""

from scriptorium.scribe.pipeline.research import SourceSet
from scriptorium.scribe.pipeline.runner import run_pipeline, validate_recipient
from scriptorium.scribe.pipeline.template import analyze_template, validate_template
from scriptorium.scribe.pipeline.types import (
    STEPS,
    CheckResult,
    Claim,
    Draft,
    Evidence,
    Fact,
    OnStep,
    PipelineDeps,
    PipelineResult,
    Placeholder,
    Recipient,
    Source,
    Step,
    TemplateAnalysis,
)

__all__ = [
    "STEPS",
    "CheckResult",
    "Claim",
    "Draft",
    "Evidence",
    "Fact",
    "OnStep",
    "PipelineDeps",
    "PipelineResult",
    "Placeholder",
    "Recipient",
    "Source",
    "SourceSet",
    "Step",
    "TemplateAnalysis",
    "analyze_template",
    "run_pipeline",
    "validate_recipient",
    "validate_template",
]
