"""Adversary tests for `/api/mail/*` on PostgreSQL: hostile values at every entry, others' ids, absurd numbers.

Every answer must be a 4xx in words, never a 500 or a stack trace, and never the password. PostgreSQL is the
database that refuses a NUL character in text (SQLite stores it), so these run on it. The NUL test was red until
d9a7ce8 (a NUL in a run's ids or an account's label, name, login or override reason was a 500; a display name with
an escape character was saved though every message from it is refused).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from scriptorium.scribe.mail.servers import MailboxConfig
from tests.scribe.api.conftest import Account, ScribeApi, scribe_api_factory
from tests.scribe.mail.product import MailDb, add_batch
from tests.scribe.mail.test_api import account_json
from tests.services import fresh_postgres_schema

pytestmark = [pytest.mark.postgres]
__all__ = ["scribe_api_factory"]  # the fixture, imported for pytest

NUL = "bad\x00id"


@pytest.fixture
async def pg_api(scribe_api_factory: Callable[..., Any], mail_overrides: dict[str, Any]) -> AsyncIterator[ScribeApi]:
    with fresh_postgres_schema() as database_url:
        async with scribe_api_factory(database_url=database_url, **mail_overrides) as api:
            yield api


def assert_refused_in_words(response: Any, *statuses: int) -> None:
    assert 400 <= response.status_code < 500, f"{response.status_code}: {response.text[:300]}"
    if statuses:
        assert response.status_code in statuses, response.text[:300]
    text = response.text
    assert "Traceback" not in text and "sqlalchemy" not in text.lower() and "asyncpg" not in text.lower()


async def setup(api: ScribeApi, config: MailboxConfig) -> tuple[Account, Account, dict[str, Any], str, list[str]]:
    owner, other = await api.user(), await api.user()
    response = await api.client.post("/api/mail/accounts", json=account_json(config), headers=owner.headers)
    assert response.status_code == 201, response.text
    db = MailDb(api.settings, api.resources.engine, api.resources.sessionmaker)
    batch, ids = await add_batch(db, owner.id, 2)
    return owner, other, response.json(), batch, ids


async def test_nul_characters_in_every_mail_input_are_refused_in_words(
    pg_api: ScribeApi, mail_twins: MailboxConfig
) -> None:
    owner, _, account, batch, ids = await setup(pg_api, mail_twins)
    client, headers, account_id = pg_api.client, owner.headers, account["id"]
    run = {"account_id": account_id, "kind": "draft", "dry_run": True}
    attempts = [
        ("post", "/api/mail/runs", run | {"account_id": NUL, "batch_id": batch}),
        ("post", "/api/mail/runs", run | {"batch_id": NUL}),
        ("post", "/api/mail/runs", run | {"email_ids": [ids[0], NUL]}),
        ("get", "/api/mail/runs?batch_id=bad%00id", None),
        ("get", f"/api/mail/emails?ids={ids[0]},bad%00id", None),
        ("get", "/api/mail/runs/bad%00id", None),
        ("post", "/api/mail/runs/bad%00id/cancel", None),
        ("patch", "/api/mail/accounts/bad%00id", {"label": "x"}),
        ("delete", "/api/mail/accounts/bad%00id", None),
        ("post", "/api/email/bad%00id/approve", None),
        ("patch", f"/api/mail/accounts/{account_id}", {"label": "Uni\x00"}),
        ("patch", f"/api/mail/accounts/{account_id}", {"display_name": "Ana\x00Student"}),
        ("patch", f"/api/mail/accounts/{account_id}", {"deliverability_override_reason": "because\x00"}),
        ("patch", f"/api/mail/accounts/{account_id}", {"imap": {"username": "ana\x00"}}),
        ("post", "/api/mail/accounts", account_json(mail_twins, display_name="Ana\x1b[31m")),
        ("post", "/api/mail/accounts", account_json(mail_twins, label="Uni\x00")),
    ]
    failures = []
    for method, url, body in attempts:
        response = await client.request(method, url, json=body, headers=headers)
        try:
            assert_refused_in_words(response)
        except AssertionError:
            failures.append(f"{method.upper()} {url} {body!r:.80}: {response.status_code}")
    assert failures == [], "\n".join(failures)


async def test_absurd_numbers_wrong_types_and_unknown_fields_are_422_in_words(
    pg_api: ScribeApi, mail_twins: MailboxConfig
) -> None:
    owner, _, account, batch, _ = await setup(pg_api, mail_twins)
    client, headers, account_id = pg_api.client, owner.headers, account["id"]
    run = {"account_id": account_id, "kind": "send", "batch_id": batch, "dry_run": True}
    for body in (
        run | {"limit": 10**9},
        run | {"limit": 0},
        run | {"limit": -1},
        run | {"limit": "5"} | {"limit": [5]},
        run | {"kind": "blast"},
        run | {"dry_run": "nope"},
        run | {"bcc": "evil@x.test"},
        run | {"email_ids": list(range(3))},
        run | {"email_ids": ["x" * 100_000]},
    ):
        assert_refused_in_words(await client.post("/api/mail/runs", json=body, headers=headers), 404, 422)
    for patch in (
        {"rate_per_minute": 0},
        {"rate_per_minute": -5},
        {"rate_per_minute": 10**12},
        {"daily_cap": 0},
        {"first_send_limit": 10**9},
        {"sending_enabled": "yes please"},
        {"imap": {"port": 70000}},
        {"smtp": {"host": "evil.test/../x"}},
        {"password": ""},
        {"is_admin": True},
    ):
        response = await client.patch(f"/api/mail/accounts/{account_id}", json=patch, headers=headers)
        assert_refused_in_words(response, 422)
        assert mail_twins.imap.password not in response.text


async def test_another_users_account_run_and_email_are_404(pg_api: ScribeApi, mail_twins: MailboxConfig) -> None:
    owner, other, account, batch, ids = await setup(pg_api, mail_twins)
    client = pg_api.client
    dry = {"account_id": account["id"], "kind": "draft", "batch_id": batch, "dry_run": True}
    created = await client.post("/api/mail/runs", json=dry, headers=owner.headers)
    assert created.status_code == 201, created.text
    run_id = created.json()["id"]
    for method, url, body in (
        ("patch", f"/api/mail/accounts/{account['id']}", {"label": "mine now"}),
        ("delete", f"/api/mail/accounts/{account['id']}", None),
        ("post", f"/api/mail/accounts/{account['id']}/test", None),
        ("post", f"/api/mail/accounts/{account['id']}/deliverability", None),
        ("post", "/api/mail/runs", dry),
        ("get", f"/api/mail/runs/{run_id}", None),
        ("post", f"/api/mail/runs/{run_id}/cancel", None),
        ("post", f"/api/email/{ids[0]}/approve", None),
        ("delete", f"/api/email/{ids[0]}/approve", None),
    ):
        response = await client.request(method, url, json=body, headers=other.headers)
        assert_refused_in_words(response, 404)
        assert mail_twins.imap.password not in response.text
    mine = await client.post("/api/mail/runs", json=dry | {"account_id": account["id"]}, headers=other.headers)
    assert mine.status_code == 404
    theirs = await client.get(f"/api/mail/emails?ids={ids[0]}", headers=other.headers)
    assert theirs.status_code == 200 and theirs.json() == {}, "another user's email states are not shown"
    listed = await client.get(f"/api/mail/runs?batch_id={batch}", headers=other.headers)
    assert listed.status_code == 200 and listed.json() == []
