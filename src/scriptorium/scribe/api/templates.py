"""`/api/templates/*`: create (by hand, from an uploaded résumé PDF, or from a résumé URL), list, read, update,
delete, and a model-free analysis for the editor (placeholders, detected type, warnings)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile

from scriptorium.core.auth import CurrentUser
from scriptorium.core.deps import ResourcesDep, SessionDep, SettingsDep
from scriptorium.core.errors import SourceError, ValidationFailed
from scriptorium.core.openapi import errors
from scriptorium.core.text_fields import MultiLineText, SingleLineText
from scriptorium.scribe.api.common import PAGE_DEFAULT, Limit, Offset, clamp
from scriptorium.scribe.schemas import (
    TemplateAnalysisOut,
    TemplateAnalyzeRequest,
    TemplateCreateRequest,
    TemplateResponse,
    TemplateUpdateRequest,
)
from scriptorium.scribe.templates import (
    analyze,
    create_from_resume,
    create_template,
    delete_template,
    list_templates,
    owned_template,
    template_response,
    update_template,
)

router = APIRouter(prefix="/api/templates", tags=["scribe: templates"])


@router.post(
    "/",
    status_code=201,
    response_model=TemplateResponse,
    summary="Save a template, or write one from a résumé URL",
    responses=errors(429),
)
async def create(
    body: TemplateCreateRequest, user: CurrentUser, session: SessionDep, settings: SettingsDep, resources: ResourcesDep
) -> TemplateResponse:
    """`template_text` saves it as written. The original's `{pdf_url, user_instructions}` still works: the PDF is
    fetched through the safe fetcher (no private addresses, size and type capped)."""
    user_id = user.id
    if body.template_text is not None:
        template = await create_template(session, user_id=user_id, text=body.template_text, name=body.name)
    else:
        from scriptorium.core.web import fetch

        url = str(body.pdf_url)
        try:
            page = await fetch(
                resources.http,
                url,
                settings=settings,
                max_bytes=settings.scribe_resume_max_bytes,
                accept=("application/pdf", "application/octet-stream"),
            )
        except SourceError as exc:
            # The caller's own link did not answer (no such host, a timeout, an HTTP error): theirs to fix, so a
            # 422 naming the field rather than a 502 logged as our failure.
            raise ValidationFailed(
                f"could not download the résumé from pdf_url: {exc.public_message}", field="pdf_url"
            ) from None
        template = await create_from_resume(
            session,
            settings=settings,
            user_id=user_id,
            data=page.body,
            instructions=body.user_instructions,
            pdf_url=url[:500],
            name=body.name,
        )
    await session.commit()
    return template_response(template)


@router.post(
    "/resume",
    status_code=201,
    response_model=TemplateResponse,
    summary="Write a template from a résumé PDF",
    responses=errors(429),
)
async def from_resume(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="The résumé, as a PDF")],
    user_instructions: Annotated[MultiLineText | None, Form(max_length=2000)] = None,
    name: Annotated[SingleLineText, Form(max_length=200)] = "",
) -> TemplateResponse:
    if file.content_type not in (None, "", "application/pdf", "application/octet-stream"):
        raise ValidationFailed("the résumé must be a PDF file", field="file")
    data = await file.read(settings.scribe_resume_max_bytes + 1)
    template = await create_from_resume(
        session,
        settings=settings,
        user_id=user.id,
        data=data,
        instructions=(user_instructions or "").strip() or None,
        filename=file.filename,
        name=name.strip(),
    )
    await session.commit()
    return template_response(template)


@router.post("/analyze", response_model=TemplateAnalysisOut, summary="Placeholders and detected type of a text")
async def analyze_text(body: TemplateAnalyzeRequest, user: CurrentUser) -> TemplateAnalysisOut:
    return analyze(body.email_template)


@router.get("/", response_model=list[TemplateResponse], summary="Saved templates, newest first")
async def templates(
    user: CurrentUser, session: SessionDep, limit: Limit = PAGE_DEFAULT, offset: Offset = 0
) -> list[TemplateResponse]:
    rows = await list_templates(session, user_id=user.id, limit=clamp(limit), offset=offset)
    return [template_response(template) for template in rows]


@router.get("/{template_id}", response_model=TemplateResponse)
async def get_template(template_id: str, user: CurrentUser, session: SessionDep) -> TemplateResponse:
    return template_response(await owned_template(session, user_id=user.id, template_id=template_id))


@router.patch("/{template_id}", response_model=TemplateResponse)
async def patch_template(
    template_id: str, body: TemplateUpdateRequest, user: CurrentUser, session: SessionDep
) -> TemplateResponse:
    template = await update_template(
        session, user_id=user.id, template_id=template_id, name=body.name, text=body.template_text
    )
    await session.commit()
    return template_response(template)


@router.delete("/{template_id}", status_code=204, response_class=Response)
async def remove_template(template_id: str, user: CurrentUser, session: SessionDep) -> Response:
    await delete_template(session, user_id=user.id, template_id=template_id)
    await session.commit()
    return Response(status_code=204)
