"""Mail passwords are encrypted at rest, never returned, never logged."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import text

from scriptorium.core.settings import Settings
from scriptorium.scribe.mail.secrets import PasswordUnreadable, decrypt_password, encrypt_password
from scriptorium.scribe.mail.servers import MailboxConfig
from tests.scribe.api.conftest import ScribeApi, scribe_api_factory
from tests.scribe.mail.test_api import account_json

__all__ = ["scribe_api_factory"]


@pytest.fixture
async def api(scribe_api_factory: Callable[..., Any], mail_overrides: dict[str, Any]) -> AsyncIterator[ScribeApi]:
    async with scribe_api_factory(**mail_overrides, log_level="DEBUG") as api:
        yield api


def test_a_password_round_trips_only_under_the_same_secret_key(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(secret_key="one-secret-key-0123456789abcdef")
    sealed = encrypt_password(settings, "app pass wörd")
    assert "app pass" not in sealed and sealed != encrypt_password(settings, "app pass wörd"), "fresh IV each time"
    assert decrypt_password(settings, sealed) == "app pass wörd"
    with pytest.raises(PasswordUnreadable) as refused:
        decrypt_password(make_settings(secret_key="another-secret-key-0123456789ab"), sealed)
    assert "enter it again" in refused.value.public_message


async def test_the_stored_row_the_responses_and_the_logs_never_hold_the_password(
    api: ScribeApi, mail_twins: MailboxConfig, caplog: pytest.LogCaptureFixture
) -> None:
    password = mail_twins.imap.password
    who = await api.user()
    caplog.set_level(logging.DEBUG)
    created = await api.client.post("/api/mail/accounts", json=account_json(mail_twins), headers=who.headers)
    assert created.status_code == 201
    account_id = created.json()["id"]
    responses = [created.text]
    responses.append((await api.client.post(f"/api/mail/accounts/{account_id}/test", headers=who.headers)).text)
    wrong = await api.client.patch(f"/api/mail/accounts/{account_id}", json={"password": "wrong-one-zz"},
                                   headers=who.headers)  # fmt: skip
    responses.append(wrong.text)
    responses.append((await api.client.post(f"/api/mail/accounts/{account_id}/test", headers=who.headers)).text)
    responses.append((await api.client.get("/api/mail/accounts", headers=who.headers)).text)

    async with api.resources.engine.connect() as connection:
        row = (await connection.execute(text("SELECT * FROM scribe_mail_accounts"))).mappings().one()
    raw = " ".join(str(value) for value in row.values())
    assert password not in raw and "wrong-one-zz" not in raw
    assert decrypt_password(api.settings, row["password_ciphertext"]) == "wrong-one-zz"
    for body in responses:
        assert password not in body and "wrong-one-zz" not in body
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert caplog.records, "the requests were logged"
    assert password not in logged and "wrong-one-zz" not in logged
