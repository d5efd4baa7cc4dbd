"""Bad input is refused at the boundary with a 4xx whose body names the field, and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest

from scriptorium.core.jobs import Job
from scriptorium.scribe.models import QueueItem, Recipient
from tests.scribe.api.conftest import GENERAL, OKAFOR, ScribeApi

GOOD_ITEM = {"recipient_name": "Ada Lovelace", "recipient_interest": "analytical engines"}


def fields(response: Any) -> set[str]:
    body = response.json()
    if isinstance(body["detail"], list):
        return {error["field"] for error in body["detail"]}
    return {body.get("field", "")}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/email/generate", {"email_template": "too short", **GOOD_ITEM}, "email_template"),
        ("/api/email/generate", {"email_template": "x" * 5001, **GOOD_ITEM}, "email_template"),
        ("/api/email/generate", {"email_template": " " * 30, **GOOD_ITEM}, "email_template"),
        ("/api/email/generate", {"email_template": GENERAL, **GOOD_ITEM, "recipient_name": "A"}, "recipient_name"),
        (
            "/api/email/generate",
            {"email_template": GENERAL, **GOOD_ITEM, "recipient_interest": ""},
            "recipient_interest",
        ),
        ("/api/email/generate", {"email_template": GENERAL, **GOOD_ITEM, "recipient_email": "nope"}, "recipient_email"),
        (
            "/api/email/generate",
            {"email_template": GENERAL, **GOOD_ITEM, "profile_urls": ["ftp://x"]},
            "profile_urls.0",
        ),
        ("/api/email/generate", {"email_template": GENERAL, "recipient_interest": "x y"}, "recipient_name"),
        ("/api/queue/batch", {"email_template": GENERAL, "items": []}, "items"),
        (
            "/api/queue/batch",
            {"email_template": GENERAL, "items": [GOOD_ITEM, {"recipient_name": "B"}]},
            "items.1.recipient_name",
        ),
        ("/api/queue/batch", {"email_template": "short", "items": [GOOD_ITEM]}, "email_template"),
        ("/api/user/template", {"template": "   "}, "template"),
        ("/api/user/init", {"display_name": ""}, "display_name"),
        ("/api/templates/", {"template_text": "tiny"}, "template_text"),
        ("/api/recipients/check", {"items": [{"recipient_name": "Ada"}]}, "items.0.recipient_interest"),
    ],
)
async def test_invalid_input_names_the_field(
    scribe_api: ScribeApi, path: str, body: dict[str, Any], field: str
) -> None:
    me = await scribe_api.user()
    method = "PATCH" if path.startswith("/api/user/template") else "POST"
    response = await scribe_api.client.request(method, path, json=body, headers=me.headers)
    assert response.status_code == 422, response.text
    assert field in fields(response)
    assert response.json()["code"] == "validation_error"
    assert await scribe_api.count(QueueItem) == 0


async def test_batch_over_the_limit_is_refused_naming_items(scribe_api_factory: Any) -> None:
    async with scribe_api_factory(scribe_batch_max=3) as api:
        me = await api.user()
        response = await api.client.post(
            "/api/queue/batch", json={"email_template": GENERAL, "items": [GOOD_ITEM] * 4}, headers=me.headers
        )
        assert response.status_code == 422
        assert response.json()["field"] == "items"
        assert "at most 3" in response.json()["detail"]
        assert await api.count(Job) == 0
        assert await api.count(Recipient) == 0


async def test_a_template_or_template_id_is_required(scribe_api: ScribeApi) -> None:
    me = await scribe_api.user()
    response = await scribe_api.client.post("/api/email/generate", json=OKAFOR, headers=me.headers)
    assert response.status_code == 422
    assert "email_template" in response.text


async def test_errors_never_echo_internal_exception_text(scribe_api: ScribeApi) -> None:
    me = await scribe_api.user()
    response = await scribe_api.client.get("/api/email/not-an-id", headers=me.headers)
    assert response.status_code == 404
    assert set(response.json()) == {"detail", "code", "request_id"}
    assert "Traceback" not in response.text
