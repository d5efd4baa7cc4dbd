"""A write that loses a race with a delete answers 409 (an update) or 404 (a second delete), never 500.

Issue 11, finding 4.

The race is made deterministic: between the PATCH's read and its write, another session deletes the row and
commits, exactly what a concurrent DELETE does when it wins (8 of 40 rounds under load before).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete

from scriptorium.scribe import templates
from scriptorium.scribe.models import Template
from tests.scribe.api.conftest import GENERAL, ScribeApi


@pytest.mark.parametrize(("write", "status", "code"), [("patch", 409, "conflict"), ("delete", 404, "not_found")])
async def test_a_write_that_loses_to_a_concurrent_delete_is_409_or_404(
    scribe_api: ScribeApi, monkeypatch: pytest.MonkeyPatch, write: str, status: int, code: str
) -> None:
    me = await scribe_api.user()
    created = await scribe_api.client.post(
        "/api/templates/", json={"template_text": GENERAL, "name": "Advice"}, headers=me.headers
    )
    template_id = created.json()["id"]
    real_owned = templates.owned_template

    async def read_then_lose_the_race(*args: Any, **kwargs: Any) -> Template:
        template = await real_owned(*args, **kwargs)
        async with scribe_api.resources.sessionmaker() as other:
            await other.execute(delete(Template).where(Template.id == template_id))
            await other.commit()
        return template

    monkeypatch.setattr(templates, "owned_template", read_then_lose_the_race)
    url = f"/api/templates/{template_id}"
    if write == "patch":
        response = await scribe_api.client.patch(url, json={"name": "Renamed"}, headers=me.headers)
    else:
        response = await scribe_api.client.delete(url, headers=me.headers)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    monkeypatch.undo()
    assert (await scribe_api.client.get(url, headers=me.headers)).status_code == 404
