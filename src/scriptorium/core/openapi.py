"""The OpenAPI document, corrected so that it describes the API that really answers.

FastAPI documents only what it sees in a route's signature: the success response and a 422 whose `detail` is a
list (`HTTPValidationError`). Our API answers every error in one shape, `{"detail", "code", "request_id"}` (app.py,
core/middleware.py), with a string `detail` for domain errors and a list of field errors only for request
validation, and it answers statuses FastAPI cannot see: 401/403 from the auth dependencies, 404 for a path that
names a missing resource, 408/413 from the body guard, 409 from races and state conflicts, 429 from limits, 500 and
503 from the last-resort middleware. A generated client or a contract test that trusted the default document was
told a lie on every one of those.

`install(app)` replaces `app.openapi` with a builder that runs once per process and:

- puts one `ErrorResponse` schema in place of `HTTPValidationError` (and drops FastAPI's `ValidationError`);
- adds, on every operation, the error statuses it can really return, derived from the route's structure (a body,
  path parameters, the auth dependencies in its dependency tree, a method that updates or deletes a row), plus
  those a route declares itself with `responses=errors(...)` for what its handler raises (409, 429, 502 ...);
- gives every error status the one shape under `application/json`, keeping any other content type a route
  declares (the chat route answers refusals as one `text/event-stream` error frame).

Content types of downloads and streams are declared on their routes with `download(...)` and `event_stream()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import fastapi.routing
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from scriptorium.core.auth.dependencies import current_user, require_admin

ERROR_SCHEMA_NAME = "ErrorResponse"
FIELD_ERROR_SCHEMA_NAME = "FieldError"
ERROR_REF = f"#/components/schemas/{ERROR_SCHEMA_NAME}"
FASTAPI_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError")
ROW_CHANGING_METHODS = frozenset({"PUT", "PATCH", "DELETE"})
# A query parameter that names one resource (`session_id`, `episode_slug`) can name a missing one: 404.
RESOURCE_SUFFIXES = ("_id", "slug")
# Credentials other than the auth dependencies: the Companion's reader token (query or X-Reader-Token header).
CREDENTIAL_PARAMETERS = frozenset({"reader_token", "x-reader-token"})

DESCRIPTIONS: dict[int, str] = {
    400: "The request could not be read: a body that is not valid JSON or form data, or a Content-Length that is "
    "not a number.",
    401: "Sign-in required: the credentials are missing, expired or invalid.",
    403: "Not allowed for this caller.",
    404: "Not found, or it belongs to someone else (the answer never says which).",
    408: "The request body stopped arriving before it was complete.",
    409: "The item's state does not allow this now, or another request changed the same item at the same time.",
    413: "The request body is larger than this route accepts.",
    422: "Invalid input. For request validation `detail` is a list of field errors and `message` sums them up; "
    "for a domain rule `detail` is one sentence and `field` names the field.",
    429: "A rate limit or daily quota is used up; `Retry-After` says when to try again.",
    500: "Something unexpected failed; it was logged under `request_id`.",
    502: "An outside service (a model or a research source) failed.",
    503: "A dependency (the database or the job queue) is unreachable; `Retry-After` says when to try again.",
}
RETRY_AFTER_STATUSES = frozenset({429, 503})

FIELD_ERROR_SCHEMA: dict[str, Any] = {
    "title": FIELD_ERROR_SCHEMA_NAME,
    "type": "object",
    "description": "One invalid part of a request.",
    "properties": {
        "loc": {
            "type": "array",
            "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
            "description": "Where: `body`, `query`, `path` or `header`, then the field's path.",
        },
        "field": {"type": "string", "description": "The field's dotted path."},
        "msg": {"type": "string", "description": "What is wrong, in words."},
        "type": {"type": "string", "description": "A machine-readable error type."},
    },
    "required": ["loc", "field", "msg", "type"],
}

ERROR_SCHEMA: dict[str, Any] = {
    "title": ERROR_SCHEMA_NAME,
    "type": "object",
    "description": "The one error shape of every JSON error response.",
    "properties": {
        "detail": {
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"$ref": f"#/components/schemas/{FIELD_ERROR_SCHEMA_NAME}"}},
            ],
            "description": "What went wrong: a sentence, or (request validation) a list of field errors.",
        },
        "code": {"type": "string", "description": "A stable machine-readable code, e.g. `not_found`."},
        "request_id": {"type": "string", "description": "The request's id, also in the X-Request-ID header."},
        "field": {"type": "string", "description": "The field a domain rule refused, when there is one."},
        "message": {"type": "string", "description": "A one-line summary of a list `detail`."},
    },
    "required": ["detail", "code", "request_id"],
}


SSE_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "One server-sent event (each event of the stream is checked against this).",
    "properties": {
        "event": {"type": "string"},
        "data": {"type": "string"},
        "id": {"type": "string"},
        "retry": {"type": "integer"},
    },
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route decorator: error statuses the handler raises that its structure does not show."""
    return {status: {"description": DESCRIPTIONS[status]} for status in statuses}


