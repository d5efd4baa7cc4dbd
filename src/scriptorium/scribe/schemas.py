"""Request and response bodies of the Scribe API.

Field names follow the original service (`email_template`, `recipient_name`, `recipient_interest`,
`email_message`, `queue_item_ids`, ...) so its clients keep working; everything else is an additive field.
Length limits live here, at the boundary, and a violation is a 422 naming the field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, StringConstraints, model_validator

from scriptorium.core.addresses import EmailAddress
from scriptorium.core.text_fields import MULTI_LINE, SINGLE_LINE
from scriptorium.scribe.mail.schemas import EmailMailState
from scriptorium.scribe.quota import DRY_RUNS_PER_DAY


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


# Every text field of a request refuses control characters (SINGLE_LINE / MULTI_LINE, core.text_fields): a NUL
# is a 500 on PostgreSQL otherwise, and a 422 naming the field on every database with them.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=255), SINGLE_LINE]
Interest = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=500), MULTI_LINE]
TemplateText = Annotated[str, StringConstraints(min_length=20, max_length=5000), MULTI_LINE, AfterValidator(_not_blank)]
RecipientEmail = Annotated[EmailAddress, AfterValidator(str.lower)]
"""A recipient's address, stored lower-cased (as before the shared check): one person, one spelling."""
TemplateId = Annotated[str, StringConstraints(max_length=32), SINGLE_LINE]
PROFILE_URLS_MAX = 5  # per recipient: every one of them is read (scribe.sources.pages)
ProfileUrls = Annotated[list[HttpUrl], Field(max_length=PROFILE_URLS_MAX)]
TemplateTypeName = Literal["research", "book", "general"]
DRY_RUN_DESCRIPTION = (
    "A probe of the deployment (what `scriptorium doctor` sends). It goes through the real job queue and worker and "
    "composes with the configured chat model (the offline mail merge when none is configured), but makes no outside "
    "research requests (scholarly APIs, web pages, search): the recipient is only a probe. It does not count "
    "against the daily email quota and is accepted when that quota is used up; dry runs have their own cap of "
    f"{DRY_RUNS_PER_DAY} per user per UTC day (429 past it). No recipient is saved and no email is stored: a dry "
    "run never appears in the history, the queue view, exports or admin statistics, and there is nothing to edit "
    "or regenerate; its token usage is recorded apart (the admin overview's `dry_runs`), and a finished dry run is "
    "deleted after SCRIBE_DRY_RUN_RETENTION_DAYS. `GET /api/email/status/{task_id}` reports its progress and "
    "completion like any other, with `result.dry_run: true` and `result.email_id: null`. A model failure fails a "
    "dry run (no retry, no fallback to the offline mail merge), so a broken model is reported rather than hidden."
)
DryRun = Annotated[bool, Field(description=DRY_RUN_DESCRIPTION)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)


# --- users -----------------------------------------------------------------------------------------------
class UserInitRequest(Strict):
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), SINGLE_LINE]


class SavedTemplateRequest(Strict):
    template: Annotated[str, StringConstraints(min_length=1, max_length=10_000), MULTI_LINE, AfterValidator(_not_blank)]


class OnboardingRequest(Strict):
    onboarded: bool = True


class QuotaOut(BaseModel):
    daily_limit: int
    used_today: int
    remaining: int | None
    resets_at: datetime


class UsageTotals(BaseModel):
    emails: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


class UserResponse(BaseModel):
    id: str
    email: str | None
    display_name: str
    generation_count: int
    template_count: int
    onboarded: bool
    email_template: str | None
    created_at: datetime
    role: str
    quota: QuotaOut
    usage: UsageTotals


# --- recipients and submission ---------------------------------------------------------------------------
class BatchItem(Strict):
    recipient_name: Name
    recipient_interest: Interest
    recipient_email: RecipientEmail | None = None
    institution: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255), SINGLE_LINE] | None = None
    profile_urls: ProfileUrls = Field(default_factory=list)


class GenerateEmailRequest(BatchItem):
    email_template: TemplateText | None = None
    template_id: TemplateId | None = None
    dry_run: DryRun = False

    @model_validator(mode="after")
    def _one_template(self) -> GenerateEmailRequest:
        if self.email_template is None and self.template_id is None:
            raise ValueError("give email_template (20-5000 characters) or template_id")
        return self


class BatchSubmitRequest(Strict):
    items: Annotated[list[BatchItem], Field(min_length=1, max_length=1000)]
    email_template: TemplateText | None = None
    template_id: TemplateId | None = None
    skip_duplicates: bool = False
    dry_run: DryRun = False

    @model_validator(mode="after")
    def _one_template(self) -> BatchSubmitRequest:
        if self.email_template is None and self.template_id is None:
            raise ValueError("give email_template (20-5000 characters) or template_id")
        return self


class RecipientCheckRequest(Strict):
    items: Annotated[list[BatchItem], Field(min_length=1, max_length=1000)]


class DuplicateFlag(BaseModel):
    """A warning about one submitted row: it repeats an earlier row, or that person was emailed recently."""

    index: int
    recipient_name: str
    reason: Literal["in_batch", "recently_emailed", "replied", "bounced"]
    detail: str
    first_index: int | None = None
    previous_queue_item_id: str | None = None
    previous_email_id: str | None = None
    previous_at: datetime | None = None


