"""`run_pipeline`: template → research → papers → compose → checks, with progress and cancellation hooks.

The job handler passes `on_step`, called before each step, where it records progress and honours cancellation.
A failing research source never fails a run; a failing model falls back to the offline merge; in both cases the
result says so. Input errors raise `ValidationFailed` naming the field.

A dry run (a deployment probe) runs every step but asks no research source, and composes with the configured model
even with no evidence; a model failure then raises a permanent `ModelError` instead of falling back, because a
probe that hid a broken model would report a healthy deployment.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from scriptorium.core.errors import ModelError, ValidationFailed
from scriptorium.core.llm import is_offline
from scriptorium.scribe.pipeline.checks import run_checks
from scriptorium.scribe.pipeline.compose import compose_with_model
from scriptorium.scribe.pipeline.evidence import build_evidence
from scriptorium.scribe.pipeline.merge import compose_offline
from scriptorium.scribe.pipeline.research import SourceSet, collect_papers, identify
from scriptorium.scribe.pipeline.template import analyze_template_with_usage, validate_template
from scriptorium.scribe.pipeline.types import (
    CheckResult,
    Draft,
    Evidence,
    OnStep,
    PipelineDeps,
    PipelineResult,
    Recipient,
    Step,
    TemplateAnalysis,
)
from scriptorium.scribe.sources import ResearchQuery
from scriptorium.scribe.sources.text import clean_name

logger = logging.getLogger(__name__)

MAX_PROFILE_URLS = 5


def validate_recipient(recipient: Recipient) -> Recipient:
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
    return Recipient(name, interest, recipient.email, tuple(recipient.profile_urls), affiliation)


def is_thin(evidence: Evidence) -> bool:
    """Nothing verified to personalize with: no fact from any source."""
    return not evidence.facts


def _evidence_check(evidence: Evidence, recipient: Recipient) -> CheckResult:
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


@dataclass
class _Composed:
    draft: Draft
    usage: list[dict[str, Any]] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


async def _compose(
    template: str,
    analysis: TemplateAnalysis,
    recipient: Recipient,
    evidence: Evidence,
    deps: PipelineDeps,
    *,
    dry_run: bool = False,
) -> _Composed:
    """Model when configured and there is something to write from (or this is a dry run); the mail merge otherwise."""
    if is_offline(deps.compose_model) or (is_thin(evidence) and not dry_run):
        draft, notes = compose_offline(template, analysis, recipient, evidence)
        return _Composed(draft, notes=notes)
    try:
        draft, usage = await compose_with_model(template, analysis, recipient, evidence, deps=deps)
    except ModelError as exc:
        if dry_run:
            message = f"dry run: the composer model failed ({exc.public_message})"
            raise ModelError(message, service=exc.service, status=exc.status, transient=False) from None
        logger.warning("composer model failed; using the offline merge", extra={"error": exc.public_message})
        draft, notes = compose_offline(template, analysis, recipient, evidence)
        message = f"The composer model failed ({exc.public_message}); this draft is the offline mail merge."
        return _Composed(draft, checks=[CheckResult("composer", False, message)], notes=notes)
    return _Composed(draft, usage=[usage])


async def run_pipeline(
    template: str,
    recipient: Recipient,
    *,
    deps: PipelineDeps,
    on_step: OnStep,
    sources: SourceSet | None = None,
    dry_run: bool = False,
) -> PipelineResult:
    """Run every step for one recipient and return the draft with its evidence, checks and usage.

    With `dry_run`, `sources` is ignored: no research source is asked (see the module docstring).
    """
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

    async with step("template"):
        analysis, template_usage = await analyze_template_with_usage(template, deps=deps)
        usage += template_usage
    query = ResearchQuery(
        name=clean_name(recipient.name),
        raw_name=recipient.name,
        interest=recipient.interest,
        affiliation=recipient.affiliation,
        profile_urls=recipient.profile_urls,
        template_type=analysis.template_type,
        now=deps.now(),
    )
    async with step("research"):
        identity = await identify(query, sources, settings=deps.settings, now=deps.now())
    async with step("papers"):
        papers = await collect_papers(query, identity, sources, settings=deps.settings, now=deps.now())
        evidence = build_evidence(query, identity, papers, now=deps.now())
    async with step("compose"):
        composed = await _compose(template, analysis, recipient, evidence, deps, dry_run=dry_run)
        usage += composed.usage
    async with step("checks"):
        draft, raws = composed.draft, tuple(p.raw for p in analysis.placeholders)
        checks = [_evidence_check(evidence, recipient), *composed.checks]
        checks += run_checks(draft, template=template, template_raws=raws, recipient=recipient, evidence=evidence)
    confident = all(check.passed for check in checks)
    reasons = [check.message for check in checks if not check.passed]
    return PipelineResult(
        analysis=analysis,
        evidence=evidence,
        draft=draft,
        checks=checks,
        is_confident=confident,
        status="completed" if confident else "needs_review",
        reasons=reasons + (composed.notes if not confident else []),
        usage=usage,
        timings=timings,
    )
