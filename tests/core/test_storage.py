"""One storage contract, run over every backend: local files and S3 (against a loopback moto twin)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from scriptorium.core.errors import ConfigurationError, NotFound, UpstreamError, ValidationFailed
from scriptorium.core.settings import Settings
from scriptorium.core.storage import LocalStorage, Storage, build_storage
from scriptorium.core.storage.s3 import S3Storage
from tests.twins.s3 import ACCESS_KEY, SECRET_KEY, serve_s3
from tests.twins.server import free_port, serve_in_thread

MakeSettings = Callable[..., Settings]
BAD_KEYS = ["../x", "/abs", "a//b", "", "a/./b", "a/../../etc/passwd", "a\\b", "dir/"]


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with serve_s3() as endpoint:
        yield endpoint


def _s3_settings(make_settings: MakeSettings, endpoint: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "storage_backend": "s3",
        "s3_endpoint_url": endpoint,
        "r2_access_key_id": ACCESS_KEY,
        "r2_secret_access_key": SECRET_KEY,
        "r2_bucket": f"test-{uuid.uuid4().hex[:12]}",
    }
    values.update(overrides)
    return make_settings(**values)


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, make_settings: MakeSettings, tmp_path: Path) -> Storage:
    if request.param == "local":
        return build_storage(make_settings())
    return build_storage(_s3_settings(make_settings, request.getfixturevalue("s3_endpoint")))


# --- the contract -----------------------------------------------------------------------------------------


async def test_put_get_round_trip(storage: Storage) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB of every byte value, including NUL
    await storage.put("books/ep01/page-03.png", data, content_type="image/png")
    assert await storage.get("books/ep01/page-03.png") == data
    assert await storage.exists("books/ep01/page-03.png")


async def test_put_overwrites(storage: Storage) -> None:
    await storage.put("notes.txt", b"first")
    await storage.put("notes.txt", b"second, longer")
    assert await storage.get("notes.txt") == b"second, longer"


async def test_delete_removes_and_is_idempotent(storage: Storage) -> None:
    await storage.put("tmp/x.bin", b"x")
    await storage.delete("tmp/x.bin")
    assert not await storage.exists("tmp/x.bin")
    with pytest.raises(NotFound, match=r"tmp/x\.bin"):
        await storage.get("tmp/x.bin")
    await storage.delete("tmp/x.bin")


async def test_missing_key_is_not_found(storage: Storage) -> None:
    assert not await storage.exists("never/written.txt")
    with pytest.raises(NotFound):
        await storage.get("never/written.txt")


async def test_keys_are_independent(storage: Storage) -> None:
    await storage.put("a/b", b"1")
    await storage.put("a/bc", b"2")
    assert (await storage.get("a/b"), await storage.get("a/bc")) == (b"1", b"2")
    assert not await storage.exists("a")


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_key_traversal_is_refused(storage: Storage, key: str) -> None:
    with pytest.raises(ValidationFailed, match="invalid storage key"):
        await storage.put(key, b"x")
    with pytest.raises(ValidationFailed):
        await storage.get(key)
    with pytest.raises(ValidationFailed):
        await storage.exists(key)
    with pytest.raises(ValidationFailed):
        await storage.delete(key)
    with pytest.raises(ValidationFailed):
        storage.url_for(key)


def test_url_for_is_none_without_a_public_prefix(storage: Storage) -> None:
    assert storage.url_for("books/ep01/p1.png") is None


# --- S3 specifics -----------------------------------------------------------------------------------------


def test_build_storage_picks_s3_and_reads_settings(make_settings: MakeSettings, s3_endpoint: str) -> None:
    settings = _s3_settings(make_settings, s3_endpoint, r2_public_url_prefix="https://cdn.example.org/media/")
    storage = build_storage(settings)
    assert isinstance(storage, S3Storage)
    assert (storage.endpoint_url, storage.bucket) == (s3_endpoint, settings.r2_bucket)
    assert storage.url_for("covers/ep 01.png") == "https://cdn.example.org/media/covers/ep%2001.png"
    assert isinstance(build_storage(make_settings()), LocalStorage)


def test_r2_endpoint_is_derived_from_the_account_id(make_settings: MakeSettings) -> None:
    settings = make_settings(
        storage_backend="s3", r2_account_id="abc123", r2_access_key_id="k", r2_secret_access_key="s"
    )
    storage = S3Storage.from_settings(settings)
    assert storage.endpoint_url == "https://abc123.r2.cloudflarestorage.com"
    assert storage.bucket == "scriptorium"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"r2_access_key_id": "k", "r2_secret_access_key": "s"}, "S3_ENDPOINT_URL or R2_ACCOUNT_ID"),
        ({"s3_endpoint_url": "http://127.0.0.1:9000"}, "R2_ACCESS_KEY_ID"),
        (
            {"s3_endpoint_url": "s3.example.org", "r2_access_key_id": "k", "r2_secret_access_key": "s"},
            "S3_ENDPOINT_URL",
        ),
        (
            {"s3_endpoint_url": "http://h", "r2_access_key_id": "k", "r2_secret_access_key": "s", "r2_bucket": "A_"},
            "R2_BUCKET",
        ),
    ],
    ids=["no-endpoint", "no-keys", "no-scheme", "bad-bucket"],
)
def test_s3_configuration_errors_name_the_variable(
    make_settings: MakeSettings, overrides: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        S3Storage.from_settings(make_settings(storage_backend="s3", **overrides))


async def test_s3_creates_the_bucket_on_first_use(make_settings: MakeSettings, s3_endpoint: str) -> None:
    settings = _s3_settings(make_settings, s3_endpoint)
    first = S3Storage.from_settings(settings)
    await first.put("k.txt", b"v")
    second = S3Storage.from_settings(settings)  # bucket exists now: reused, not recreated
    assert await second.get("k.txt") == b"v"


async def test_presigned_url_serves_the_object_with_its_type(make_settings: MakeSettings, s3_endpoint: str) -> None:
    storage = S3Storage.from_settings(_s3_settings(make_settings, s3_endpoint))
    await storage.put("pages/p1.png", b"\x89PNG fake", content_type="image/png")
    url = await storage.presigned_url("pages/p1.png", 60)
    assert "X-Amz-Expires=60" in url
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    assert response.status_code == 200
    assert response.content == b"\x89PNG fake"
    assert response.headers["content-type"] == "image/png"


async def test_unreachable_store_is_a_transient_upstream_error(make_settings: MakeSettings) -> None:
    settings = _s3_settings(make_settings, f"http://127.0.0.1:{free_port()}")
    storage = S3Storage.from_settings(settings)
    with pytest.raises(UpstreamError, match="unreachable") as caught:
        await storage.get("x")
    assert caught.value.transient
    assert caught.value.service == "storage"


def _failing_s3(status: int, code: str) -> Starlette:
    """An S3 endpoint that answers every request with one S3 XML error."""

    async def fail(request: Request) -> Response:
        body = f"<?xml version='1.0'?><Error><Code>{code}</Code><Message>twin says no</Message></Error>"
        return Response(body, status_code=status, media_type="application/xml")

    return Starlette(routes=[Route("/{path:path}", fail, methods=["GET", "HEAD", "PUT", "DELETE"])])


@pytest.mark.parametrize(("status", "code", "transient"), [(403, "AccessDenied", False), (503, "SlowDown", True)])
async def test_store_errors_become_upstream_errors_not_not_found(status: int, code: str, transient: bool) -> None:
    with serve_in_thread(_failing_s3(status, code)) as endpoint:
        storage = S3Storage(endpoint_url=endpoint, access_key="k", secret_key="s", bucket="bucket-1", retries=0)
        with pytest.raises(UpstreamError, match=code) as caught:
            await storage.get("k")
    assert not isinstance(caught.value, NotFound)
    assert (caught.value.status, caught.value.transient) == (status, transient)
