"""core/openapi.py: error statuses read from a route's structure, and the guards' real answers match the document."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import jsonschema_rs
from fastapi import FastAPI, Query
from pydantic import BaseModel

from scriptorium.core import openapi
from scriptorium.core.auth import AdminUser, CurrentUser

ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}


class Thing(BaseModel):
    name: str


def _toy() -> FastAPI:
    app = FastAPI()

    @app.get("/things/{thing_id}")
    async def one(thing_id: str, user: CurrentUser) -> dict[str, str]:
        return {}

    @app.post("/things", status_code=201)
    async def create(body: Thing) -> dict[str, str]:
        return {}

    @app.delete("/admin/things/{thing_id}")
    async def remove(thing_id: str, admin: AdminUser) -> dict[str, str]:
        return {}

    @app.get("/read")
    async def read(
        session_id: Annotated[str | None, Query()] = None, reader_token: Annotated[str | None, Query()] = None
    ) -> dict[str, str]:
        return {}

    @app.post("/ask", responses=openapi.event_stream("frames", errors_too=(429,)))
    async def ask(body: Thing) -> dict[str, str]:
        return {}

    @app.get("/file", responses=openapi.download("text/csv", description="a file"))
    async def file() -> dict[str, str]:
        return {}

    openapi.install(app)
    return app


def _statuses(document: dict[str, Any], path: str, method: str) -> set[int]:
    return {int(key) for key in document["paths"][path][method]["responses"] if int(key) >= 400}


def test_error_statuses_follow_the_routes_structure() -> None:
    document = _toy().openapi()
    always = {400, 422, 500, 503}
    assert _statuses(document, "/things/{thing_id}", "get") == always | {401, 404}
    assert _statuses(document, "/things", "post") == always | {408, 413}
    assert _statuses(document, "/admin/things/{thing_id}", "delete") == always | {401, 403, 404, 409}
    assert _statuses(document, "/read", "get") == always | {401, 404}
    assert _statuses(document, "/file", "get") == always


def test_one_error_shape_replaces_fastapis_and_other_declared_types_stay() -> None:
    document = _toy().openapi()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    for path in document["paths"].values():
        for operation in path.values():
            for key, response in operation["responses"].items():
                if int(key) >= 400:
                    assert response["content"]["application/json"]["schema"] == ERROR_REF, (key, response)
    ask = document["paths"]["/ask"]["post"]["responses"]
    assert set(ask["429"]["content"]) == {"text/event-stream", "application/json"}
    assert "Retry-After" in ask["429"]["headers"]
    assert set(ask["200"]["content"]) >= {"text/event-stream"}
    assert document["paths"]["/file"]["get"]["responses"]["200"]["content"]["text/csv"]["schema"] == {"type": "string"}


def _check(document: dict[str, Any], path: str, method: str, response: httpx.Response) -> None:
    """The answer's status is documented for the operation and its body matches the documented error shape."""
    assert response.status_code in _statuses(document, path, method), response.status_code
    validator = jsonschema_rs.validator_for({**ERROR_REF, "components": document["components"]})
    errors = [error.message for error in validator.iter_errors(response.json())]
    assert not errors, (response.json(), errors)


async def test_the_guards_answers_match_the_document(client: httpx.AsyncClient) -> None:
    """What the fuzzer does not send: oversized and unreadable bodies, control characters, domain-rule 422s."""
    document = (await client.get("/openapi.json")).json()
    login = "/api/auth/login"
    too_large = await client.post(login, content=b"{}", headers={"Content-Length": str(50_000_000)})
    assert too_large.status_code == 413
    _check(document, login, "post", too_large)
    unreadable = await client.post(login, content=b"{}", headers={"Content-Length": "many"})
    assert unreadable.status_code == 400
    _check(document, login, "post", unreadable)
    not_json = await client.post(login, content=b"\xff\xfe{", headers={"Content-Type": "application/json"})
    assert not_json.status_code in (400, 422)
    _check(document, login, "post", not_json)
    nul = await client.get("/api/email/", params={"q": "a\x00b"})
    assert nul.status_code == 422
    _check(document, "/api/email/", "get", nul)
    listed = await client.post("/api/queue/batch", json={"items": []})
    assert listed.status_code == 422 and isinstance(listed.json()["detail"], list)
    _check(document, "/api/queue/batch", "post", listed)
    sentence = await client.get("/api/world-graph")
    assert sentence.status_code == 422 and isinstance(sentence.json()["detail"], str)
    _check(document, "/api/world-graph", "get", sentence)
    missing = await client.get("/api/templates/0123456789abcdef")
    assert missing.status_code == 404
    _check(document, "/api/templates/{template_id}", "get", missing)