class TaskResponse(BaseModel):
    task_id: str
    queue_item_id: str
    duplicates: list[DuplicateFlag] = Field(default_factory=list)
    dry_run: bool = False


class BatchSubmitResponse(BaseModel):
    queue_item_ids: list[str]
    message: str
    batch_id: str
    duplicates: list[DuplicateFlag] = Field(default_factory=list)
    skipped: list[int] = Field(default_factory=list)
    dry_run: bool = False


class RecipientOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    interest: str
    email: str | None
    institution: str | None
    profile_urls: list[str]
    created_at: datetime


class ImportRowError(BaseModel):
    line: int
    field: str
    message: str


class RecipientImportResponse(BaseModel):
    items: list[BatchItem]
    errors: list[ImportRowError]
    duplicates: list[DuplicateFlag]
    columns: list[str]


class RecipientCheckResponse(BaseModel):
    duplicates: list[DuplicateFlag]


# --- status and queue ------------------------------------------------------------------------------------
class TaskStatusResponse(BaseModel):
    task_id: str
    status: Literal["PENDING", "STARTED", "SUCCESS", "FAILURE", "REVOKED"]
    result: dict[str, Any] | None = None
    error: str | None = None
    queue_status: str


class QueueItemResponse(BaseModel):
    id: str
    recipient_name: str
    status: str
    position: int | None
    email_id: str | None
    error_message: str | None
    current_step: str | None
    created_at: datetime
    recipient_interest: str
    batch_id: str | None
    origin: str
    attempts: int
    progress: float
    step_timings: dict[str, float]
    started_at: datetime | None
    completed_at: datetime | None
    updated_at: datetime


class MessageResponse(BaseModel):
    message: str
    id: str
    status: str


# --- emails ----------------------------------------------------------------------------------------------
class ClaimOut(BaseModel):
    text: str
    source_ids: list[str]


class CheckOut(BaseModel):
    name: str
    passed: bool
    detail: str = ""
    sentences: list[str] = []  # the draft's offending sentences verbatim; rows stored before the field have none


class SourceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    source_key: str
    kind: str
    url: str | None
    title: str
    excerpt: str
    retrieved_at: datetime


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    kind: str
    subject: str
    body: str
    created_at: datetime


class UsageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    model: str
    input_tokens: int
    output_tokens: int
    requests: int
    cost_usd: float
    created_at: datetime


class EmailResponse(BaseModel):
    id: str
    user_id: str
    recipient_name: str
    recipient_interest: str
    email_message: str
    template_type: str
    metadata: dict[str, Any]
    is_confident: bool
    displayed: bool
    created_at: datetime
    subject: str
    status: str
    recipient_email: str | None
    review_reasons: list[str]
    checks: list[CheckOut]
    claims: list[ClaimOut]
    composer: str
    version: int
    queue_item_id: str | None
    updated_at: datetime
    mail: EmailMailState | None = Field(
        None, description="What the user's mailbox did with it: drafted, sent, replied, bounced; and approval."
    )


class EmailDetail(EmailResponse):
    sources: list[SourceOut]
    versions: list[VersionOut]
    usage: list[UsageOut]
    research_notes: list[str] = Field(
        default_factory=list,
        description="What research did and could not do, in words (sources unreachable, pages or sentences left "
        "out as instructions to the letter's writer).",
    )


class EmailPage(BaseModel):
    items: list[EmailResponse]
    total: int
    limit: int
    offset: int


class EmailUpdateRequest(Strict):
    displayed: bool | None = None
    subject: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), SINGLE_LINE] | None
    ) = None
    email_message: (
        Annotated[str, StringConstraints(min_length=1, max_length=20_000), MULTI_LINE, AfterValidator(_not_blank)]
        | None
    ) = None

    @model_validator(mode="after")
    def _something(self) -> EmailUpdateRequest:
        if self.displayed is None and self.subject is None and self.email_message is None:
            raise ValueError("give at least one of displayed, subject, email_message")
        return self


# --- templates -------------------------------------------------------------------------------------------
class TemplateCreateRequest(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), SINGLE_LINE] = ""
    template_text: TemplateText | None = None
    pdf_url: HttpUrl | None = None
    user_instructions: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=2000), MULTI_LINE] | None
    ) = None

    @model_validator(mode="after")
    def _text_or_resume(self) -> TemplateCreateRequest:
        if self.template_text is None and self.pdf_url is None:
            raise ValueError("give template_text, or pdf_url with user_instructions")
        return self


class TemplateUpdateRequest(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), SINGLE_LINE] | None = None
    template_text: TemplateText | None = None


class TemplateResponse(BaseModel):
    id: str
    user_id: str
    pdf_url: str | None
    template_text: str
    user_instructions: str | None
    created_at: datetime
    name: str
    template_type: str | None
    origin: str
    resume_filename: str | None
    placeholders: list[str]
    warnings: list[str]
    updated_at: datetime


class TemplateAnalysisOut(BaseModel):
    template_type: str
    placeholders: list[str]
    warnings: list[str]


class TemplateAnalyzeRequest(Strict):
    email_template: Annotated[str, StringConstraints(max_length=20_000), MULTI_LINE]
