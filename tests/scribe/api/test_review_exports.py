"""Exports leave drafts that need review out unless asked, and never carry an unfilled placeholder silently.

The emails are real runs against the scholarly twin: Chen's research email is confident, Aldridge-Vey (nobody
knows him) needs review. The placeholder case is a user's own edit that reintroduces `{{paper_title}}` and
`[Name]` into a confident email, which the pipeline never re-checks: exactly the draft that used to leave quietly.
"""

from __future__ import annotations

import csv
import io
import zipfile
from email import policy
from email.parser import BytesParser
from typing import Any

from tests.scribe.api.conftest import CHEN, RESEARCH, UNKNOWN, Account, ScribeApi


async def _two_emails(scribe_api: ScribeApi) -> tuple[Account, dict[str, Any], dict[str, Any]]:
    me = await scribe_api.user("sam@example.edu")
    items = await scribe_api.submit_and_finish(me, RESEARCH, CHEN, UNKNOWN)
    chen, unknown = [
        (await scribe_api.client.get(f"/api/email/{i['email_id']}", headers=me.headers)).json() for i in items
    ]
    assert (chen["status"], unknown["status"]) == ("completed", "needs_review")
    return me, chen, unknown


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def _zip_messages(content: bytes) -> list[Any]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return [BytesParser(policy=policy.default).parsebytes(archive.read(n)) for n in archive.namelist()]


async def test_needs_review_drafts_stay_out_of_every_format_unless_asked(scribe_api: ScribeApi) -> None:
    me, chen, unknown = await _two_emails(scribe_api)

    csv_default = await scribe_api.client.get("/api/email/export?format=csv", headers=me.headers)
    assert [row["id"] for row in _csv_rows(csv_default.content)] == [chen["id"]]
    assert (csv_default.headers["x-scriptorium-left-out"], csv_default.headers["x-scriptorium-flagged"]) == ("1", "0")
    assert "1 draft(s) that need review were left out" in csv_default.headers["x-scriptorium-warning"]

    json_default = (await scribe_api.client.get("/api/email/export?format=json", headers=me.headers)).json()
    assert [r["id"] for r in json_default["emails"]] == [chen["id"]]
    assert json_default["summary"]["left_out_review"] == 1
    assert "left out" in json_default["summary"]["message"]

    zip_default = await scribe_api.client.get("/api/email/export?format=eml", headers=me.headers)
    assert [m["X-Scribe-Id"] for m in _zip_messages(zip_default.content)] == [chen["id"]]

    # Asked for: the draft comes along, and says in every format that it needs review and why.
    asked = await scribe_api.client.get("/api/email/export?format=csv&include_review=true", headers=me.headers)
    assert (asked.headers["x-scriptorium-left-out"], asked.headers["x-scriptorium-flagged"]) == ("0", "1")
    rows = {row["id"]: row for row in _csv_rows(asked.content)}
    assert set(rows) == {chen["id"], unknown["id"]}
    assert rows[unknown["id"]]["warning"].startswith("needs review: Not enough verified information")
    assert rows[chen["id"]]["warning"] == ""
    as_json = (
        await scribe_api.client.get("/api/email/export?format=json&include_review=true", headers=me.headers)
    ).json()
    record = next(r for r in as_json["emails"] if r["id"] == unknown["id"])
    assert record["warnings"][0].startswith("needs review: ")
    messages = {
        m["X-Scribe-Id"]: m
        for m in _zip_messages(
            (
                await scribe_api.client.get("/api/email/export?format=eml&include_review=true", headers=me.headers)
            ).content
        )
    }
    assert messages[unknown["id"]]["X-Scriptorium-Warning"].startswith("needs review: ")
    assert messages[chen["id"]]["X-Scriptorium-Warning"] is None

    # Filtering to needs_review is asking for them too.
    only_review = await scribe_api.client.get("/api/email/export?format=json&status=needs_review", headers=me.headers)
    assert [r["id"] for r in only_review.json()["emails"]] == [unknown["id"]]

    # The single-email download is an explicit request: served, with the warning in the response and the message.
    single = await scribe_api.client.get(f"/api/email/{unknown['id']}/eml", headers=me.headers)
    assert single.status_code == 200
    assert single.headers["x-scriptorium-warning"].startswith("needs review: ")
    assert BytesParser(policy=policy.default).parsebytes(single.content)["X-Scriptorium-Warning"]


