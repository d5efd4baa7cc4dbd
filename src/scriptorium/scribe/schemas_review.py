"""Response bodies for reviewing a batch: stepping through its emails, research outages and their retry."""

from __future__ import annotations

from pydantic import BaseModel, Field


class BatchEmail(BaseModel):
    """One email of a batch as the step-through shows it: who, the verdict and why."""

    id: str
    recipient_name: str
    status: str
    is_confident: bool
    review_reasons: list[str]
    unreachable: list[str] = Field(description="Research sources this email's run could not reach.")
    regenerating: bool = Field(description="A regeneration of this email is waiting or running.")


class Outage(BaseModel):
    """Sources the batch could not reach, said once: which, for how many emails, and what a retry would redo."""

    sources: list[str] = Field(description="Research roles, e.g. `openalex`, `arxiv`.")
    labels: list[str] = Field(description="The same sources in words, e.g. `OpenAlex`, `arXiv`.")
    message: str
    email_ids: list[str] = Field(description="Emails that need review and whose research hit the outage.")


class BatchReview(BaseModel):
    batch_id: str
    emails: list[BatchEmail] = Field(description="In submission order; discarded emails are left out.")
    position: int | None = Field(None, description="0-based index of the email this was asked for, if any.")
    previous_id: str | None = None
    next_id: str | None = None
    pending: int = Field(description="Items of the batch still waiting or running (regenerations included).")
    failed: int
    outage: Outage | None = None


class RetrySkipped(BaseModel):
    email_id: str
    reason: str


class RetryQueued(BaseModel):
    email_id: str
    task_id: str


class OutageRetryResponse(BaseModel):
    queued: list[RetryQueued]
    skipped: list[RetrySkipped]
    message: str
