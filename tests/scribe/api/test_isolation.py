"""Every per-user resource answers 404 to another user (never 403, never the data), and admin views need the role."""

from __future__ import annotations

import pytest

from tests.scribe.api.conftest import GENERAL, OKAFOR, ScribeApi


async def test_another_users_resources_are_not_found_everywhere(scribe_api: ScribeApi) -> None:
    owner = await scribe_api.user()
    stranger = await scribe_api.user()
    [done] = await scribe_api.submit_and_finish(owner, GENERAL, OKAFOR)
    pending = (
        await scribe_api.client.post(
            "/api/queue/batch", json={"email_template": GENERAL, "items": [OKAFOR]}, headers=owner.headers
        )
    ).json()["queue_item_ids"][0]
    template = (
        await scribe_api.client.post("/api/templates/", json={"template_text": GENERAL}, headers=owner.headers)
    ).json()["id"]
    email_id, item_id = done["email_id"], done["id"]

    attempts = [
        ("GET", f"/api/email/status/{item_id}", None),
        ("GET", f"/api/email/{email_id}", None),
        ("GET", f"/api/email/{email_id}/eml", None),
        ("PATCH", f"/api/email/{email_id}", {"displayed": False}),
        ("PATCH", f"/api/email/{email_id}", {"email_message": "mine now"}),
        ("POST", f"/api/email/{email_id}/regenerate", None),
        ("POST", f"/api/email/{email_id}/regenerate?confirm_replace_edit=true", None),
        ("POST", f"/api/email/{email_id}/versions/1/restore", None),
        ("GET", f"/api/email/{email_id}/batch", None),
        ("GET", f"/api/queue/batches/{done['batch_id']}", None),
        ("POST", f"/api/queue/batches/{done['batch_id']}/retry", None),
        ("DELETE", f"/api/queue/{pending}", None),
        ("POST", f"/api/queue/{item_id}/retry", None),
        ("GET", f"/api/templates/{template}", None),
        ("PATCH", f"/api/templates/{template}", {"name": "stolen"}),
        ("DELETE", f"/api/templates/{template}", None),
        ("POST", "/api/email/generate", {"template_id": template, **OKAFOR}),
        ("POST", "/api/queue/batch", {"template_id": template, "items": [OKAFOR]}),
    ]
    for method, path, body in attempts:
        response = await scribe_api.client.request(method, path, json=body, headers=stranger.headers)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["code"] == "not_found"

    # The stranger's own listings show nothing of the owner's.
    assert (await scribe_api.client.get("/api/email/", headers=stranger.headers)).json() == []
    assert (await scribe_api.client.get("/api/queue/", headers=stranger.headers)).json() == []
    assert (await scribe_api.client.get("/api/templates/", headers=stranger.headers)).json() == []
    assert (await scribe_api.client.get("/api/recipients/", headers=stranger.headers)).json() == []
    export = await scribe_api.client.get("/api/email/export?format=json", headers=stranger.headers)
    assert export.json()["emails"] == []
    export_by_id = await scribe_api.client.get(
        f"/api/email/export?format=json&ids={email_id}", headers=stranger.headers
    )
    assert export_by_id.json()["emails"] == []

    # Nothing the stranger tried changed the owner's data.
    email = (await scribe_api.client.get(f"/api/email/{email_id}", headers=owner.headers)).json()
    assert email["displayed"] is True
    assert email["version"] == 1
    queue = (await scribe_api.client.get("/api/queue/", headers=owner.headers)).json()
    assert {i["id"]: i["status"] for i in queue}[pending] == "pending"
    assert (await scribe_api.client.get(f"/api/templates/{template}", headers=owner.headers)).status_code == 200


async def test_dedupe_warnings_never_reveal_other_users_recipients(scribe_api: ScribeApi) -> None:
    owner = await scribe_api.user()
    stranger = await scribe_api.user()
    await scribe_api.submit_and_finish(owner, GENERAL, OKAFOR)
    response = await scribe_api.client.post("/api/recipients/check", json={"items": [OKAFOR]}, headers=stranger.headers)
    assert response.json()["duplicates"] == []


@pytest.mark.parametrize(
    ("path", "for_admin"),
    [
        ("/api/admin/overview", 200),
        ("/api/admin/users", 200),
        ("/api/admin/activity", 200),
        ("/api/admin/errors", 200),
        ("/api/admin/users/nobody", 404),  # the role is checked before the user is looked up
    ],
)
async def test_admin_views_need_the_admin_role(scribe_api: ScribeApi, path: str, for_admin: int) -> None:
    user = await scribe_api.user()
    admin = await scribe_api.user(role="admin")
    assert (await scribe_api.client.get(path, headers=user.headers)).status_code == 403
    assert (await scribe_api.client.get(path)).status_code == 401
    assert (await scribe_api.client.get(path, headers=admin.headers)).status_code == for_admin


async def test_signed_out_requests_are_refused(scribe_api: ScribeApi) -> None:
    for method, path in [
        ("GET", "/api/user/profile"),
        ("GET", "/api/email/"),
        ("GET", "/api/queue/"),
        ("POST", "/api/queue/batch"),
        ("GET", "/api/queue/stream"),
    ]:
        response = await scribe_api.client.request(method, path)
        assert response.status_code == 401, path
