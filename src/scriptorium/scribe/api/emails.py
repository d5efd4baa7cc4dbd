"""`/api/email/*`: generate (202 + task id), status, history with a total, detail, edit, regenerate, export."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from scriptorium.core.auth import CurrentUser
from scriptorium.core.deps import ResourcesDep, SessionDep, SettingsDep
from scriptorium.core.errors import Conflict
from scriptorium.core.idempotency import IdempotencyKeyHeader, IdempotentRequest
from scriptorium.core.openapi import download, errors
from scriptorium.scribe.api.common import PAGE_DEFAULT, Limit, Offset, clamp, commit_with_retry, submit_answering
from scriptorium.scribe.batches import batch_of, review
from scriptorium.scribe.emails import (
    current_sources,
    detail,
    email_response,
    list_emails,
    owned_email,
    restore_version,
    update_email,
)
from scriptorium.scribe.export import (
    MEDIA_TYPES,
    WARNING_HEADER,
    ExportFormat,
    eml_filename,
    export_bytes,
    header_value,
    summarize,
    to_eml,
    warnings_of,
)
from scriptorium.scribe.mail.queries import mail_states
from scriptorium.scribe.queue import owned_item, task_status
from scriptorium.scribe.schemas import (
    EmailDetail,
    EmailPage,
    EmailResponse,
    EmailUpdateRequest,
    GenerateEmailRequest,
    TaskResponse,
    TaskStatusResponse,
)
from scriptorium.scribe.schemas_review import BatchReview
from scriptorium.scribe.submit import Submission, regenerate

router = APIRouter(prefix="/api/email", tags=["scribe: email"])
EXPORT_MAX = 5000
StatusFilter = Annotated[Literal["completed", "needs_review"] | None, Query()]


@router.post(
    "/generate", status_code=202, response_model=TaskResponse, summary="Queue one email", responses=errors(409, 429)
)
async def generate(
    body: GenerateEmailRequest,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    resources: ResourcesDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> TaskResponse | JSONResponse:
    def answer(submission: Submission) -> TaskResponse:
        item = submission.items[0]
        return TaskResponse(
            task_id=item.id, queue_item_id=item.id, duplicates=submission.duplicates, dry_run=item.dry_run
        )

    return await submit_answering(
        session,
        resources,
        idempotent=IdempotentRequest.of(idempotency_key, user_id=user.id, scope="POST /api/email/generate", body=body),
        answer=answer,
        status_code=202,
        user_id=user.id,
        items=[body],
        template_text=body.email_template,
        template_id=body.template_id,
        origin="single",
        dry_run=body.dry_run,
    )


@router.get("/status/{task_id}", response_model=TaskStatusResponse, summary="Progress of a queued email")
async def status(task_id: str, user: CurrentUser, session: SessionDep) -> TaskStatusResponse:
    return task_status(await owned_item(session, user_id=user.id, item_id=task_id))


@router.get("/", response_model=list[EmailResponse] | EmailPage, summary="History, newest first")
async def history(
    user: CurrentUser,
    session: SessionDep,
    response: Response,
    limit: Limit = PAGE_DEFAULT,
    offset: Offset = 0,
    include_discarded: bool = False,
    q: Annotated[str | None, Query(max_length=200)] = None,
    status: StatusFilter = None,
    envelope: bool = False,
) -> list[EmailResponse] | EmailPage:
    """A plain list as in the original (total in `X-Total-Count`), or `{items, total, limit, offset}` with
    `envelope=true`."""
    limit = clamp(limit)
    emails, total = await list_emails(
        session, user_id=user.id, limit=limit, offset=offset, include_discarded=include_discarded, q=q, status=status
    )
    response.headers["X-Total-Count"] = str(total)
    states = await mail_states(session, user_id=user.id, email_ids=[email.id for email in emails])
    items = [email_response(email, states.get(email.id)) for email in emails]
    if envelope:
        return EmailPage(items=items, total=total, limit=limit, offset=offset)
    return items


@router.get(
    "/export",
    summary="Download emails as CSV, JSON or a zip of .eml drafts",
    responses=download("text/csv", "application/json", "application/zip", description="The export, as `format` asks."),
)
async def export(
    user: CurrentUser,
    session: SessionDep,
    format: Annotated[ExportFormat, Query()] = "csv",
    include_discarded: bool = False,
    include_review: Annotated[bool, Query(description="Also export drafts that need review.")] = False,
    q: Annotated[str | None, Query(max_length=200)] = None,
    status: StatusFilter = None,
    ids: Annotated[list[str] | None, Query(max_length=EXPORT_MAX)] = None,
) -> Response:
    """Drafts that need review stay out unless `include_review=true` (or `status=needs_review`) asks for them; how
    many were left out, and how many exported drafts carry a warning, is in `X-Scriptorium-Warning` (in words) and in
    `X-Scriptorium-Left-Out` / `X-Scriptorium-Flagged` (as numbers)."""
    include_review = include_review or status == "needs_review"
    emails, _ = await list_emails(
        session,
        user_id=user.id,
        limit=EXPORT_MAX,
        offset=0,
        include_discarded=include_discarded,
        q=q,
        status=status,
        ids=ids,
        include_review=include_review,
    )
    left_out = 0
    if not include_review:  # counted with the same filters, so the number matches what the user asked for
        _, left_out = await list_emails(
            session,
            user_id=user.id,
            limit=1,
            offset=0,
            include_discarded=include_discarded,
            q=q,
            status="needs_review",
            ids=ids,
        )
    summary = summarize(emails, left_out_review=left_out)
    sources = await current_sources(session, emails) if format != "eml" else {}
    body = export_bytes(format, emails, sources, sender=user.email, summary=summary)
    extension = "zip" if format == "eml" else format
    headers = {
        "Content-Disposition": f'attachment; filename="scribe-emails.{extension}"',
        "X-Scriptorium-Exported": str(summary.exported),
        "X-Scriptorium-Left-Out": str(summary.left_out_review),
        "X-Scriptorium-Flagged": str(summary.with_warnings),
    }
    if line := summary.line():
        headers[WARNING_HEADER] = header_value(line)
    return Response(body, media_type=MEDIA_TYPES[format], headers=headers)


@router.get("/{email_id}", response_model=EmailDetail, summary="One email with its sources, versions and usage")
async def get_email(email_id: str, user: CurrentUser, session: SessionDep) -> EmailDetail:
    return await detail(session, await owned_email(session, user_id=user.id, email_id=email_id))


@router.get(
    "/{email_id}/eml",
    summary="One email as an .eml draft",
    response_class=Response,
    responses=download("message/rfc822", description="The draft as an RFC 822 message."),
)
async def get_eml(email_id: str, user: CurrentUser, session: SessionDep) -> Response:
    """Asked for by id, so a draft that needs review is served, with its warnings in `X-Scriptorium-Warning` (in the
    response and in the message itself)."""
    email = await owned_email(session, user_id=user.id, email_id=email_id)
    headers = {"Content-Disposition": f'attachment; filename="{eml_filename(email)}"'}
    if warnings := warnings_of(email):
        headers[WARNING_HEADER] = header_value(" | ".join(warnings))
    return Response(to_eml(email, sender=user.email), media_type="message/rfc822", headers=headers)


@router.patch(
    "/{email_id}", response_model=EmailDetail, summary="Edit subject/body (kept as versions), discard or restore"
)
async def patch_email(email_id: str, body: EmailUpdateRequest, user: CurrentUser, session: SessionDep) -> EmailDetail:
    email = await owned_email(session, user_id=user.id, email_id=email_id)
    await update_email(session, email=email, change=body)
    try:
        await session.commit()
    except IntegrityError:
        raise Conflict("the email was changed at the same time; reload it and edit again") from None
    return await detail(session, email)


@router.post(
    "/{email_id}/regenerate",
    status_code=202,
    response_model=TaskResponse,
    summary="Write this email again",
    responses=errors(409, 429),
)
async def regenerate_email(
    email_id: str,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    resources: ResourcesDep,
    confirm_replace_edit: Annotated[
        bool, Query(description="Go ahead although the current text is your edit (it stays in the versions).")
    ] = False,
) -> TaskResponse:
    """409 with code `edit_would_be_replaced` when the current text is a manual edit and the caller did not confirm;
    409 with code `conflict` while a regeneration is already running."""
    user_id = user.id
    item = await commit_with_retry(
        session,
        lambda: regenerate(
            session, settings=settings, user_id=user_id, email_id=email_id, confirm_replace_edit=confirm_replace_edit
        ),
    )
    await resources.queue.notify(1)
    return TaskResponse(task_id=item.id, queue_item_id=item.id)


@router.post(
    "/{email_id}/versions/{version}/restore",
    response_model=EmailDetail,
    summary="Make an earlier version the current text (kept as a new version)",
    responses=errors(409),
)
async def restore(
    email_id: str, version: Annotated[int, Path(ge=1, le=1_000_000)], user: CurrentUser, session: SessionDep
) -> EmailDetail:
    email = await owned_email(session, user_id=user.id, email_id=email_id)
    await restore_version(session, email=email, version=version)
    try:
        await session.commit()
    except IntegrityError:
        raise Conflict("the email was changed at the same time; reload it and try again") from None
    return await detail(session, email)


@router.get("/{email_id}/batch", response_model=BatchReview, summary="The batch this email belongs to, to step through")
async def email_batch(email_id: str, user: CurrentUser, session: SessionDep) -> BatchReview:
    """The batch's emails in submission order with their verdicts and reasons, where this one stands
    (`position`, `previous_id`, `next_id`), and a research outage said once."""
    batch_id = await batch_of(session, user_id=user.id, email_id=email_id)
    return await review(session, user_id=user.id, batch_id=batch_id, current_email_id=email_id)
