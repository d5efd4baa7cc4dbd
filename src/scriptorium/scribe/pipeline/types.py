"""The data that flows through the Scribe pipeline, and the two callables other layers depend on.

These shapes are a contract: the job handler, the API and the UI read them. Fields may be added, never removed.
Everything a step produces is plain data, so a finished `PipelineResult` can be stored as JSON and shown later
with every claim traced to the source it came from.

The results a step hands to the next (`TemplateAnalysis`, `Evidence` and what they hold) have explicit
`to_json`/`from_json`, so a retried job can resume after its finished steps (`pipeline/resume.py`). `from_json`
raises `ValueError` on any shape it does not know: stored JSON is data from an older run, never trusted to fit.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, get_args

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
class Addressee:
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

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "raw": self.raw, "form": self.form}

    @classmethod
    def from_json(cls, data: Any) -> Placeholder:
        return cls(_text(data, "name"), _text(data, "raw"), _choice(data, "form", PlaceholderForm))


@dataclass(frozen=True)
class TemplateAnalysis:
    """What the template asks for. `classified_by` is `rules` or the model spec that chose `template_type`."""

    placeholders: tuple[Placeholder, ...]
    template_type: TemplateType
    warnings: tuple[str, ...]
    classified_by: str = "rules"

    def to_json(self) -> dict[str, Any]:
        return {
            "placeholders": [p.to_json() for p in self.placeholders],
            "template_type": self.template_type,
            "warnings": list(self.warnings),
            "classified_by": self.classified_by,
        }

    @classmethod
    def from_json(cls, data: Any) -> TemplateAnalysis:
        return cls(
            placeholders=tuple(Placeholder.from_json(p) for p in _list(data, "placeholders")),
            template_type=_choice(data, "template_type", TemplateType),
            warnings=_texts(data, "warnings"),
            classified_by=_text(data, "classified_by"),
        )


@dataclass(frozen=True)
class ResearchSource:
    """One retrieved document that facts cite: an author record, a paper, a page. Ids run `S1`, `S2`, ..."""

    id: str
    kind: SourceKind
    url: str
    title: str
    retrieved_at: datetime
    excerpt: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "url": self.url,
            "title": self.title,
            "retrieved_at": self.retrieved_at.isoformat(),
            "excerpt": self.excerpt,
        }

    @classmethod
    def from_json(cls, data: Any) -> ResearchSource:
        retrieved_at = datetime.fromisoformat(_text(data, "retrieved_at"))
        if retrieved_at.tzinfo is None:
            raise ValueError("retrieved_at has no time zone")
        return cls(
            id=_text(data, "id"),
            kind=_choice(data, "kind", SourceKind),
            url=_text(data, "url"),
            title=_text(data, "title"),
            retrieved_at=retrieved_at,
            excerpt=_text(data, "excerpt"),
        )


@dataclass(frozen=True)
class Fact:
    """A statement about the recipient backed by `source_ids`; `value` is the bare datum (a title, a school)."""

    text: str
    source_ids: tuple[str, ...]
    kind: str
    value: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "source_ids": list(self.source_ids), "kind": self.kind, "value": self.value}

    @classmethod
    def from_json(cls, data: Any) -> Fact:
        return cls(_text(data, "text"), _texts(data, "source_ids"), _text(data, "kind"), _text(data, "value"))


@dataclass
class Evidence:
    """Only verified material: unverified papers never become sources, they are mentioned in `notes` only."""

    sources: list[ResearchSource]
    facts: list[Fact]
    author_verified: bool
    notes: list[str] = field(default_factory=list)

    def source(self, source_id: str) -> ResearchSource | None:
        return next((s for s in self.sources if s.id == source_id), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "sources": [s.to_json() for s in self.sources],
            "facts": [f.to_json() for f in self.facts],
            "author_verified": self.author_verified,
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: Any) -> Evidence:
        """Raises ValueError on any shape it does not know, including a fact citing a source that is not there:
        stored evidence is reused only when it is exactly what a run would have built."""
        sources = [ResearchSource.from_json(s) for s in _list(data, "sources")]
        facts = [Fact.from_json(f) for f in _list(data, "facts")]
        known = {s.id for s in sources}
        if len(known) != len(sources) or any(not set(f.source_ids) <= known for f in facts):
            raise ValueError("facts cite unknown or duplicate sources")
        verified = data.get("author_verified")
        if not isinstance(verified, bool):
            raise ValueError("author_verified is not a boolean")
        return cls(sources, facts, verified, list(_texts(data, "notes")))


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


def _field(data: Any, key: str) -> Any:
    if not isinstance(data, dict) or key not in data:
        raise ValueError(f"missing {key!r}")
    return data[key]


def _text(data: Any, key: str) -> str:
    value = _field(data, key)
    if not isinstance(value, str):
        raise ValueError(f"{key!r} is not text")
    return value


def _list(data: Any, key: str) -> list[Any]:
    value = _field(data, key)
    if not isinstance(value, list):
        raise ValueError(f"{key!r} is not a list")
    return value


def _texts(data: Any, key: str) -> tuple[str, ...]:
    values = _list(data, key)
    if not all(isinstance(v, str) for v in values):
        raise ValueError(f"{key!r} holds something other than text")
    return tuple(values)


def _choice(data: Any, key: str, allowed: Any) -> Any:
    """A value of the Literal type `allowed`; anything else is a shape this code does not know."""
    value = _field(data, key)
    if value not in get_args(allowed):
        raise ValueError(f"{key!r} is not one of {get_args(allowed)}")
    return value


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
