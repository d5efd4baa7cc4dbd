"""Saved templates: create by hand or from a résumé, list, read, update, delete. Each response carries the
placeholders found and the detected type, computed by the pipeline's deterministic analysis (no model call)."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.core.db import new_id, utcnow
from scriptorium.core.errors import NotFound, ValidationFailed
from scriptorium.core.settings import Settings
from scriptorium.scribe.models import ScribeProfile, Template
from scriptorium.scribe.pipeline.template import analyze_rules
from scriptorium.scribe.profiles import get_profile
from scriptorium.scribe.quota import reserve_resume_template
from scriptorium.scribe.schemas import TemplateAnalysisOut, TemplateResponse
from scriptorium.scribe.templates_resume import extract_resume_text, generate_template


async def owned_template(session: AsyncSession, *, user_id: str, template_id: str) -> Template:
    """The user's saved template; another user's looks missing."""
    template = await session.get(Template, template_id)
    if template is None or template.user_id != user_id:
        raise NotFound("no such template")
    return template


def analyze(text: str) -> TemplateAnalysisOut:
    analysis = analyze_rules(text)
    return TemplateAnalysisOut(
        template_type=analysis.template_type,
        placeholders=[p.raw for p in analysis.placeholders],
        warnings=list(analysis.warnings),
    )


def template_response(template: Template) -> TemplateResponse:
    analysis = analyze(template.template_text)
    return TemplateResponse(
        id=template.id,
        user_id=template.user_id,
        pdf_url=template.pdf_url,
        template_text=template.template_text,
        user_instructions=template.user_instructions,
        created_at=template.created_at,
        name=template.name,
        template_type=template.template_type or analysis.template_type,
        origin=template.origin,
        resume_filename=template.resume_filename,
        placeholders=analysis.placeholders,
        warnings=analysis.warnings,
        updated_at=template.updated_at,
    )


def _default_name(text: str) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "Template")
    return first[:60]


async def create_template(
    session: AsyncSession,
    *,
    user_id: str,
    text: str,
    name: str = "",
    origin: str = "manual",
    instructions: str | None = None,
    resume_filename: str | None = None,
    pdf_url: str | None = None,
) -> Template:
    await get_profile(session, user_id=user_id)
    template = Template(
        id=new_id(),
        user_id=user_id,
        name=name or _default_name(text),
        template_text=text,
        template_type=analyze_rules(text).template_type,
        origin=origin,
        user_instructions=instructions,
        resume_filename=resume_filename,
        pdf_url=pdf_url,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    session.add(template)
    await session.execute(
        update(ScribeProfile)
        .where(ScribeProfile.user_id == user_id)
        .values(template_count=ScribeProfile.template_count + 1)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
    return template


async def create_from_resume(
    session: AsyncSession,
    *,
    settings: Settings,
    user_id: str,
    data: bytes,
    instructions: str | None,
    filename: str | None = None,
    pdf_url: str | None = None,
    name: str = "",
) -> Template:
    """Check today's allowance first (cheap), then read the PDF and write the template."""
    await reserve_resume_template(session, settings=settings, user_id=user_id)
    resume = await extract_resume_text(data, settings=settings)
    text, _ = await generate_template(resume, instructions, settings=settings)
    if len(text.strip()) < 20:
        raise ValidationFailed("could not write a template from this résumé", field="file")
    return await create_template(
        session,
        user_id=user_id,
        text=text,
        name=name or f"From résumé{f' ({filename})' if filename else ''}",
        origin="resume",
        instructions=instructions,
        resume_filename=(filename or "")[:255] or None,
        pdf_url=pdf_url,
    )


async def list_templates(session: AsyncSession, *, user_id: str, limit: int, offset: int) -> list[Template]:
    rows = await session.scalars(
        select(Template)
        .where(Template.user_id == user_id)
        .order_by(Template.created_at.desc(), Template.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows.all())


async def update_template(
    session: AsyncSession, *, user_id: str, template_id: str, name: str | None, text: str | None
) -> Template:
    template = await owned_template(session, user_id=user_id, template_id=template_id)
    if name is not None:
        template.name = name or _default_name(template.template_text)
    if text is not None:
        template.template_text = text
        template.template_type = analyze_rules(text).template_type
    template.updated_at = utcnow()
    await session.flush()
    return template


async def delete_template(session: AsyncSession, *, user_id: str, template_id: str) -> None:
    """Delete by statement and count: a concurrent delete that won the race leaves nothing to delete (404)."""
    await owned_template(session, user_id=user_id, template_id=template_id)
    result = await session.execute(
        delete(Template)
        .where(Template.id == template_id, Template.user_id == user_id)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        raise NotFound("template not found")
