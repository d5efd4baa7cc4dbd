"""The data that flows through the Scribe pipeline, and the two callables other layers depend on.

These shapes are a contract: the job handler, the API and the UI read them. Fields may be added, never removed.
Everything a step produces is plain data, so a finished `PipelineResult` can be stored as JSON and shown later
with every claim traced to the source it came from.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import httpx

from scriptorium.core.settings import Settings

Step = Literal["template", "research", "papers", "compose", "checks"]
STEPS: tuple[Step, ...] = ("template", "research", "papers", "compose", "checks")

TemplateType = Literal["research", "book", "general"]
PlaceholderForm = Literal["curly", "square", "angle"]
SourceKind = Literal["openalex", "arxiv", "semantic_scholar", "web", "search"]
Status = Literal["completed", "needs_review"]

OnStep = Callable[[Step], Awaitable[None]]
"""Called before each step: the job handler records progress and checks cancellation there."""


@dataclass(frozen=True)
class Recipient:
    """Who the email is for, as the user typed it. `profile_urls` are pages the user vouches are about them."""

    name: str
    interest: str
    email: str | None = None
    profile_urls: tuple[str, ...] = ()
    affiliation: str | None = None


@dataclass(frozen=True)
class Placeholder:
    """One placeholder as written in the template (`raw`, e.g. `{{ paper_title }}`) and its inner text (`name`)."""

    name: str
    raw: str
    form: PlaceholderForm

    @property
    def key(self) -> str:
        """`name` folded to a lower-case identifier: `Professor's Last Name` -> `professor_last_name`."""
        folded = re.sub(r"'s\b", "", self.name.lower())
        return re.sub(r"[^a-z0-9]+", "_", folded).strip("_")


@dataclass(frozen=True)
class TemplateAnalysis:
    """What the template asks for. `classified_by` is `rules` or the model spec that chose `template_type`."""

    placeholders: tuple[Placeholder, ...]
    template_type: TemplateType
    warnings: tuple[str, ...]
    classified_by: str = "rules"


@dataclass(frozen=True)
class Source:
    """One retrieved document that facts cite: an author record, a paper, a page. Ids run `S1`, `S2`, ..."""

    id: str
    kind: SourceKind
    url: str
    title: str
    retrieved_at: datetime
    excerpt: str


@dataclass(frozen=True)
class Fact:
    """A statement about the recipient backed by `source_ids`; `value` is the bare datum (a title, a school)."""

    text: str
    source_ids: tuple[str, ...]
    kind: str
    value: str = ""


@dataclass
class Evidence:
    """Only verified material: unverified papers never become sources, they are mentioned in `notes` only."""

    sources: list[Source]
    facts: list[Fact]
    author_verified: bool
    notes: list[str] = field(default_factory=list)

    def source(self, source_id: str) -> Source | None:
        return next((s for s in self.sources if s.id == source_id), None)


@dataclass(frozen=True)
class Claim:
    """A personal statement the draft makes, with the sources that back it."""

    text: str
    source_ids: tuple[str, ...]


@dataclass
class Draft:
    """The composed email. `composer` is `offline` or the model spec that wrote it."""

    subject: str
    body: str
    claims: list[Claim]
    composer: str


@dataclass(frozen=True)
class CheckResult:
    """One deterministic post-check; `message` is written for the person reviewing the draft.

    `sentences` are the offending sentences exactly as they stand in the subject or body, so the review UI can
    highlight the text behind each reason by plain substring search (empty when the reason is not about a
    sentence, e.g. the length check).
    """

    name: str
    passed: bool
    message: str
    sentences: tuple[str, ...] = ()


@dataclass
class PipelineResult:
    """Everything one run produced. `status` is `completed` only when every check passed (`is_confident`)."""

    analysis: TemplateAnalysis
    evidence: Evidence
    draft: Draft
    checks: list[CheckResult]
    is_confident: bool
    status: Status
    reasons: list[str]
    usage: list[dict[str, Any]]
    timings: dict[Step, float]
    model_draft: Draft | None = None
    """The model's draft when the offline merge replaced it (it failed more checks, or was unusable): kept so the
    email stores it as a version (kind `model_draft`) instead of losing what the model wrote."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class PipelineDeps:
    """What a run needs from outside. `now` is injectable so the "last 10 years" window is testable."""

    settings: Settings
    http: httpx.AsyncClient
    compose_model: str
    template_model: str
    now: Callable[[], datetime] = _utcnow
    _models: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def model(self, spec: str) -> Any:
        """The pydantic-ai model for `spec`, built once per deps: each build costs new HTTP clients and memory."""
        if spec not in self._models:
            from scriptorium.core.llm import build_model

            self._models[spec] = build_model(spec, self.settings)
        return self._models[spec]

    @classmethod
    def from_settings(cls, settings: Settings, http: httpx.AsyncClient) -> PipelineDeps:
        """Models from TEMPLATE_PARSER_MODEL / EMAIL_COMPOSER_MODEL, each falling back to CHAT_PROVIDER."""
        return cls(
            settings=settings,
            http=http,
            compose_model=settings.model_for("compose"),
            template_model=settings.model_for("template"),
        )
