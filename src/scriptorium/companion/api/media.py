"""`GET /api/media/{key}`: page images and avatars, only with a valid signed link or a session that reached them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from scriptorium.companion.api.common import SESSION_QUERY_PATTERN, normalize_id
from scriptorium.companion.media import check_session_access, content_type_for, verify
from scriptorium.companion.sessions import load_view
from scriptorium.core.deps import ResourcesDep, SessionDep, SettingsDep
from scriptorium.core.errors import Forbidden
from scriptorium.core.openapi import download, errors
from scriptorium.core.storage import check_key

router = APIRouter()

# SVG can carry script; served from our origin it must never run or load anything.
MEDIA_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Resource-Policy": "cross-origin",
}


@router.get(
    "/api/media/{key:path}",
    summary="A page image or avatar at or before the reader's position",
    response_class=Response,
    responses={
        **download("image/*", "application/octet-stream", description="The image."),
        **errors(403),
    },
)
async def get_media(
    key: Annotated[str, Path(max_length=512)],
    db: SessionDep,
    settings: SettingsDep,
    resources: ResourcesDep,
    exp: Annotated[int | None, Query(ge=0)] = None,
    sig: Annotated[str | None, Query(max_length=64)] = None,
    session_id: Annotated[str | None, Query(pattern=SESSION_QUERY_PATTERN)] = None,
) -> Response:
    check_key(key)
    if exp is not None and sig:
        remaining = verify(settings, key, exp, sig)
        cache = f"private, max-age={remaining}"
    elif session_id:
        view = await load_view(db, normalize_id(session_id))
        await check_session_access(db, key, view.cursor)
        cache = "private, no-store"
    else:
        raise Forbidden("images need a signed link or a session_id; get links from GET /api/episodes/{slug}")
    data = await resources.storage.get(key)
    return Response(data, media_type=content_type_for(key), headers={**MEDIA_HEADERS, "Cache-Control": cache})