async def test_an_unfilled_placeholder_is_named_wherever_the_draft_goes(scribe_api: ScribeApi) -> None:
    me, chen, _ = await _two_emails(scribe_api)
    body = chen["email_message"].replace("Best,", "PS: I also liked {{paper_title}}.\n\nBest,\n[Your Name]", 1)
    assert body != chen["email_message"]
    edited = await scribe_api.client.patch(f"/api/email/{chen['id']}", json={"email_message": body}, headers=me.headers)
    assert edited.json()["status"] == "completed"  # an edit is not re-checked: the export must catch it

    rows = _csv_rows((await scribe_api.client.get("/api/email/export?format=csv", headers=me.headers)).content)
    assert rows[0]["warning"] == "unfilled placeholder(s): {{paper_title}}, [Your Name]"
    as_json = await scribe_api.client.get("/api/email/export?format=json", headers=me.headers)
    assert as_json.json()["emails"][0]["warnings"] == ["unfilled placeholder(s): {{paper_title}}, [Your Name]"]
    assert "1 exported draft(s) need review or hold unfilled placeholders" in as_json.headers["x-scriptorium-warning"]
    [message] = _zip_messages((await scribe_api.client.get("/api/email/export?format=eml", headers=me.headers)).content)
    assert message["X-Scriptorium-Warning"] == "unfilled placeholder(s): {{paper_title}}, [Your Name]"
    single = await scribe_api.client.get(f"/api/email/{chen['id']}/eml", headers=me.headers)
    assert single.headers["x-scriptorium-warning"] == "unfilled placeholder(s): {{paper_title}}, [Your Name]"

    # Filled in by hand: the warning goes away, and nothing else was flagged.
    fixed = body.replace("{{paper_title}}", "your review").replace("[Your Name]", "Sam")
    await scribe_api.client.patch(f"/api/email/{chen['id']}", json={"email_message": fixed}, headers=me.headers)
    clean = await scribe_api.client.get("/api/email/export?format=json", headers=me.headers)
    assert clean.json()["emails"][0]["warnings"] == []
    assert "exported draft" not in clean.headers.get("x-scriptorium-warning", "")


async def test_non_ascii_reasons_make_a_valid_header(scribe_api: ScribeApi) -> None:
    me = await scribe_api.user()
    [item] = await scribe_api.submit_and_finish(
        me, RESEARCH, {"recipient_name": "Zoë Ångström-Łukasz", "recipient_interest": "glacier acoustics"}
    )
    response = await scribe_api.client.get(f"/api/email/{item['email_id']}/eml", headers=me.headers)
    assert response.status_code == 200
    warning = response.headers["x-scriptorium-warning"]
    assert warning.isascii() and "Zoe Angstrom" in warning


TALK_TEMPLATE = """Subject: Your talk on {{research_area}}

Dear Professor {{last_name}},

I'm a second-year biology student. I watched your talk {{talk_title}} and would love to learn how your group \
at {{university}} approaches {{research_area}}.

Would you have fifteen minutes for a call next week?

Best,
Sam"""


def _found(text: str, sentence: str) -> bool:
    """What the review page does to place a mark: verbatim, or with any whitespace run matching any other."""
    return sentence in text or " ".join(sentence.split()) in " ".join(text.split())


async def test_a_real_run_names_sentences_the_page_can_place_and_the_export_names_the_placeholder(
    scribe_api: ScribeApi,
) -> None:
    """No source can fill {{talk_title}}: the offline run keeps it for the user, needs review, and its failed check
    names the sentence as it stands in the draft, which is what the review page marks."""
    me = await scribe_api.user()
    [item] = await scribe_api.submit_and_finish(me, TALK_TEMPLATE, CHEN)
    email = (await scribe_api.client.get(f"/api/email/{item['email_id']}", headers=me.headers)).json()
    assert email["status"] == "needs_review"
    named = [(check, s) for check in email["checks"] if not check["passed"] for s in check["sentences"]]
    assert named, email["checks"]
    for check, sentence in named:
        assert _found(f"{email['subject']}\n{email['email_message']}", sentence), (check["name"], sentence)
        assert check["detail"] in email["review_reasons"]  # the page numbers the reason the mark points to
    assert any("{{talk_title}}" in sentence for _, sentence in named)

    record = (
        await scribe_api.client.get("/api/email/export?format=json&include_review=true", headers=me.headers)
    ).json()["emails"][0]
    assert record["warnings"][1] == "unfilled placeholder(s): {{talk_title}}"
