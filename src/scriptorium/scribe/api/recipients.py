"""`/api/recipients/*`: CSV import (validated, with per-row errors), duplicate check, and saved recipients."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile

from scriptorium.core.auth import CurrentUser
from scriptorium.core.deps import SessionDep, SettingsDep
from scriptorium.scribe.api.common import PAGE_DEFAULT, Limit, Offset, clamp
from scriptorium.scribe.recipients import CSV_MAX_BYTES, find_duplicates, parse_recipients_csv, search_recipients
from scriptorium.scribe.schemas import (
    RecipientCheckRequest,
    RecipientCheckResponse,
    RecipientImportResponse,
    RecipientOut,
)

router = APIRouter(prefix="/api/recipients", tags=["scribe: recipients"])


@router.post("/import", response_model=RecipientImportResponse, summary="Read recipients from a CSV file")
async def import_csv(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[
        UploadFile, File(description="CSV with columns name, interest and optionally email, institution, profile_url")
    ],
) -> RecipientImportResponse:
    """Nothing is queued: the rows come back validated so the user can review them and submit a batch."""
    data = await file.read(CSV_MAX_BYTES + 1)
    items, errors, columns = parse_recipients_csv(data)
    duplicates = await find_duplicates(session, user_id=user.id, items=items, days=settings.scribe_dedupe_days)
    return RecipientImportResponse(items=items, errors=errors, duplicates=duplicates, columns=columns)


@router.post("/check", response_model=RecipientCheckResponse, summary="Flag duplicates before submitting")
async def check(
    body: RecipientCheckRequest, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> RecipientCheckResponse:
    duplicates = await find_duplicates(session, user_id=user.id, items=body.items, days=settings.scribe_dedupe_days)
    return RecipientCheckResponse(duplicates=duplicates)


@router.get("/", response_model=list[RecipientOut], summary="People the caller has written to")
async def recipients(
    user: CurrentUser,
    session: SessionDep,
    limit: Limit = PAGE_DEFAULT,
    offset: Offset = 0,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> list[RecipientOut]:
    rows = await search_recipients(session, user_id=user.id, q=q, limit=clamp(limit), offset=offset)
    return [RecipientOut.model_validate(r) for r in rows]
