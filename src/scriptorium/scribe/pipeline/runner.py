"""`run_pipeline`: template → research → papers → compose → checks, with progress and cancellation hooks.

The job handler passes `on_step`, called before each step, where it records progress and honours cancellation.
A failing research source never fails a run; a failing model falls back to the offline merge; in both cases the
result says so. Input errors raise `ValidationFailed` naming the field.

A dry run (a deployment probe) runs every step but asks no research source, and composes with the configured model
even with no evidence; a model failure then raises a permanent `ModelError` instead of falling back, because a
probe that hid a broken model would report a healthy deployment.

Model calls are bounded by the time the job has left (`deadline`, see `Budget`) and their usage is kept when they
fail. A model draft that fails its checks is compared with the offline merge, and the user gets the draft that
fails fewer checks; a merge that wins keeps the model's draft as `PipelineResult.model_draft` (stored as a version).

A retried attempt passes the steps an earlier attempt finished (`resume`, see `pipeline/resume.py`): the template
analysis and the evidence are reused instead of asking the model and every research source again, and the
evidence notes say so. Each step this run finishes itself is handed to `on_saved` as soon as it is done.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC
from typing import Any

from scriptorium.core.errors import ModelError, ValidationFailed
from scriptorium.core.llm import is_offline
from scriptorium.core.llm.bounded import call_budget
from scriptorium.core.settings import Settings
from scriptorium.scribe.pipeline.checks import run_checks
from scriptorium.scribe.pipeline.compose import compose_with_model, useless_reason
from scriptorium.scribe.pipeline.evidence import build_evidence
from scriptorium.scribe.pipeline.merge import compose_offline
from scriptorium.scribe.pipeline.research import SourceSet, collect_papers, identify
from scriptorium.scribe.pipeline.resume import SavedEvidence, SavedTemplate, StepResults
from scriptorium.scribe.pipeline.template import analyze_template_with_usage, validate_template
from scriptorium.scribe.pipeline.types import (
    Addressee,
    CheckResult,
    Draft,
    Evidence,
    OnStep,
    PipelineDeps,
    PipelineResult,
    Step,
    TemplateAnalysis,
)
from scriptorium.scribe.sources import ResearchQuery
from scriptorium.scribe.sources.text import clean_name

logger = logging.getLogger(__name__)

MAX_PROFILE_URLS = 5


def validate_recipient(recipient: Addressee) -> Addressee:
    """Trimmed copy of `recipient`, or ValidationFailed naming the bad field."""
    name, interest = " ".join(recipient.name.split()), " ".join(recipient.interest.split())
    if not 2 <= len(name) <= 255:
        raise ValidationFailed("recipient name must be 2–255 characters", field="recipient_name")
    if not 2 <= len(interest) <= 500:
        raise ValidationFailed("recipient interest must be 2–500 characters", field="recipient_interest")
    if len(recipient.profile_urls) > MAX_PROFILE_URLS:
        raise ValidationFailed(f"at most {MAX_PROFILE_URLS} profile URLs", field="profile_urls")
    for url in recipient.profile_urls:
        if not url.startswith(("http://", "https://")) or len(url) > 2000 or any(c.isspace() for c in url):
            raise ValidationFailed("profile URLs must be http(s) URLs without spaces", field="profile_urls")
    affiliation = " ".join((recipient.affiliation or "").split()) or None
    return Addressee(name, interest, recipient.email, tuple(recipient.profile_urls), affiliation)


def is_thin(evidence: Evidence) -> bool:
    """Nothing verified to personalize with: no fact from any source."""
    return not evidence.facts


def _evidence_check(evidence: Evidence, recipient: Addressee) -> CheckResult:
    if is_thin(evidence):
        why = "; ".join(evidence.notes[:4]) or "no source knew them"
        message = f"Not enough verified information about {recipient.name} to personalize this email ({why})."
        return CheckResult("evidence", False, message)
    vouched = {s.id for s in evidence.sources if s.kind == "web"}  # pages the user listed as theirs
    if not evidence.author_verified and not any(set(f.source_ids) & vouched for f in evidence.facts):
        message = (
            f"Could not confirm which {recipient.name} this is: no profile's affiliation or topics agreed, so the "
            "papers found were matched by name and topic only. Add their affiliation or a profile URL."
        )
        return CheckResult("evidence", False, message)
    kinds = sorted({f.kind for f in evidence.facts})
    return CheckResult("evidence", True, f"{len(evidence.facts)} verified fact(s): {', '.join(kinds)}.")


class DryRunModelFailed(ModelError):
    """A dry run's model failed: permanent, and carrying the usage of every call the run made, so the job handler
    can store it (a failed probe that cost tokens must show in the operator's figures like a finished one)."""

    def __init__(self, message: str, *, status: int | None, usage: list[dict[str, Any]]) -> None:
        super().__init__(message, service="compose", status=status, transient=False)
        self.usage = usage


@dataclass
class _Composed:
    """The compose step's output: the draft to check, and the model's draft when the merge may replace it."""

    draft: Draft
    usage: list[dict[str, Any]] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    merge: Draft | None = None
    """The offline merge beside a model draft: the checks step gives the user whichever fails fewer checks."""
    merge_notes: list[str] = field(default_factory=list)
    model_draft: Draft | None = None
    """A model draft the merge replaced, kept so the email can store it as a version."""


class Budget:
    """How long each model call may take, so a run finishes before the job's hard limit (`deadline`).

    Without a deadline (tests, tools) each call gets what its settings allow. With one, the optional template
    classifier gets at most one request timeout and never the time research needs; the composer gets what is left
    but `CHECKS_RESERVE_SECONDS`. A call cut short falls back (rules, the offline merge) instead of failing the run,
    so a slow model can no longer push a job past its limit and make it start over, research and all.
    """

    CHECKS_RESERVE_SECONDS = 3.0

    def __init__(self, settings: Settings, deadline: float | None) -> None:
        self.settings = settings
        self.deadline = deadline

    def remaining(self) -> float:
        return float("inf") if self.deadline is None else self.deadline - time.monotonic()

    def research_reserve(self) -> float:
        """Identification and papers each run their sources in parallel under RESEARCH_TIMEOUT_SECONDS."""
        return 2 * self.settings.research_timeout_seconds + self.CHECKS_RESERVE_SECONDS

    def template(self) -> float:
        timeout = self.settings.llm_timeout_seconds
        return max(0.0, min(timeout, (self.remaining() - self.research_reserve()) / 2))

    def compose(self) -> float:
        own = call_budget(self.settings.llm_timeout_seconds, self.settings.llm_max_retries)
        return max(0.0, min(own, self.remaining() - self.CHECKS_RESERVE_SECONDS))


async def _compose(
    template: str,
    analysis: TemplateAnalysis,
    recipient: Addressee,
    evidence: Evidence,
    deps: PipelineDeps,
    *,
    budget: float,
    dry_run: bool = False,
) -> _Composed:
    """Model when configured and there is something to write from (or this is a dry run); the mail merge otherwise.

    A model draft comes back with the merge beside it (the checks step picks the better one), except in a dry run,
    which reports on the model's plumbing. A failed or useless model draft is replaced by the merge, with a failed
    `composer` check saying why; its usage is kept either way.
    """
    if is_offline(deps.compose_model) or (is_thin(evidence) and not dry_run):
        draft, notes = compose_offline(template, analysis, recipient, evidence)
        return _Composed(draft, notes=notes)
    model_draft, usage, error = await compose_with_model(
        template, analysis, recipient, evidence, deps=deps, budget_seconds=budget
    )
    if dry_run:  # a probe of the model's plumbing: any parsed draft passes, a failed call fails it
        if error is not None or model_draft is None:
            why = error.public_message if error is not None else "no draft"
            status = error.status if error is not None else None
            raise DryRunModelFailed(f"dry run: the composer model failed ({why})", status=status, usage=usage)
        return _Composed(model_draft, usage=usage)
    raws = tuple(p.raw for p in analysis.placeholders)
    useless = useless_reason(model_draft, template, raws) if model_draft is not None else None
    merged, notes = compose_offline(template, analysis, recipient, evidence)
    if error is not None or model_draft is None:
        why = error.public_message if error is not None else "no draft"
        logger.warning("composer model failed; using the offline merge", extra={"error": why})
        message = f"The composer model failed ({why}); this draft is the offline mail merge."
        return _Composed(merged, usage=usage, checks=[CheckResult("composer", False, message)], notes=notes)
    if useless is not None:
        message = f"The composer model's draft was unusable ({useless}); this draft is the offline mail merge."
        composer = [CheckResult("composer", False, message)]
        return _Composed(merged, usage=usage, checks=composer, notes=notes, model_draft=model_draft)
    return _Composed(model_draft, usage=usage, merge=merged, merge_notes=notes)


@dataclass
class _Checked:
    draft: Draft
    checks: list[CheckResult]
    notes: list[str]
    model_draft: Draft | None


def _check(composed: _Composed, template: str, analysis: TemplateAnalysis, recipient: Addressee,
           evidence: Evidence) -> _Checked:  # fmt: skip
    """Check the draft; when a model draft fails and the merge beside it fails fewer checks, the merge wins.

    Fewer failed checks is the measure because every check names a problem the reviewer would have to fix. A tie
    keeps the model's draft: the user configured a model, and its draft reads better when both are equally sound.
    """
    raws = tuple(p.raw for p in analysis.placeholders)
    evidence_check = _evidence_check(evidence, recipient)

    def checked(draft: Draft) -> list[CheckResult]:
        return run_checks(draft, template=template, template_raws=raws, recipient=recipient, evidence=evidence)

    checks = [evidence_check, *composed.checks, *checked(composed.draft)]
    failed = [c.name for c in checks if not c.passed]
    if composed.merge is None or not failed:
        return _Checked(composed.draft, checks, composed.notes, composed.model_draft)
    merge_checks = [evidence_check, *checked(composed.merge)]
    merge_failed = [c.name for c in merge_checks if not c.passed]
    if len(merge_failed) >= len(failed):
        return _Checked(composed.draft, checks, composed.notes, None)
    model_reasons = [c.message for c in checks if not c.passed and c.name != "evidence"]
    message = (
        f"The model's draft failed {len(failed)} check(s) ({', '.join(failed)}) and the offline mail merge "
        f"{len(merge_failed)}, so this draft is the merge; the model's draft is kept as a version. "
        f"The model's draft: {' '.join(model_reasons)}"
    )
    note = CheckResult("composer", True, message)
    return _Checked(composed.merge, [*merge_checks, note], [*composed.merge_notes, message], composed.draft)


OnSaved = Callable[[StepResults], Awaitable[None]]
"""Called after each step this run finished itself, with every finished step so far: the job handler stores it."""


async def _saved(resume: StepResults, on_saved: OnSaved | None) -> None:
    if on_saved is not None:
        await on_saved(resume)


async def run_pipeline(
    template: str,
    recipient: Addressee,
    *,
    deps: PipelineDeps,
    on_step: OnStep,
    sources: SourceSet | None = None,
    dry_run: bool = False,
    deadline: float | None = None,
    resume: StepResults | None = None,
    on_saved: OnSaved | None = None,
) -> PipelineResult:
    """Run every step for one recipient and return the draft with its evidence, checks and usage.

    With `dry_run`, `sources` is ignored: no research source is asked (see the module docstring). `deadline`
    (a `time.monotonic()` value) is when the caller's hard limit falls: model calls are fitted into the time
    left (see `Budget`). `resume` holds an earlier attempt's finished steps, which are reused; it is updated
    with each step this run finishes, and `on_saved(resume)` is awaited right after, so the caller can store it.
    """
    budget = Budget(deps.settings, deadline)
    template = validate_template(template)
    recipient = validate_recipient(recipient)
    if dry_run:
        sources = SourceSet.silent()
    sources = sources or SourceSet.default(deps.settings, deps.http)
    timings: dict[Step, float] = {}
    usage: list[dict[str, Any]] = []

    @asynccontextmanager
    async def step(name: Step) -> AsyncIterator[None]:
        await on_step(name)
        started = time.perf_counter()
        try:
            yield
        finally:
            timings[name] = round(time.perf_counter() - started, 4)

    saved_template = resume.template if resume is not None else None
    async with step("template"):
        if saved_template is not None:  # its model calls' usage was never stored: it is part of this run's
            analysis, template_usage = saved_template.analysis, list(saved_template.usage)
        else:
            analysis, template_usage = await analyze_template_with_usage(
                template, deps=deps, budget_seconds=budget.template()
            )
        usage += template_usage
    if resume is not None and saved_template is not None:
        resume.reused.append(f"template analysis reused from attempt {saved_template.attempt}")
    elif resume is not None:
        resume.template = SavedTemplate(analysis, template_usage, resume.attempt, deps.now())
        await _saved(resume, on_saved)
    query = ResearchQuery(
        name=clean_name(recipient.name),
        raw_name=recipient.name,
        interest=recipient.interest,
        affiliation=recipient.affiliation,
        profile_urls=recipient.profile_urls,
        template_type=analysis.template_type,
        now=deps.now(),
    )
    saved_evidence = resume.reusable_evidence(analysis.template_type) if resume is not None else None
    if saved_evidence is not None and resume is not None:
        async with step("research"):  # progress and cancellation as usual; nothing is asked
            evidence = saved_evidence.evidence
        async with step("papers"):
            pass
        retrieved = saved_evidence.saved_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        resume.reused.append(f"research reused from attempt {saved_evidence.attempt} (sources retrieved {retrieved})")
    else:
        async with step("research"):
            identity = await identify(query, sources, settings=deps.settings, now=deps.now())
        async with step("papers"):
            papers = await collect_papers(query, identity, sources, settings=deps.settings, now=deps.now())
            evidence = build_evidence(query, identity, papers, now=deps.now())
        if resume is not None:
            resume.evidence = SavedEvidence(evidence, analysis.template_type, resume.attempt, deps.now())
            await _saved(resume, on_saved)
    if resume is not None and resume.reused:  # a copy: the saved evidence stays as it was retrieved
        evidence = replace(evidence, notes=[*evidence.notes, *resume.reused])
    async with step("compose"):
        try:
            composed = await _compose(
                template, analysis, recipient, evidence, deps, budget=budget.compose(), dry_run=dry_run
            )
        except DryRunModelFailed as failed:
            failed.usage = usage + failed.usage  # the classifier's calls too
            raise
        usage += composed.usage
    async with step("checks"):
        checked = _check(composed, template, analysis, recipient, evidence)
    checks = checked.checks
    confident = all(check.passed for check in checks)
    reasons = [check.message for check in checks if not check.passed]
    return PipelineResult(
        analysis=analysis,
        evidence=evidence,
        draft=checked.draft,
        checks=checks,
        is_confident=confident,
        status="completed" if confident else "needs_review",
        reasons=reasons + (checked.notes if not confident else []),
        usage=usage,
        timings=timings,
        model_draft=checked.model_draft,
    )