def download(*media_types: str, description: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route that answers 200 with a file in one of `media_types` (binary or text)."""
    return {
        200: {"description": description, "content": {media: {"schema": _body_schema(media)} for media in media_types}}
    }


def event_stream(description: str, *, errors_too: tuple[int, ...] = ()) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a `text/event-stream` route; `errors_too` are statuses answered as one `error` frame."""
    stream = {"text/event-stream": {"schema": SSE_EVENT_SCHEMA}}
    responses: dict[int | str, dict[str, Any]] = {200: {"description": description, "content": stream}}
    for status in errors_too:
        responses[status] = {"description": DESCRIPTIONS[status], "content": dict(stream)}
    return responses


def _body_schema(media_type: str) -> dict[str, Any]:
    if media_type == "application/json":
        return {}
    if media_type.startswith("text/"):
        return {"type": "string"}
    return {"type": "string", "format": "binary"}


def install(app: FastAPI) -> None:
    """Serve the corrected document at `/openapi.json` (built on first request, then kept for the process)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = corrected(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def corrected(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document for `app`, with every operation's real error statuses in the one error shape."""
    document = FastAPI.openapi(app)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in FASTAPI_ERROR_SCHEMAS:
        schemas.pop(name, None)
    schemas[ERROR_SCHEMA_NAME] = ERROR_SCHEMA
    schemas[FIELD_ERROR_SCHEMA_NAME] = FIELD_ERROR_SCHEMA
    for route, method, operation in _operations(app, document):
        responses = operation.setdefault("responses", {})
        for status in sorted(statuses_for(route, method)):
            responses.setdefault(str(status), {"description": DESCRIPTIONS[status]})
        for key, response in responses.items():
            if key.isdigit() and int(key) >= 400:
                _error_response(int(key), response)
    return document


def statuses_for(route: Any, method: str) -> set[int]:
    """The error statuses an operation can answer, read from the route's structure.

    Every request may be malformed (400), carry a control character in its path or query (422), meet a bug (500)
    or an unreachable dependency (503). A body can stall (408) or be too large (413). A path parameter, or a query
    parameter ending in `_id` or `slug`, names a resource that may not exist (404). The auth dependencies answer
    401 (and 403 for administrators' routes), and so does a route that takes a reader token.
    PUT, PATCH and DELETE change a row another request may change or delete at the same moment (409).
    """
    statuses = {400, 422, 500, 503}
    if route.body_field is not None:
        statuses |= {408, 413}
    dependants = list(_dependants(route.dependant))
    queries = {param.alias.lower() for dependant in dependants for param in dependant.query_params}
    headers = {param.alias.lower() for dependant in dependants for param in dependant.header_params}
    if route.dependant.path_params or any(name.endswith(RESOURCE_SUFFIXES) for name in queries):
        statuses.add(404)
    calls = {dependant.call for dependant in dependants}
    if current_user in calls or require_admin in calls or (queries | headers) & CREDENTIAL_PARAMETERS:
        statuses.add(401)
    if require_admin in calls:
        statuses.add(403)
    if method in ROW_CHANGING_METHODS:
        statuses.add(409)
    return statuses


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _api_routes(app: FastAPI) -> Iterator[Any]:
    """Every API route as the app serves it (prefix and router dependencies applied).

    FastAPI 0.165 keeps included routers as branches of `app.routes` and resolves them through
    `iter_route_contexts`; older versions flatten them into `app.routes` themselves.
    """
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if contexts is None:
        yield from (route for route in app.routes if isinstance(route, APIRoute))
        return
    for context in contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            yield context


def _operations(app: FastAPI, document: dict[str, Any]) -> Iterator[tuple[Any, str, dict[str, Any]]]:
    paths: dict[str, Any] = document.get("paths", {})
    for route in _api_routes(app):
        if not route.include_in_schema:
            continue
        for method in sorted(route.methods or ()):
            operation = paths.get(route.path_format, {}).get(method.lower())
            if operation is not None:
                yield route, method, operation


def _error_response(status: int, response: dict[str, Any]) -> None:
    """Give an error response the one shape under JSON, keeping any other content type or JSON model the route
    declared (`/health` answers 503 with its report)."""
    response.setdefault("description", DESCRIPTIONS.get(status, "Error"))
    content = response.setdefault("content", {})
    declared = content.get("application/json", {}).get("schema") or {}
    if not declared or declared.get("$ref", "").rsplit("/", 1)[-1] in FASTAPI_ERROR_SCHEMAS:
        content["application/json"] = {"schema": {"$ref": ERROR_REF}}
    if status in RETRY_AFTER_STATUSES:
        response.setdefault("headers", {})["Retry-After"] = {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer"},
        }
