"""S3-compatible object storage (Cloudflare R2, MinIO, AWS S3) through the `minio` client.

minio is synchronous, so every call runs in a worker thread. The bucket is created on first use rather than at
start-up, so building the app never blocks on the network. SDK errors become ours at this boundary: a missing
object is `NotFound`; anything else is `UpstreamError(service="storage")`, transient when the store answered
5xx or could not be reached. `url_for` gives a public URL only when R2_PUBLIC_URL_PREFIX is set (public,
non-gated content); `presigned_url` gives a short-lived signed GET URL for anything else.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar
from urllib.parse import quote, urlsplit

from scriptorium.core.errors import ConfigurationError, NotFound, UpstreamError
from scriptorium.core.settings import Settings
from scriptorium.core.storage.base import check_key

try:
    import urllib3
    from minio import Minio
    from minio.error import InvalidResponseError, S3Error, ServerError
    from minio.helpers import check_bucket_name
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ConfigurationError("STORAGE_BACKEND=s3 needs the `s3` extra: pip install 'scriptorium[s3]'") from exc

T = TypeVar("T")
_MISSING_CODES = frozenset({"NoSuchKey", "NoSuchObject", "NotFound", "ResourceNotFound"})
_BUCKET_OURS = frozenset({"BucketAlreadyOwnedByYou", "BucketAlreadyExists"})


class S3Storage:
    """Objects under relative keys in one bucket of an S3-compatible store."""

    name = "s3"

    def __init__(
        self,
        *,
        endpoint_url: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        public_url_prefix: str = "",
        region: str | None = None,
        timeout_seconds: float = 30.0,
        retries: int = 2,
    ) -> None:
        parts = urlsplit(endpoint_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path.strip("/"):
            raise ConfigurationError(
                f"S3_ENDPOINT_URL={endpoint_url!r} must be a bare http(s) origin such as 'https://s3.example.com'"
            )
        try:
            check_bucket_name(bucket)
        except ValueError:
            raise ConfigurationError(
                f"R2_BUCKET={bucket!r} is not a valid bucket name (3-63 lowercase letters, digits, '.' and '-')"
            ) from None
        http_client = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=min(5.0, timeout_seconds), read=timeout_seconds),
            retries=urllib3.Retry(
                total=retries, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504), raise_on_status=False
            ),
            maxsize=10,
        )
        self._client = Minio(
            parts.netloc,
            access_key=access_key,
            secret_key=secret_key,
            secure=parts.scheme == "https",
            region=region,
            http_client=http_client,
        )
        self.endpoint_url = f"{parts.scheme}://{parts.netloc}"
        self.bucket = bucket
        self.public_url_prefix = public_url_prefix.rstrip("/")
        self._bucket_ready = False

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Storage:
        """Build from S3_ENDPOINT_URL (or the R2 account's endpoint), R2_ACCESS_KEY_ID/SECRET and R2_BUCKET."""
        endpoint = settings.s3_endpoint_url
        if not endpoint and settings.r2_account_id:
            endpoint = f"https://{settings.r2_account_id}.r2.cloudflarestorage.com"
        if not endpoint:
            raise ConfigurationError("STORAGE_BACKEND=s3 needs S3_ENDPOINT_URL or R2_ACCOUNT_ID")
        access_key = settings.r2_access_key_id.get_secret_value()
        secret_key = settings.r2_secret_access_key.get_secret_value()
        if not access_key or not secret_key:
            raise ConfigurationError("STORAGE_BACKEND=s3 needs R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY")
        host = urlsplit(endpoint).hostname or ""
        return cls(
            endpoint_url=endpoint,
            access_key=access_key,
            secret_key=secret_key,
            bucket=settings.r2_bucket,
            public_url_prefix=settings.r2_public_url_prefix,
            # R2 has one region, "auto"; elsewhere minio asks the bucket for its region once.
            region="auto" if host.endswith(".r2.cloudflarestorage.com") else None,
        )

    async def put(self, key: str, data: bytes, *, content_type: str = "application/octet-stream") -> None:
        check_key(key)
        await self._run(
            "store", key, self._client.put_object, self.bucket, key, io.BytesIO(data), len(data), content_type
        )

    async def get(self, key: str) -> bytes:
        check_key(key)
        return await self._run("read", key, self._read, key)

    def _read(self, key: str) -> bytes:
        response = self._client.get_object(self.bucket, key)
        try:
            return bytes(response.read())
        finally:
            response.close()
            response.release_conn()

    async def delete(self, key: str) -> None:
        check_key(key)
        await self._run("delete", key, self._client.remove_object, self.bucket, key)

    async def exists(self, key: str) -> bool:
        check_key(key)
        try:
            await self._run("check", key, self._client.stat_object, self.bucket, key)
        except NotFound:
            return False
        return True

    def url_for(self, key: str) -> str | None:
        check_key(key)
        if not self.public_url_prefix:
            return None
        return f"{self.public_url_prefix}/{quote(key, safe='/-_.~')}"

    async def presigned_url(self, key: str, seconds: int) -> str:
        """A signed GET URL for `key` that stops working after `seconds` (1 s to 7 days)."""
        check_key(key)
        expires = timedelta(seconds=max(1, min(seconds, 7 * 24 * 3600)))
        return await self._run("sign", key, self._client.presigned_get_object, self.bucket, key, expires)

    async def _run(self, action: str, key: str, call: Callable[..., T], *args: object) -> T:
        await self._ensure_bucket()
        try:
            return await asyncio.to_thread(call, *args)
        except Exception as exc:
            raise _translate(exc, action, key) from exc

    async def _ensure_bucket(self) -> None:
        """Create the bucket on first use; concurrent first calls are harmless (creation is idempotent)."""
        if self._bucket_ready:
            return
        try:
            if not await asyncio.to_thread(self._client.bucket_exists, self.bucket):
                await asyncio.to_thread(self._client.make_bucket, self.bucket)
        except S3Error as exc:
            if exc.code not in _BUCKET_OURS:
                raise _translate(exc, "create bucket", self.bucket) from exc
        except Exception as exc:
            raise _translate(exc, "open bucket", self.bucket) from exc
        self._bucket_ready = True


def _translate(exc: Exception, action: str, name: str) -> Exception:
    """Map a minio/urllib3 failure to our error tree; unknown exceptions pass through unchanged."""
    what = f"{action} {name!r}"
    if isinstance(exc, S3Error):
        if exc.code in _MISSING_CODES:
            return NotFound(f"no stored object {name!r}")
        status = getattr(exc.response, "status", None)
        transient = isinstance(status, int) and status >= 500
        return UpstreamError(
            f"object storage could not {what} ({exc.code})", service="storage", status=status, transient=transient
        )
    if isinstance(exc, ServerError | InvalidResponseError):
        return UpstreamError(f"object storage failed to {what}", service="storage", transient=True)
    if isinstance(exc, urllib3.exceptions.HTTPError | OSError):
        return UpstreamError(f"object storage is unreachable (could not {what})", service="storage", transient=True)
    return exc
