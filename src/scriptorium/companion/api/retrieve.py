"""`POST /api/retrieve`: the chat's retrieval step on its own, for tools and evaluation.

Unlike the original's, the boundary is never optional: every call names a position (a session, or an episode and
page), and the same SQL boundary as the chat applies. Rate-limited like chat questions.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.companion.api.common import limit_questions, normalize_id, retrieval_cache
from scriptorium.companion.boundary import Cursor
from scriptorium.companion.episodes import slug_by_number
from scriptorium.companion.positions import resolve_cursor
from scriptorium.companion.schemas import RetrievedChunk, RetrieveRequest, RetrieveResponse
from scriptorium.core.deps import ResourcesDep, SessionDep
from scriptorium.core.errors import NotFound, ValidationFailed
from scriptorium.core.openapi import errors

router = APIRouter()


async def _cursor(db: AsyncSession, body: RetrieveRequest) -> Cursor:
    page = body.page or body.current_page
    slug = body.episode_slug
    if slug is None and body.current_episode is not None:
        slug = await slug_by_number(db, body.current_episode)
        if slug is None:
            raise NotFound(f"episode number {body.current_episode} not found")
    if body.session_id is None and (slug is None or page is None):
        raise ValidationFailed(
            "give session_id, or episode_slug (or current_episode) with page (or current_page)", field="session_id"
        )
    session_id = normalize_id(body.session_id) if body.session_id else None
    cursor, _ = await resolve_cursor(db, session_id=session_id, episode_slug=slug, page=page, right_page=None)
    return cursor


@router.post(
    "/api/retrieve",
    summary="Spoiler-bounded retrieval at a position (page or wiki mode)",
    responses=errors(404, 429),
)
async def post_retrieve(
    body: RetrieveRequest, request: Request, db: SessionDep, resources: ResourcesDep
) -> RetrieveResponse:
    await limit_questions(resources, request)
    from scriptorium.companion.retrieval import retrieve  # with numpy, on first use (see api/common.py)

    cursor = await _cursor(db, body)
    found = await retrieve(
        db,
        resources.embedder(),
        series_id=cursor.series_id,
        mode=body.mode,
        query=body.query,
        cursor=cursor,
        k=body.k,
        cache=retrieval_cache(resources),
    )
    chunks = [
        RetrievedChunk(
            rank=rank,
            chunk_id=item.chunk_id,
            kind="wiki" if item.kind == "wiki" else "page",
            score=round(float(item.score), 6),
            episode_slug=item.episode_slug,
            page_number=item.page_number,
            global_index=item.global_index,
            text=item.text,
        )
        for rank, item in enumerate(found, start=1)
    ]
    return RetrieveResponse(
        mode=body.mode, boundary={"series_id": cursor.series_id, "index": cursor.index}, chunks=chunks
    )
