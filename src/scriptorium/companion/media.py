"""Page images and avatars, served through the app and never past the reader's position.

The original kept page art in a public bucket, so any page could be fetched by guessing its key. Here every image
URL is minted only for content at or before the cursor (and, to preload the next turn, the one or two pages right
after it: `api/lookahead.py`), as a short-lived signed link:
`/api/media/<key>?exp=<unix time>&sig=<HMAC-SHA256(SECRET_KEY, key|exp)>`. Expiry times are rounded to half of
SIGNED_URL_SECONDS, so every response in the same half-window gives the same image the same URL (a page turn, a
reload, a new session): the browser's cache is keyed by URL, and a link that changed on every response would make
it fetch the same page again. No link lives longer than SIGNED_URL_SECONDS and each lives at least half of it. A
client may instead pass `session_id`, and the app checks the key against that session's cursor at request time.
With PUBLIC_BASE_URL set, URLs are absolute, so a client on another origin can use them as they are.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import mimetypes
import time
from urllib.parse import quote

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.companion.boundary import Cursor, is_visible
from scriptorium.companion.models import Entity, Page
from scriptorium.core.errors import Forbidden, NotFound
from scriptorium.core.settings import Settings
from scriptorium.core.storage import check_key

MEDIA_PREFIX = "/api/media/"


def _signature(settings: Settings, key: str, expires: int) -> str:
    secret = settings.secret_key.get_secret_value().encode()
    digest = hmac.new(secret, f"media:{key}|{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:20]).decode().rstrip("=")


def expiry(settings: Settings, now: float | None = None) -> int:
    """An expiry between half and all of SIGNED_URL_SECONDS away, the same for every moment of a half-window.

    Half, not a whole window: a link minted just before a whole window's end would expire at once. Half keeps
    URLs stable for SIGNED_URL_SECONDS / 2 while every link still has at least that long to live.
    """
    ttl = settings.signed_url_seconds
    step = max(1, ttl // 2)
    moment = int(time.time() if now is None else now)
    return (moment // step) * step + ttl


def absolute(settings: Settings, path: str) -> str:
    base = settings.public_base_url.rstrip("/")
    return f"{base}{path}" if base else path


def signed_url(settings: Settings, key: str | None, *, now: float | None = None) -> str | None:
    """A signed media URL for `key`; callers pass only keys at or before the cursor, or the next turn's pages."""
    if not key:
        return None
    check_key(key)
    expires = expiry(settings, now)
    query = f"exp={expires}&sig={_signature(settings, key, expires)}"
    return absolute(settings, f"{MEDIA_PREFIX}{quote(key)}?{query}")


def verify(settings: Settings, key: str, expires: int, signature: str, *, now: float | None = None) -> int:
    """Check a signed link; return the seconds it stays valid, or raise Forbidden."""
    remaining = expires - int(time.time() if now is None else now)
    expected = _signature(settings, key, expires)
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        raise Forbidden("this image link is not valid; reload the page to get a fresh one")
    if remaining <= 0 or remaining > settings.signed_url_seconds:
        raise Forbidden("this image link has expired; reload the page to get a fresh one")
    return remaining


async def debut_of_key(db: AsyncSession, key: str, series_id: str) -> int:
    """The debut of the page or avatar stored under `key` in this series (NotFound if it is neither)."""
    page = await db.scalar(
        select(Page.global_index)
        .where(Page.series_id == series_id, or_(Page.image_key == key, Page.thumb_key == key))
        .limit(1)
    )
    if page is not None:
        return int(page)
    entity = await db.scalar(
        select(Entity.debut_index).where(Entity.series_id == series_id, Entity.image_key == key).limit(1)
    )
    if entity is not None:
        return int(entity)
    raise NotFound(f"no image {key!r} in this comic")


async def check_session_access(db: AsyncSession, key: str, cursor: Cursor) -> None:
    """Refuse an image that debuts after the session's cursor."""
    if not is_visible(await debut_of_key(db, key, cursor.series_id), cursor):
        raise Forbidden("this image is past your reading position; turn to that page first")


def content_type_for(key: str) -> str:
    guessed, _ = mimetypes.guess_type(key)
    if key.endswith(".svg"):
        return "image/svg+xml"
    if key.endswith(".webp"):
        return "image/webp"
    return guessed or "application/octet-stream"


async def every_page_image(
    db: AsyncSession, settings: Settings, episode_id: str
) -> dict[str, tuple[str | None, str | None, dict[str, int]]]:
    """Signed (image, thumbnail, size) for every page of an episode, whatever the reader's position.

    Only for COMPANION_LEGACY_IMAGE_URLS: the original companion's client fetches an episode once, never sends a
    session, and would show broken images past page 1 otherwise. The caller decides when that trade applies.
    """
    rows = await db.execute(
        select(Page.id, Page.image_key, Page.thumb_key, Page.width, Page.height).where(Page.episode_id == episode_id)
    )
    return {
        page_id: (
            signed_url(settings, image_key),
            signed_url(settings, thumb_key or image_key),
            {"width": width, "height": height},
        )
        for page_id, image_key, thumb_key, width, height in rows
    }
