"""The FastAPI application: lifespan, middleware, one error shape, health, both apps' routers, the built UI."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from scriptorium import apps, ui
from scriptorium.core import openapi
from scriptorium.core.auth.api import router as auth_router
from scriptorium.core.errors import RateLimited, ScriptoriumError
from scriptorium.core.health import health_report
from scriptorium.core.middleware import (
    INTERNAL_ERROR_MESSAGE,
    BodyLimitMiddleware,
    SecurityHeadersMiddleware,
    UnhandledErrorMiddleware,
)
from scriptorium.core.resources import Resources, build_resources
from scriptorium.core.settings import Settings
from scriptorium.core.telemetry import (
    RequestIdMiddleware,
    configure_logging,
    configure_tracing,
    request_id_var,
)
from scriptorium.core.text_guard import ControlCharacterMiddleware

log = logging.getLogger(__name__)

UPLOAD_FORM_OVERHEAD = 64_000  # multipart boundaries and the other form fields around an uploaded file


def create_app(settings: Settings, *, resources: Resources | None = None) -> FastAPI:
    """Build the app for `settings`. Pass `resources` to share clients with a caller (tests, `doctor`)."""
    configure_logging(settings)
    from scriptorium.ops.origins import origin_warnings

    for warning in origin_warnings(settings):
        log.warning("CORS: %s", warning)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = resources is None
        state = resources or build_resources(settings)
        app.state.resources = state
        configure_tracing(settings)
        if settings.consumer_in_process and state.runner is None:
            apps.load_job_handlers()
            state.start_jobs(consume=True)
        try:
            yield
        finally:
            if owned:
                await state.aclose()

    app = FastAPI(
        title="Scriptorium",
        version="0.1.0",
        description="Scribe (researched outreach email) and Companion (spoiler-safe reading companion).",
        lifespan=lifespan,
    )
    app.state.settings = settings
    _add_middleware(app, settings)
    _add_error_handlers(app)
    _add_health(app)
    app.include_router(auth_router)
    for router in apps.routers():
        app.include_router(router)
    ui.mount(app, settings)
    openapi.install(app)  # /openapi.json: every error status in the one shape, built once per process
    return app


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    """A request passes, outermost first: request id → security headers → CORS → last-resort errors → body cap.

    Starlette wraps the last one added outermost, so they are added here from the inside out.

    CORS sits outside the body cap and the last-resort answer so that a 413, 500 or 503 is readable cross-origin.
    """
    app.add_middleware(ControlCharacterMiddleware)  # NUL in a path or query: 422, not a database error
    app.add_middleware(
        BodyLimitMiddleware,
        json_max_bytes=settings.request_max_bytes,
        upload_max_bytes=max(settings.request_max_bytes, settings.scribe_resume_max_bytes + UPLOAD_FORM_OVERHEAD),
        pause_seconds=settings.http_body_timeout_seconds,
    )
    app.add_middleware(UnhandledErrorMiddleware)
    origins = settings.origins
    if origins:
        wildcard = "*" in origins
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            # Browsers reject credentials with a wildcard origin, so never offer both.
            allow_credentials=not wildcard,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "X-Request-ID",
                "Last-Event-ID",
                "X-Reader-Token",
            ],
            # What the UI reads from responses when it is served from another origin (Pages + an API host).
            expose_headers=[
                "X-Request-ID",
                "Retry-After",
                "Idempotent-Replayed",
                "X-Scriptorium-Exported",
                "X-Scriptorium-Left-Out",
                "X-Scriptorium-Flagged",
                "X-Scriptorium-Warning",
            ],
            max_age=600,
        )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestIdMiddleware)


def _error_body(code: str, detail: Any, **extra: Any) -> dict[str, Any]:
    return {"detail": detail, "code": code, "request_id": request_id_var.get(), **extra}


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ScriptoriumError)
    async def _ours(_: Request, exc: ScriptoriumError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        extra: dict[str, Any] = {}
        field = getattr(exc, "field", None)
        if field:
            extra["field"] = field
        if exc.status_code >= 500:
            log.error("request failed: %s", exc.public_message, exc_info=exc)
        return JSONResponse(_error_body(exc.code, exc.public_message, **extra), exc.status_code, headers=headers)

    @app.exception_handler(StaleDataError)
    async def _raced(_: Request, exc: StaleDataError) -> JSONResponse:
        # An UPDATE or DELETE matched no row: another request deleted or replaced it between our read and write
        # (PATCH and DELETE of one template at once). That is the client's race to resolve, not a server error.
        message = "This item was changed or deleted by another request at the same time; reload it and try again."
        return JSONResponse(_error_body("conflict", message), 409)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "loc": list(error.get("loc", ())),
                "field": ".".join(str(p) for p in error.get("loc", ())[1:]) or str(error.get("loc", [""])[0]),
                "msg": error.get("msg", "invalid value"),
                "type": error.get("type", "value_error"),
            }
            for error in exc.errors()
        ]
        summary = "; ".join(f"{e['field']}: {e['msg']}" for e in errors[:5])
        return JSONResponse(_error_body("validation_error", errors, message=summary), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str | list | dict) else "request failed"
        code = {
            401: "unauthorized",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            408: "request_timeout",
            413: "payload_too_large",
        }.get(exc.status_code, "http_error")
        return JSONResponse(_error_body(code, detail), exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        # Only reached for errors raised outside UnhandledErrorMiddleware (in the middleware stack itself).
        log.error("unhandled error", exc_info=exc)
        return JSONResponse(_error_body("internal_error", INTERNAL_ERROR_MESSAGE), 500)


def _add_health(app: FastAPI) -> None:
    report_body = {"application/json": {"schema": {"type": "object", "properties": {"status": {"type": "string"}}}}}

    @app.get(
        "/health",
        tags=["ops"],
        summary="Component health (200 ok, 503 degraded)",
        responses={
            200: {"description": "Every component answered.", "content": report_body},
            503: {"description": "Degraded: the report names the failing component.", "content": report_body},
        },
    )
    async def health(request: Request) -> JSONResponse:
        report = await health_report(request.app.state.resources)
        return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)
