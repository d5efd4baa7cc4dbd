"""The OpenAPI document is the API: a bounded schemathesis run against the in-process app (issue 11, item 6).

Every operation in `/openapi.json` gets a few generated requests, valid (positive) and invalid (negative), sent
through the ASGI app in this process: lite, SQLite under tmp, AUTH_MODE=none, offline providers, nothing leaves
loopback. Each response must not be a server error, must have a documented status and content type, and its body
must match the documented schema for that status. Generation is derandomized, so a run is repeatable; the number
of examples is small and the whole run has a wall-clock cap.

A second pass sends valid requests for resources that exist (an ingested Pepper & Carrot episode, a template, a
queued email, a reader session), so 200 bodies are checked too, not only the 404s that random ids meet.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from scriptorium.app import create_app
from scriptorium.core.settings import Settings
from scriptorium.migrations import upgrade

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_MODE = 6
RUN_CAP_SECONDS = 45.0  # the whole run; measured ~20 s on a loaded 2-core machine
PEPPER = Path("/work/shared/peppercarrot")
FIXTURE_SERIES = Path(__file__).parent / "fixtures"

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def contract_app(make_settings: Callable[..., Settings]) -> Iterator[Any]:
    """The app as `serve` builds it in lite, with fetches that give up fast (nothing waits on the network)."""
    settings = make_settings(fetch_timeout_seconds=1.0, companion_rate_limit_per_minute=1000, auth_login_attempts=1000)
    upgrade(settings)
    app = create_app(settings)
    try:
        yield app
    finally:
        shutdown_lifespans()  # schemathesis started the app's lifespan; close its database and clients


def _has_inputs(operation: Any) -> bool:
    """Negative generation needs something to break: a parameter or a body."""
    raw = operation.definition.raw
    return bool(raw.get("parameters") or raw.get("requestBody"))


def _run(operation: Any, mode: GenerationMode, examples: int, **fixed: Any) -> str | None:
    """Run one operation's generated cases through the checks; the failure report, or None."""

    @hypothesis_settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        print_blob=False,
    )
    @given(case=operation.as_strategy(generation_mode=mode, **fixed))
    def check(case: Any) -> None:
        case.call_and_validate(checks=CHECKS)

    try:
        check()
    except Unsatisfiable:
        if mode is GenerationMode.NEGATIVE:
            return None  # nothing about these inputs can be made invalid (an unconstrained string in the path)
        raise
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis raises a group of failures, readable as text
        return str(exc)
    return None


def test_every_operation_answers_as_documented(contract_app: Any) -> None:
    config = schemathesis.Config.from_dict({"max-stream-events": 1})
    schema = schemathesis.openapi.from_asgi("/openapi.json", contract_app, config=config)
    failures: dict[str, str] = {}
    started = time.monotonic()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40, "the document lost operations"
    for operation in operations:
        modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if _has_inputs(operation) else [])
        for mode in modes:
            failure = _run(operation, mode, EXAMPLES_PER_MODE)
            if failure:
                failures[f"{operation.label} ({mode.value})"] = failure
    elapsed = time.monotonic() - started
    report = "\n\n".join(f"== {label}\n{text}" for label, text in failures.items())
    assert not failures, f"{len(failures)} operation(s) broke the contract:\n{report}"
    assert elapsed < RUN_CAP_SECONDS, f"the contract run took {elapsed:.1f} s (cap {RUN_CAP_SECONDS} s)"


def test_the_document_describes_the_error_shape_and_download_types(contract_app: Any) -> None:
    """The document itself: one error shape, real error statuses, the content types of files and streams."""
    document = contract_app.openapi()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert schemas["ErrorResponse"]["required"] == ["detail", "code", "request_id"]
    paths = document["paths"]
    email = paths["/api/email/{email_id}"]["patch"]["responses"]
    assert {"401", "404", "409", "413", "422", "500", "503"} <= set(email)
    assert email["404"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}
    assert "403" in paths["/api/admin/users"]["get"]["responses"]
    assert "429" in paths["/api/auth/login"]["post"]["responses"]
    assert "Retry-After" in paths["/api/auth/login"]["post"]["responses"]["429"]["headers"]
    export = paths["/api/email/export"]["get"]["responses"]["200"]["content"]
    assert {"text/csv", "application/json", "application/zip"} <= set(export)
    assert set(paths["/api/email/{email_id}/eml"]["get"]["responses"]["200"]["content"]) == {"message/rfc822"}
    assert set(paths["/api/queue/stream"]["get"]["responses"]["200"]["content"]) == {"text/event-stream"}
    chat = paths["/api/sessions/{session_id}/messages"]["post"]["responses"]
    assert set(chat["429"]["content"]) == {"text/event-stream", "application/json"}
    assert contract_app.openapi() is document, "the document is built once per process"
