"""The built UI: hashed assets cached for a year, index.html revalidated, text gzipped (issue 11, finding 10)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import OpenClient

SCRIPT = "export const answer = () => 42;\n" * 200  # 6.4 kB of text that compresses well


@pytest.fixture
async def ui_client(open_client: OpenClient, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>Scriptorium</title>" + "<!-- padding -->" * 100)
    (dist / "assets" / "index-Ab12Cd34.js").write_text(SCRIPT)
    (dist / "favicon.svg").write_text("<svg/>")
    async with open_client(static_dir=dist) as http:
        yield http


async def test_hashed_assets_are_immutable_and_gzipped_for_clients_that_accept_it(
    ui_client: httpx.AsyncClient,
) -> None:
    response = await ui_client.get("/assets/index-Ab12Cd34.js", headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-encoding"] == "gzip"
    assert "javascript" in response.headers["content-type"]
    assert int(response.headers["content-length"]) < len(SCRIPT) / 5
    assert response.text == SCRIPT  # httpx decodes: the body is the file
    assert response.headers["vary"] == "Accept-Encoding"
    plain = await ui_client.get("/assets/index-Ab12Cd34.js", headers={"Accept-Encoding": "identity"})
    assert response.headers["etag"] != plain.headers["etag"], "two encodings are two representations"


async def test_a_client_without_gzip_gets_the_plain_file(ui_client: httpx.AsyncClient) -> None:
    response = await ui_client.get("/assets/index-Ab12Cd34.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in response.headers
    assert response.content == SCRIPT.encode()


async def test_index_and_deep_links_are_revalidated_not_cached(ui_client: httpx.AsyncClient) -> None:
    for path in ("/", "/read/pepper/1", "/scribe"):
        response = await ui_client.get(path, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-cache", path
        assert "<title>Scriptorium</title>" in response.text
    small = await ui_client.get("/favicon.svg", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers  # too small to be worth it
    assert small.headers["cache-control"] == "no-cache"


async def test_api_paths_never_fall_back_to_the_ui(ui_client: httpx.AsyncClient) -> None:
    response = await ui_client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_get_on_a_post_only_api_path_is_405_with_a_correct_allow(ui_client: httpx.AsyncClient) -> None:
    response = await ui_client.get("/api/auth/login")
    assert response.status_code == 405
    assert response.headers["allow"] == "OPTIONS, POST"
    assert response.json()["code"] == "method_not_allowed"
    # `/api/queue/{item_id}` takes DELETE on the same path: both are allowed there, GET is not.
    batch = await ui_client.get("/api/queue/batch")
    assert batch.status_code == 405 and batch.headers["allow"] == "DELETE, OPTIONS, POST"
    put = await ui_client.put("/api/auth/login")
    assert put.status_code == 405 and put.headers["allow"] == "OPTIONS, POST"


async def test_allow_lists_every_method_of_the_path_not_only_the_first_routes(ui_client: httpx.AsyncClient) -> None:
    # GET, PATCH and DELETE are three routes on one path; Starlette's own 405 named only the first one's.
    put = await ui_client.put("/api/templates/abc123")
    options = await ui_client.options("/api/templates/abc123")
    assert put.status_code == 405
    assert put.headers["allow"] == "DELETE, GET, HEAD, OPTIONS, PATCH"
    assert (options.status_code, options.headers["allow"]) == (204, "DELETE, GET, HEAD, OPTIONS, PATCH")
    assert (await ui_client.options("/api/no-such-thing")).status_code == 404
    assert (await ui_client.post("/api/no-such-thing")).status_code == 404
