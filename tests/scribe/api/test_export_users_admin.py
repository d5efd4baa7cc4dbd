"""Exports parse back (CSV, JSON, .eml), the user endpoints keep the original's shapes, and admins see totals."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from email import policy
from email.parser import BytesParser

from tests.scribe.api.conftest import CHEN, GENERAL, OKAFOR, RESEARCH, UNKNOWN, ScribeApi

USER_FIELDS = {
    "id",
    "email",
    "display_name",
    "generation_count",
    "template_count",
    "onboarded",
    "email_template",
    "created_at",
}


async def test_exports_parse_back_in_every_format(scribe_api: ScribeApi) -> None:
    me = await scribe_api.user("sam@example.edu")
    items = await scribe_api.submit_and_finish(
        me, RESEARCH, {**CHEN, "recipient_email": "m.chen@northbridge.example"}, UNKNOWN
    )
    emails = {
        i["email_id"]: (await scribe_api.client.get(f"/api/email/{i['email_id']}", headers=me.headers)).json()
        for i in items
    }
    chen = next(e for e in emails.values() if e["recipient_name"] == "Dr. Maria Chen")

    as_csv = await scribe_api.client.get("/api/email/export?format=csv&include_review=true", headers=me.headers)
    assert as_csv.headers["content-disposition"] == 'attachment; filename="scribe-emails.csv"'
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert {row["id"] for row in rows} == set(emails)
    row = next(r for r in rows if r["id"] == chen["id"])
    assert row["email_message"] == chen["email_message"]  # multi-line bodies survive quoting
    assert row["subject"] == chen["subject"]
    assert row["recipient_email"] == "m.chen@northbridge.example"
    assert row["is_confident"] == "true"

    as_json = (
        await scribe_api.client.get("/api/email/export?format=json&include_review=true", headers=me.headers)
    ).json()
    record = next(r for r in as_json["emails"] if r["id"] == chen["id"])
    assert record["claims"] == chen["claims"]
    assert {s["id"] for s in record["sources"]} == {s["source_key"] for s in chen["sources"]}

    as_zip = await scribe_api.client.get("/api/email/export?format=eml&include_review=true", headers=me.headers)
    assert as_zip.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(as_zip.content)) as archive:
        names = archive.namelist()
        assert len(names) == 2
        messages = [BytesParser(policy=policy.default).parsebytes(archive.read(n)) for n in names]
    message = next(m for m in messages if m["X-Scribe-Id"] == chen["id"])
    assert message["Subject"] == chen["subject"]
    assert message["To"].addresses[0].addr_spec == "m.chen@northbridge.example"
    assert message["From"] == "sam@example.edu"
    assert message["X-Unsent"] == "1"
    assert message.get_content().replace("\r\n", "\n").strip() == chen["email_message"].strip()  # CRLF on the wire
    unknown = next(m for m in messages if m["X-Scribe-Id"] != chen["id"])
    assert unknown["To"] is None  # no address is ever invented

    single = await scribe_api.client.get(f"/api/email/{chen['id']}/eml", headers=me.headers)
    assert single.headers["content-type"] == "message/rfc822"
    assert BytesParser(policy=policy.default).parsebytes(single.content)["X-Scribe-Id"] == chen["id"]

    only_one = (
        await scribe_api.client.get(f"/api/email/export?format=json&ids={chen['id']}", headers=me.headers)
    ).json()
    assert [r["id"] for r in only_one["emails"]] == [chen["id"]]


async def test_csv_export_defuses_spreadsheet_formulas(scribe_api: ScribeApi) -> None:
    me = await scribe_api.user()
    [item] = await scribe_api.submit_and_finish(me, GENERAL, OKAFOR)
    await scribe_api.client.patch(
        f"/api/email/{item['email_id']}", json={"subject": '=HYPERLINK("http://x")'}, headers=me.headers
    )
    rows = list(
        csv.DictReader(
            io.StringIO(
                (await scribe_api.client.get("/api/email/export?format=csv", headers=me.headers)).content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert rows[0]["subject"] == '\'=HYPERLINK("http://x")'


async def test_user_endpoints_keep_the_original_shapes(scribe_api: ScribeApi) -> None:
    me = await scribe_api.user()
    init = await scribe_api.client.post("/api/user/init", json={"display_name": "Sam Student"}, headers=me.headers)
    assert init.status_code == 201
    assert set(init.json()) >= USER_FIELDS
    assert init.json()["display_name"] == "Sam Student"
    again = await scribe_api.client.post("/api/user/init", json={"display_name": "Sam"}, headers=me.headers)
    assert again.status_code == 201  # idempotent, as in the original
    assert again.json()["onboarded"] is False

    onboarded = await scribe_api.client.patch("/api/user/onboarding", headers=me.headers)
    assert onboarded.json()["onboarded"] is True
    saved = await scribe_api.client.patch("/api/user/template", json={"template": GENERAL}, headers=me.headers)
    assert saved.json()["email_template"] == GENERAL
    profile = (await scribe_api.client.get("/api/user/profile", headers=me.headers)).json()
    assert profile["email_template"] == GENERAL
    assert profile["onboarded"] is True
    assert profile["quota"]["daily_limit"] == scribe_api.settings.scribe_daily_quota


async def test_recipient_csv_import_validates_rows(scribe_api: ScribeApi) -> None:
    me = await scribe_api.user()
    sheet = (
        "Name;Research Interest;E-mail;University;Homepage\n"
        "Dr. Maria Chen;protein folding;m.chen@northbridge.example;University of Northbridge;"
        "https://northbridge.example/chen\n"
        "X;;bad-address;;\n"
        "\n"
        "Tomás Okafor;engineering education;;;\n"
    ).encode()
    response = await scribe_api.client.post(
        "/api/recipients/import", files={"file": ("people.csv", sheet, "text/csv")}, headers=me.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [i["recipient_name"] for i in body["items"]] == ["Dr. Maria Chen", "Tomás Okafor"]
    assert body["items"][0]["profile_urls"] == ["https://northbridge.example/chen"]
    assert {(e["line"], e["field"]) for e in body["errors"]} == {
        (3, "recipient_name"),
        (3, "recipient_interest"),
        (3, "recipient_email"),
    }
    missing = await scribe_api.client.post(
        "/api/recipients/import",
        files={"file": ("x.csv", b"email,notes\na@b.co,hi\n", "text/csv")},
        headers=me.headers,
    )
    assert missing.status_code == 422
    assert missing.json()["field"] == "file"
    assert "missing column(s): name, interest" in missing.json()["detail"]


async def test_admin_views_report_totals_activity_and_errors(scribe_api: ScribeApi) -> None:
    admin = await scribe_api.user(role="admin")
    me = await scribe_api.user()
    await scribe_api.submit_and_finish(me, GENERAL, OKAFOR, UNKNOWN)
    overview = (await scribe_api.client.get("/api/admin/overview", headers=admin.headers)).json()
    assert overview["total_emails"] == 2
    assert overview["total_users"] == 2
    assert overview["success_rate"] == 100.0
    assert overview["confidence_rate"] == 50.0  # one confident, one needs review
    assert overview["needs_review_count"] == 1
    assert overview["emails_this_week"] == 2
    users = (await scribe_api.client.get("/api/admin/users", headers=admin.headers)).json()
    mine = next(u for u in users if u["id"] == me.id)
    assert (mine["actual_email_count"], mine["queue_submissions"], mine["generation_count"]) == (2, 2, 2)
    one = await scribe_api.client.get(f"/api/admin/users/{me.id}", headers=admin.headers)
    assert one.json() == mine  # the same row, whatever its place in the list
    assert (await scribe_api.client.get("/api/admin/users/nobody", headers=admin.headers)).status_code == 404
    emails = (await scribe_api.client.get(f"/api/admin/users/{me.id}/emails?per_page=1", headers=admin.headers)).json()
    assert (emails["total"], emails["pages"], len(emails["items"])) == (2, 2, 1)
    queue = (await scribe_api.client.get(f"/api/admin/users/{me.id}/queue", headers=admin.headers)).json()
    assert len(queue) == 2
    activity = (await scribe_api.client.get("/api/admin/activity", headers=admin.headers)).json()
    assert activity[0]["emails_generated"] == 2
    assert activity[0]["active_users"] == 1
    assert (await scribe_api.client.get("/api/admin/errors", headers=admin.headers)).json() == []
    missing = await scribe_api.client.get("/api/admin/users/nobody/emails", headers=admin.headers)
    assert missing.status_code == 404
    assert json.loads(missing.text)["code"] == "not_found"
