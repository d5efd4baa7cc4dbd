"""A NUL byte or another control character in any text field is a 422 naming the field, on SQLite and on
PostgreSQL alike (PostgreSQL refuses NUL in text, so without the check it was a 500 there and stored on SQLite)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from scriptorium.core.text_fields import control_character
from scriptorium.scribe.models import QueueItem, Recipient
from tests.scribe.api.conftest import CHEN, GENERAL, ScribeApi
from tests.services import fresh_postgres_schema

BAD = ["\x00", "\x1b[31m", "\x7f", "\x85", "\ud800"]
TEMPLATE_BODY = "Dear {{name}},\n\tI would love to hear about {{research_area}}.\r\nThanks, Sam"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def api(request: pytest.FixtureRequest, scribe_api_factory: Any) -> AsyncIterator[ScribeApi]:
    if request.param == "sqlite":
        async with scribe_api_factory() as api:
            yield api
        return
    with fresh_postgres_schema() as database_url:
        async with scribe_api_factory(profile="scale", database_url=database_url, job_backend="memory") as api:
            yield api


def with_bad(value: str, bad: str) -> str:
    return f"{value[:3]}{bad}{value[3:]}"


# (method, path, body builder, field as the 422 names it)
SCRIBE_FIELDS: list[tuple[str, str, dict[str, Any], str]] = [
    ("POST", "/api/email/generate", {"email_template": GENERAL, **CHEN}, "recipient_name"),
    ("POST", "/api/email/generate", {"email_template": GENERAL, **CHEN}, "recipient_interest"),
    ("POST", "/api/email/generate", {"email_template": GENERAL, **CHEN}, "institution"),
    (
        "POST",
        "/api/email/generate",
        {"email_template": GENERAL, **CHEN, "recipient_email": "mc@x.org"},
        "recipient_email",
    ),
    ("POST", "/api/email/generate", {"email_template": GENERAL, **CHEN}, "email_template"),
    ("POST", "/api/email/generate", {"template_id": "abcdefgh", **CHEN}, "template_id"),
    ("POST", "/api/templates/", {"template_text": GENERAL, "name": "Cold email"}, "name"),
    ("POST", "/api/templates/", {"template_text": GENERAL}, "template_text"),
    ("POST", "/api/templates/analyze", {"email_template": GENERAL}, "email_template"),
    ("POST", "/api/user/init", {"display_name": "Sam Student"}, "display_name"),
    ("PATCH", "/api/user/template", {"template": GENERAL}, "template"),
]


def _set(body: dict[str, Any], field: str, bad: str) -> dict[str, Any]:
    return {**body, field: with_bad(str(body[field]), bad)}


@pytest.mark.parametrize(("method", "path", "body", "field"), SCRIBE_FIELDS, ids=lambda v: str(v)[:30])
async def test_a_nul_in_any_scribe_text_field_is_a_422_naming_it(
    api: ScribeApi, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    account = await api.user()
    response = await api.client.request(method, path, json=_set(body, field, "\x00"), headers=account.headers)
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert [e["field"] for e in errors] == [field]
    assert "NUL" in errors[0]["msg"]


async def test_every_control_character_class_is_refused_in_a_batch_item(api: ScribeApi) -> None:
    account = await api.user()
    for bad in BAD:
        item = {**CHEN, "recipient_name": with_bad("Maria Chen", bad)}
        body = json.dumps({"email_template": GENERAL, "items": [item]})  # ASCII escapes: a lone surrogate too
        headers = {**account.headers, "Content-Type": "application/json"}
        response = await api.client.post("/api/queue/batch", content=body, headers=headers)
        assert response.status_code == 422, (repr(bad), response.text)
        assert "items.0.recipient_name" in response.text
    assert await api.count(QueueItem) == 0
    assert await api.count(Recipient) == 0


async def test_tabs_and_line_breaks_stay_allowed_where_text_is_multi_line(api: ScribeApi) -> None:
    account = await api.user()
    saved = await api.client.post("/api/templates/", json={"template_text": TEMPLATE_BODY}, headers=account.headers)
    assert saved.status_code == 201, saved.text
    assert saved.json()["template_text"] == TEMPLATE_BODY
    item = await api.client.post(
        "/api/email/generate", json={"email_template": TEMPLATE_BODY, **CHEN}, headers=account.headers
    )
    assert item.status_code == 202, item.text
    # ... but a line break inside a single-line field (a name) is refused.
    named = await api.client.post(
        "/api/email/generate",
        json={"email_template": TEMPLATE_BODY, **CHEN, "recipient_name": "Maria\nChen"},
        headers=account.headers,
    )
    assert named.status_code == 422 and "recipient_name" in named.text


async def test_an_edited_email_refuses_control_characters(api: ScribeApi) -> None:
    account = await api.user()
    queued = await api.client.post(
        "/api/email/generate", json={"email_template": GENERAL, **CHEN}, headers=account.headers
    )
    await api.drain()
    status = (await api.client.get(f"/api/email/status/{queued.json()['task_id']}", headers=account.headers)).json()
    email_id = status["result"]["email_id"]
    for field in ("subject", "email_message"):
        response = await api.client.patch(
            f"/api/email/{email_id}", json={field: "Hello\x00 there, Professor"}, headers=account.headers
        )
        assert response.status_code == 422, response.text
        assert field in response.text
    ok = await api.client.patch(
        f"/api/email/{email_id}", json={"email_message": "Dear Maria,\n\nThanks.\n"}, headers=account.headers
    )
    assert ok.status_code == 200, ok.text


async def test_a_csv_row_with_a_nul_is_a_row_error_naming_the_field(api: ScribeApi) -> None:
    account = await api.user()
    csv = b"name,interest\nMaria Chen,protein folding\nAda\x00 Lovelace,analytical engines\n"
    response = await api.client.post(
        "/api/recipients/import", files={"file": ("r.csv", csv, "text/csv")}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    data = response.json()
    assert [i["recipient_name"] for i in data["items"]] == ["Maria Chen"]
    assert [(e["line"], e["field"]) for e in data["errors"]] == [(3, "recipient_name")]


async def test_auth_and_companion_text_fields_refuse_nul(api: ScribeApi) -> None:
    register = await api.client.post(
        "/api/auth/register",
        json={"email": "new@example.org", "password": "long enough pass", "display_name": "Sam\x00"},
    )
    assert register.status_code == 422 and "display_name" in register.text
    login = await api.client.post("/api/auth/login", json={"email": "a\x00b@example.org", "password": "x"})
    assert login.status_code == 422 and "email" in login.text


def test_control_character_reports_the_first_one_and_skips_allowed_ones() -> None:
    assert control_character("plain text") is None
    assert control_character("a\tb\nc", frozenset("\t\n")) is None
    assert control_character("a\tb") == (1, "\t")
    assert control_character("ok\x00\x01") == (2, "\x00")
    assert control_character("caf\u00e9 \u2014 \u4e2d\u6587 \U0001f600") is None  # accents, dashes, CJK, emoji


def test_companion_request_text_refuses_control_characters_but_keeps_line_breaks() -> None:
    from pydantic import ValidationError

    from scriptorium.companion.schemas import MessageCreate, RetrieveRequest, SessionCreate

    assert MessageCreate(message="Who is Carrot?\nAnd Pepper?").message.endswith("Pepper?")
    for model, field, value in (
        (MessageCreate, "message", "Who is\x00 Carrot?"),
        (RetrieveRequest, "query", "potion\x1b[2J"),
        (SessionCreate, "reader_token", "tok\x00en"),
    ):
        extra = {"episode_slug": "ep01"} if model is SessionCreate else {}
        with pytest.raises(ValidationError) as caught:
            model.model_validate({field: value, **extra})
        assert [e["loc"] for e in caught.value.errors()] == [(field,)]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/email/?q=a%00b", "q"),
        ("/api/email/export?q=x%1Bz", "q"),
        ("/api/recipients/?q=a%00b", "q"),
        ("/api/queue/?batch_id=a%00b", "batch_id"),
        ("/api/email/abc%00def", "path"),
        ("/api/templates/abc%7Fdef", "path"),
    ],
)
async def test_a_nul_in_a_query_or_path_is_a_422_not_a_database_error(api: ScribeApi, path: str, field: str) -> None:
    account = await api.user()
    response = await api.client.get(path, headers=account.headers)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["detail"]] == [field]
    assert response.json()["code"] == "validation_error"


async def test_ordinary_queries_with_accents_and_spaces_still_work(api: ScribeApi) -> None:
    account = await api.user()
    response = await api.client.get("/api/email/?q=Tom%C3%A1s%20Okafor", headers=account.headers)
    assert response.status_code == 200, response.text


async def test_a_companion_question_with_a_nul_is_a_422_event_stream_naming_the_field(api: ScribeApi) -> None:
    response = await api.client.post(f"/api/sessions/{'0' * 32}/messages", json={"message": "Who is\x00 Carrot?"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    assert "event: error" in response.text and '"field": "message"' in response.text.replace('":"', '": "')


async def test_resume_form_fields_refuse_control_characters(api: ScribeApi) -> None:
    from tests.scribe.api.pdfs import RESUME_LINES, make_pdf

    account = await api.user()
    pdf = {"file": ("resume.pdf", make_pdf(RESUME_LINES), "application/pdf")}
    for field, value in (("name", "My\x00 resume"), ("user_instructions", "Summer research\x1b[2J please")):
        response = await api.client.post(
            "/api/templates/resume", files=pdf, data={field: value}, headers=account.headers
        )
        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["detail"]] == [field]
    ok = await api.client.post(
        "/api/templates/resume", files=pdf, data={"user_instructions": "Line one\nline two"}, headers=account.headers
    )
    assert ok.status_code == 201, ok.text
