"""Turning a `PipelineResult` into rows: the email, its version, its sources and its LLM usage.

Called inside the job's final transaction. A regeneration updates the email it targets (its previous text stays
as a version, its previous sources stay under the previous generation number), so the history is never lost.
A dry run stores only its usage (`usage_rows`), marked `dry_run` and tied to its queue item instead of an email.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.core.db import new_id, utcnow
from scriptorium.scribe.models import Email, EmailVersion, QueueItem, Recipient, Source, Usage
from scriptorium.scribe.pipeline import PipelineResult
from scriptorium.scribe.profiles import count_generation


def claims_json(result: PipelineResult) -> list[dict[str, Any]]:
    return [{"text": claim.text, "source_ids": list(claim.source_ids)} for claim in result.draft.claims]


def checks_json(result: PipelineResult) -> list[dict[str, Any]]:
    return [
        {"name": c.name, "passed": c.passed, "detail": c.message, "sentences": list(c.sentences)} for c in result.checks
    ]


def metadata_json(result: PipelineResult, timings: dict[str, float]) -> dict[str, Any]:
    """The original's metadata keys (template_type, scraped_urls, arxiv_papers, step_timings, model) plus ours."""
    analysis, evidence = result.analysis, result.evidence
    totals = {
        key: sum(float(u.get(key, 0) or 0) for u in result.usage)
        for key in ("input_tokens", "output_tokens", "cost_usd")
    }
    return {
        "template_type": analysis.template_type,
        "placeholders": [p.raw for p in analysis.placeholders],
        "template_warnings": list(analysis.warnings),
        "classified_by": analysis.classified_by,
        "scraped_urls": [s.url for s in evidence.sources if s.url],
        "arxiv_papers": [{"title": s.title, "arxiv_url": s.url} for s in evidence.sources if s.kind == "arxiv"],
        "author_verified": evidence.author_verified,
        "evidence_notes": list(evidence.notes),
        "facts": [{"text": f.text, "source_ids": list(f.source_ids), "kind": f.kind} for f in evidence.facts],
        "step_timings": timings,
        "model": result.draft.composer,
        "usage": {
            "input_tokens": int(totals["input_tokens"]),
            "output_tokens": int(totals["output_tokens"]),
            "cost_usd": round(totals["cost_usd"], 6),
        },
    }


async def store_result(
    session: AsyncSession, *, item: QueueItem, result: PipelineResult, timings: dict[str, float]
) -> Email:
    email = await session.get(Email, item.target_email_id) if item.target_email_id else None
    if email is None:
        email = await _new_email(session, item)
        kind = "generated"
    else:
        email.generation += 1
        email.version += 1
        kind = "regenerated"
    if result.model_draft is not None:  # the model's draft the merge replaced: a version, one below the chosen text
        await session.flush()
        model = result.model_draft
        claims = [{"text": c.text, "source_ids": list(c.source_ids)} for c in model.claims]
        session.add(
            EmailVersion(
                email_id=email.id,
                version=email.version,
                kind="model_draft",
                subject=model.subject[:300],
                body=model.body,
                claims=claims,
            )
        )
        email.version += 1
    email.subject = result.draft.subject[:300]
    email.email_message = result.draft.body
    email.template_type = result.analysis.template_type
    email.status = result.status
    email.is_confident = result.is_confident
    email.review_reasons = list(result.reasons)
    email.checks = checks_json(result)
    email.claims = claims_json(result)
    email.email_metadata = metadata_json(result, timings)
    email.composer = "offline" if result.draft.composer == "offline" else "llm"
    email.updated_at = utcnow()
    await session.flush()
    session.add(email.snapshot(kind))
    for source in result.evidence.sources:
        session.add(
            Source(
                email_id=email.id,
                generation=email.generation,
                source_key=source.id,
                kind=source.kind,
                url=source.url[:2000] or None,
                title=source.title[:1000],
                excerpt=source.excerpt,
                retrieved_at=source.retrieved_at,
            )
        )
    session.add_all(usage_rows(result.usage, item=item, email_id=email.id))
    await count_generation(session, user_id=item.user_id)
    return email


def usage_rows(calls: list[dict[str, Any]], *, item: QueueItem, email_id: str | None) -> list[Usage]:
    """One row per model call of this run (`PipelineResult.usage`, or a failed dry run's); a dry run's rows carry
    no email and are marked so totals skip them."""
    return [
        Usage(
            email_id=email_id,
            queue_item_id=item.id,
            dry_run=item.dry_run,
            user_id=item.user_id,
            step=str(usage.get("step", ""))[:20],
            model=str(usage.get("model", ""))[:200],
            input_tokens=int(usage.get("input_tokens", 0) or 0),
            output_tokens=int(usage.get("output_tokens", 0) or 0),
            requests=int(usage.get("requests", 0) or 0),
            cost_usd=float(usage.get("cost_usd", 0) or 0),
        )
        for usage in calls
    ]


async def _new_email(session: AsyncSession, item: QueueItem) -> Email:
    recipient = await session.get(Recipient, item.recipient_id)
    email = Email(
        id=new_id(),
        user_id=item.user_id,
        recipient_id=item.recipient_id,
        queue_item_id=item.id,
        recipient_name=item.recipient_name,
        recipient_interest=item.recipient_interest,
        recipient_email=recipient.email if recipient else None,
        email_message="",
        template_type="general",
        generation=1,
        version=1,
        created_at=utcnow(),
    )
    session.add(email)
    return email
