"""The finished steps of a queue item's earlier attempts, so a retried job resumes instead of starting over.

Research is minutes of outside calls, and asked again it may return a different set of sources. So when an
attempt dies after research (a killed worker, a database error at the final store, a timeout in compose), the
next attempt of the same queue item reuses the template analysis and the evidence it saved, and says so in the
evidence notes. The job handler stores `StepResults.to_json()` on the queue item after each finished step.

Saved results are reused only when they are certainly what this attempt would have computed: the same
`STEP_RESULTS_VERSION` (a shape change invalidates old rows instead of crashing), the same inputs (`fingerprint`:
template, recipient, dry run), evidence built for the same template type, and not older than `MAX_AGE`. Anything
else is ignored and the step runs again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from scriptorium.scribe.pipeline.types import Addressee, Evidence, TemplateAnalysis

log = logging.getLogger(__name__)

STEP_RESULTS_VERSION = 1
"""Bump when the JSON of `TemplateAnalysis`, `Evidence` or this envelope changes shape."""

MAX_AGE = timedelta(days=1)
"""Older research is not reused: a retry a day later should see what the sources say now."""


def fingerprint(template: str, recipient: Addressee, *, dry_run: bool) -> str:
    """What the saved steps were computed from; the recipient's contact details may be edited between attempts."""
    inputs = [template, recipient.name, recipient.interest, recipient.email, list(recipient.profile_urls),
              recipient.affiliation, dry_run]  # fmt: skip
    return hashlib.sha256(json.dumps(inputs, ensure_ascii=False).encode()).hexdigest()


@dataclass
class SavedTemplate:
    """The template step's result, and the usage of its model calls (not stored anywhere else until the email is)."""

    analysis: TemplateAnalysis
    usage: list[dict[str, Any]]
    attempt: int
    saved_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"analysis": self.analysis.to_json(), "usage": self.usage, "attempt": self.attempt,
                "saved_at": self.saved_at.isoformat()}  # fmt: skip

    @classmethod
    def from_json(cls, data: Any) -> SavedTemplate:
        usage = data["usage"]
        if not isinstance(usage, list) or not all(isinstance(u, dict) for u in usage):
            raise ValueError("usage is not a list of records")
        return cls(TemplateAnalysis.from_json(data["analysis"]), usage, _attempt(data), _saved_at(data))


@dataclass
class SavedEvidence:
    """The research and papers steps' result; `template_type` is the type it was gathered for."""

    evidence: Evidence
    template_type: str
    attempt: int
    saved_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"evidence": self.evidence.to_json(), "template_type": self.template_type, "attempt": self.attempt,
                "saved_at": self.saved_at.isoformat()}  # fmt: skip

    @classmethod
    def from_json(cls, data: Any) -> SavedEvidence:
        template_type = data["template_type"]
        if not isinstance(template_type, str):
            raise ValueError("template_type is not text")
        return cls(Evidence.from_json(data["evidence"]), template_type, _attempt(data), _saved_at(data))


def _attempt(data: Any) -> int:
    attempt = data["attempt"]
    if not isinstance(attempt, int) or isinstance(attempt, bool) or attempt < 1:
        raise ValueError("attempt is not a positive number")
    return attempt


def _saved_at(data: Any) -> datetime:
    saved_at = datetime.fromisoformat(data["saved_at"])
    if saved_at.tzinfo is None:
        raise ValueError("saved_at has no time zone")
    return saved_at


@dataclass
class StepResults:
    """What this attempt may reuse, and what it has finished so far (the runner fills it in as steps finish)."""

    fingerprint: str
    attempt: int
    template: SavedTemplate | None = None
    evidence: SavedEvidence | None = None
    reused: list[str] = field(default_factory=list)
    """Notes on what this attempt took from an earlier one, e.g. `research reused from attempt 1 (…)`."""

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STEP_RESULTS_VERSION,
            "fingerprint": self.fingerprint,
            "template": self.template.to_json() if self.template else None,
            "evidence": self.evidence.to_json() if self.evidence else None,
        }

    @classmethod
    def load(cls, data: Any, *, fingerprint: str, attempt: int, now: datetime) -> StepResults:
        """The reusable part of stored JSON (`data` may be None, another version, or malformed: then nothing)."""
        fresh = cls(fingerprint, attempt)
        if not isinstance(data, dict) or data.get("version") != STEP_RESULTS_VERSION:
            return fresh
        if data.get("fingerprint") != fingerprint:
            return fresh  # the template or recipient changed since: the saved steps answer another question
        try:
            template = SavedTemplate.from_json(data["template"]) if data.get("template") is not None else None
            evidence = SavedEvidence.from_json(data["evidence"]) if data.get("evidence") is not None else None
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("ignoring saved step results of another shape", extra={"error": str(exc)})
            return fresh
        if template is not None and now - template.saved_at <= MAX_AGE:
            fresh.template = template
        if evidence is not None and now - evidence.saved_at <= MAX_AGE:
            fresh.evidence = evidence
        return fresh

    def reusable_evidence(self, template_type: str) -> SavedEvidence | None:
        """Saved evidence, when it was gathered for this template type (the type decides how many papers)."""
        saved = self.evidence
        return saved if saved is not None and saved.template_type == template_type else None
