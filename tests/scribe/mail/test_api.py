"""`/api/mail/*` end to end on the twins: accounts, the connection test, the domain check, and the path from a
dry run to one sent email through every guard (sending off, approval, deliverability, first-send limit)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from scriptorium.scribe.mail.servers import MailboxConfig
from tests.scribe.api.conftest import Account, ScribeApi, scribe_api_factory
from tests.scribe.mail.product import MailDb, add_batch
from tests.twins.dns import DnsTwin
from tests.twins.imap import ImapTwin
from tests.twins.smtp import SmtpTwin

PASSWORD_FIELD = "password"
__all__ = ["scribe_api_factory"]  # the fixture, imported for pytest


@pytest.fixture
async def api(scribe_api_factory: Callable[..., Any], mail_overrides: dict[str, Any]) -> AsyncIterator[ScribeApi]:
    async with scribe_api_factory(**mail_overrides) as api:
        yield api


def account_json(config: MailboxConfig, **changes: Any) -> dict[str, Any]:
    body = {
        "label": "Uni",
        "address": config.address,
        "display_name": config.display_name,
        "imap": {"host": config.imap.host, "port": config.imap.port, "tls": config.imap.tls,
                 "username": config.imap.username},
        "smtp": {"host": config.smtp.host, "port": config.smtp.port, "tls": config.smtp.tls,
                 "username": config.smtp.username},
        "password": config.imap.password,
    }  # fmt: skip
    return body | changes


async def connect(api: ScribeApi, who: Account, config: MailboxConfig, **changes: Any) -> dict[str, Any]:
    response = await api.client.post("/api/mail/accounts", json=account_json(config, **changes), headers=who.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def db_of(api: ScribeApi) -> MailDb:
    return MailDb(api.settings, api.resources.engine, api.resources.sessionmaker)


async def test_presets_name_the_three_providers(api: ScribeApi) -> None:
    who = await api.user()
    response = await api.client.get("/api/mail/presets", headers=who.headers)
    assert response.status_code == 200
    by_key = {p["key"]: p for p in response.json()}
    assert set(by_key) == {"gmail", "outlook", "fastmail"}
    assert by_key["gmail"]["imap"] == {"host": "imap.gmail.com", "port": 993, "tls": "ssl", "username": None}
    assert by_key["outlook"]["smtp"]["tls"] == "starttls"
    assert by_key["fastmail"]["help_url"].startswith("https://")


async def test_accounts_are_private_and_the_password_never_comes_back(
    api: ScribeApi, mail_twins: MailboxConfig
) -> None:
    owner, other = await api.user(), await api.user()
    created = await connect(api, owner, mail_twins)
    assert created["has_password"] is True and created["sending_enabled"] is False
    assert (created["rate_per_minute"], created["daily_cap"], created["first_send_limit"]) == (5, 50, 1)
    listed = await api.client.get("/api/mail/accounts", headers=owner.headers)
    for shown in (created, *listed.json()):
        assert PASSWORD_FIELD not in shown and mail_twins.imap.password not in str(shown)
    assert (await api.client.get("/api/mail/accounts", headers=other.headers)).json() == []
    path = f"/api/mail/accounts/{created['id']}"
    for method, suffix in (("PATCH", ""), ("DELETE", ""), ("POST", "/test"), ("POST", "/deliverability")):
        response = await api.client.request(method, path + suffix, json={} if method == "PATCH" else None,
                                            headers=other.headers)  # fmt: skip
        assert response.status_code == 404, (method, suffix)
    changed = await api.client.patch(path, json={"sending_enabled": True, "rate_per_minute": 3}, headers=owner.headers)
    assert changed.status_code == 200 and changed.json()["sending_enabled"] and changed.json()["rate_per_minute"] == 3
    assert (await api.client.delete(path, headers=owner.headers)).status_code == 204
    assert (await api.client.get("/api/mail/accounts", headers=owner.headers)).json() == []


async def test_bad_input_is_refused_with_the_field(api: ScribeApi, mail_twins: MailboxConfig) -> None:
    who = await api.user()
    for change in ({"address": "not-an-address"}, {"display_name": "Ana\r\nBcc: all@x.test"}, {"password": ""}):
        response = await api.client.post("/api/mail/accounts", json=account_json(mail_twins, **change),
                                          headers=who.headers)  # fmt: skip
        assert response.status_code == 422, change
    doubled = await api.client.post(
        "/api/mail/accounts", json=account_json(mail_twins, address="ana@uni..test"), headers=who.headers
    )
    assert doubled.status_code == 422 and "two periods in a row" in doubled.json()["message"], doubled.text
    bad_tls = account_json(mail_twins)
    bad_tls["imap"]["tls"] = "maybe"
    assert (await api.client.post("/api/mail/accounts", json=bad_tls, headers=who.headers)).status_code == 422


async def test_the_connection_test_says_what_to_fix(
    api: ScribeApi, mail_twins: MailboxConfig, smtp_twin: SmtpTwin
) -> None:
    who = await api.user()
    good = await connect(api, who, mail_twins)
    report = (await api.client.post(f"/api/mail/accounts/{good['id']}/test", headers=who.headers)).json()
    assert report["imap"]["ok"] and report["smtp"]["ok"], report
    bad = await connect(api, who, mail_twins, password="not-the-app-password")
    report = (await api.client.post(f"/api/mail/accounts/{bad['id']}/test", headers=who.headers)).json()
    assert not report["imap"]["ok"] and not report["smtp"]["ok"]
    assert "password" in report["imap"]["words"].lower() and "password" in report["smtp"]["words"].lower()
    assert "not-the-app-password" not in str(report)


async def send_json(account_id: str, batch: str, **changes: Any) -> dict[str, Any]:
    return {"account_id": account_id, "kind": "send", "batch_id": batch, "dry_run": True} | changes


async def test_from_dry_run_to_one_sent_email_through_every_guard(
    api: ScribeApi, mail_twins: MailboxConfig, smtp_twin: SmtpTwin, dns_twin: DnsTwin, imap_twin: ImapTwin
) -> None:
    who = await api.user()
    dns_twin.records["_dmarc.uni.test"] = ["v=DMARC1; p=reject"]  # and no SPF record, no DKIM selector
    account = await connect(api, who, mail_twins)
    batch, ids = await add_batch(db_of(api), who.id, 3, confident=False)
    runs = "/api/mail/runs"

    refused = await api.client.post(runs, json=await send_json(account["id"], batch), headers=who.headers)
    assert refused.status_code == 409 and refused.json()["code"] == "sending_disabled"
    assert "turned off" in refused.json()["detail"]
    path = f"/api/mail/accounts/{account['id']}"
    await api.client.patch(path, json={"sending_enabled": True}, headers=who.headers)

    refused = await api.client.post(runs, json=await send_json(account["id"], batch), headers=who.headers)
    assert refused.status_code == 409 and refused.json()["code"] == "deliverability_would_fail"
    assert refused.json()["report"]["would_fail"] is True and "reject" in refused.json()["report"]["dmarc"]["record"]
    await api.client.patch(path, json={"deliverability_override_reason": "the university relays it"},
                           headers=who.headers)  # fmt: skip

    refused = await api.client.post(runs, json=await send_json(account["id"], batch), headers=who.headers)
    assert refused.status_code == 422 and refused.json()["code"] == "not_sendable"
    assert {e["email_id"] for e in refused.json()["emails"]} == set(ids)
    for email_id in ids:
        approved = await api.client.post(f"/api/email/{email_id}/approve", headers=who.headers)
        assert approved.status_code == 200 and approved.json()["approved"] is True

    refused = await api.client.post(runs, json=await send_json(account["id"], batch), headers=who.headers)
    assert refused.status_code == 409 and refused.json()["code"] == "first_send_limited"
    assert "at most 1" in refused.json()["detail"]

    one = [ids[0]]
    body = {"account_id": account["id"], "kind": "send", "email_ids": one, "dry_run": False}
    refused = await api.client.post(runs, json=body, headers=who.headers)
    assert refused.status_code == 409 and refused.json()["code"] == "dry_run_required"

    dry = await api.client.post(runs, json=body | {"dry_run": True}, headers=who.headers)
    assert dry.status_code == 201, dry.text
    assert dry.json()["status"] == "done" and dry.json()["total"] == 1
    (preview,) = dry.json()["preview"]
    assert preview["to"] == "Prof Number 0 <prof0@faraway.test>" and "glacier" in preview["body"]
    assert smtp_twin.received == [] and imap_twin.messages(imap_twin.folder_with("\\Sent").name) == []

    real = await api.client.post(runs, json=body, headers=who.headers)
    assert real.status_code == 201, real.text
    await api.drain()
    shown = (await api.client.get(f"{runs}/{real.json()['id']}", headers=who.headers)).json()
    assert shown["status"] == "done" and shown["counts"]["sent"] == 1
    assert [r.message()["To"] for r in smtp_twin.wait_for(1)] == ["Prof Number 0 <prof0@faraway.test>"]
    states = (await api.client.get("/api/mail/emails", params={"ids": ",".join(ids)}, headers=who.headers)).json()
    assert states[ids[0]]["state"] == "sent" and states[ids[0]]["sent_at"]
    assert ids[1] not in states
    history = {e["id"]: e for e in (await api.client.get("/api/email/", headers=who.headers)).json()}
    assert history[ids[0]]["mail"]["state"] == "sent" and history[ids[0]]["mail"]["approved"] is True
    assert history[ids[1]]["mail"] == {"drafted_at": None, "sent_at": None, "state": None, "reason": None,
                                       "replied_at": None, "bounced_at": None, "approved": True}  # fmt: skip
    detail = (await api.client.get(f"/api/email/{ids[0]}", headers=who.headers)).json()
    assert detail["mail"]["state"] == "sent" and detail["mail"]["sent_at"] == states[ids[0]]["sent_at"]

    again = await api.client.post(runs, json=body | {"dry_run": True}, headers=who.headers)
    assert again.json()["items"][0]["state"] == "skipped" and again.json()["items"][0]["reason"] == "Already sent."


async def test_a_batch_goes_to_drafts_through_the_api(
    api: ScribeApi, mail_twins: MailboxConfig, imap_twin: ImapTwin
) -> None:
    who, other = await api.user(), await api.user()
    account = await connect(api, who, mail_twins)
    batch, _ = await add_batch(db_of(api), who.id, 4, confident=False)
    body = {"account_id": account["id"], "kind": "draft", "batch_id": batch, "dry_run": False}
    assert (await api.client.post("/api/mail/runs", json=body, headers=other.headers)).status_code == 404
    started = await api.client.post("/api/mail/runs", json=body, headers=who.headers)
    assert started.status_code == 201, started.text
    await api.drain()
    run = (await api.client.get(f"/api/mail/runs/{started.json()['id']}", headers=who.headers)).json()
    assert run["status"] == "done" and run["counts"]["drafted"] == 4
    assert len(imap_twin.messages(imap_twin.folder_with("\\Drafts").name)) == 4
    listed = (await api.client.get("/api/mail/runs", params={"batch_id": batch}, headers=who.headers)).json()
    assert [r["id"] for r in listed] == [run["id"]]
    assert (await api.client.get(f"/api/mail/runs/{run['id']}", headers=other.headers)).status_code == 404


async def test_a_reply_found_by_the_scan_warns_before_writing_to_that_person_again(
    api: ScribeApi, mail_twins: MailboxConfig, imap_twin: ImapTwin
) -> None:
    who = await api.user()
    account = await connect(api, who, mail_twins)
    batch, (email_id,) = await add_batch(db_of(api), who.id, 1)
    body = {"account_id": account["id"], "kind": "draft", "batch_id": batch, "dry_run": False}
    assert (await api.client.post("/api/mail/runs", json=body, headers=who.headers)).status_code == 201
    await api.drain()
    (draft,) = imap_twin.messages(imap_twin.folder_with("\\Drafts").name)
    imap_twin.inject_reply(draft.message_id)

    scan = await api.client.post(f"/api/mail/accounts/{account['id']}/replies", headers=who.headers)
    assert scan.status_code == 200 and scan.json() == {"asked": 1, "replied": 1, "bounced": 0}
    states = (await api.client.get("/api/mail/emails", params={"ids": email_id}, headers=who.headers)).json()
    assert states[email_id]["replied_at"] and states[email_id]["drafted_at"]

    again = {"recipient_name": "Prof Number 0", "recipient_interest": "glaciers",
             "recipient_email": "prof0@faraway.test", "email_template": "Hello {{name}}, a question."}  # fmt: skip
    queued = await api.client.post("/api/email/generate", json=again, headers=who.headers)
    assert queued.status_code == 202, queued.text
    (flag,) = [f for f in queued.json()["duplicates"] if f["reason"] == "replied"]
    assert "answer in that thread" in flag["detail"] and flag["previous_at"]


async def test_an_edit_after_approval_needs_a_new_approval(api: ScribeApi) -> None:
    who, other = await api.user(), await api.user()
    _, (email_id,) = await add_batch(db_of(api), who.id, 1, confident=False)
    assert (await api.client.post(f"/api/email/{email_id}/approve", headers=other.headers)).status_code == 404
    approved = await api.client.post(f"/api/email/{email_id}/approve", headers=who.headers)
    assert approved.json()["approved"] is True and approved.json()["approved_version"] == 1
    edited = await api.client.patch(f"/api/email/{email_id}", json={"email_message": "Dear Prof, a new text."},
                                    headers=who.headers)  # fmt: skip
    assert edited.status_code == 200, edited.text
    assert edited.json()["version"] == 2 and edited.json()["mail"]["approved"] is False
    withdrawn = await api.client.delete(f"/api/email/{email_id}/approve", headers=who.headers)
    assert withdrawn.json()["approved"] is False


async def test_a_run_paused_by_the_daily_cap_waits_in_a_new_job_and_cancelling_it_sends_no_more(
    api: ScribeApi, mail_twins: MailboxConfig, smtp_twin: SmtpTwin
) -> None:
    from sqlalchemy import select

    from scriptorium.core.jobs import Job

    who = await api.user()
    account = await connect(api, who, mail_twins)
    await api.client.patch(f"/api/mail/accounts/{account['id']}", json={"sending_enabled": True, "daily_cap": 1},
                           headers=who.headers)  # fmt: skip
    batch, _ = await add_batch(db_of(api), who.id, 3)
    body = {"account_id": account["id"], "kind": "send", "batch_id": batch, "dry_run": True, "limit": 3}
    assert (await api.client.post("/api/mail/runs", json=body, headers=who.headers)).status_code == 201
    started = await api.client.post("/api/mail/runs", json=body | {"dry_run": False}, headers=who.headers)
    run_id = started.json()["id"]
    await api.drain()

    run = (await api.client.get(f"/api/mail/runs/{run_id}", headers=who.headers)).json()
    assert run["status"] == "paused" and "daily cap of 1" in run["words"] and run["next_attempt_at"]
    assert (run["counts"]["sent"], run["counts"]["queued"]) == (1, 2)
    async with api.resources.sessionmaker() as session:
        (waiting,) = await session.scalars(select(Job).where(Job.kind == "scribe.mail.send", Job.status == "pending"))
    assert waiting.not_before is not None and waiting.payload == {"run_id": run_id}

    cancelled = await api.client.post(f"/api/mail/runs/{run_id}/cancel", headers=who.headers)
    assert cancelled.json()["status"] == "cancelled"
    async with api.resources.sessionmaker() as session:
        assert (await session.get(Job, waiting.id, populate_existing=True)).status == "cancelled"  # type: ignore[union-attr]
    assert await api.drain() == 0
    assert len(smtp_twin.received) == 1
