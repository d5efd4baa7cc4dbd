"""`scriptorium scribe send`: the dry run printed first, then the run with a progress bar, on the twins."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scriptorium.cli import cli
from scriptorium.core.auth.dependencies import LOCAL_USER_ID
from scriptorium.core.settings import Settings
from scriptorium.scribe.cli import scribe
from scriptorium.scribe.mail.servers import MailboxConfig
from tests.scribe.mail.product import add_account, add_batch, add_user, mail_db
from tests.twins.imap import ImapTwin
from tests.twins.smtp import SmtpTwin


@pytest.fixture
def cli_settings(tmp_path: Path, mail_overrides: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Settings:
    values = {"data_dir": tmp_path / "var", "environment": "test", **mail_overrides}
    for name, value in values.items():
        monkeypatch.setenv(name.upper(), ",".join(value) if isinstance(value, list) else str(value))
    monkeypatch.chdir(tmp_path)  # no stray .env file
    if "scribe" not in cli.commands:
        cli.add_command(scribe)
    return Settings(_env_file=None, **values)


async def seeded(settings: Settings, config: MailboxConfig, count: int) -> str:
    async with mail_db(settings) as db:
        await add_user(db, LOCAL_USER_ID)
        batch, _ = await add_batch(db, LOCAL_USER_ID, count)
        await add_account(db, LOCAL_USER_ID, config, rate=100)
    return batch


def test_a_dry_run_shows_who_gets_what_and_sends_nothing(
    cli_settings: Settings, mail_twins: MailboxConfig, smtp_twin: SmtpTwin
) -> None:
    batch = asyncio.run(seeded(cli_settings, mail_twins, 3))
    result = CliRunner().invoke(cli, ["scribe", "send", "--batch", batch, "--dry-run", "--limit", "2"])
    assert result.exit_code == 0, result.output
    assert "-> Prof Number 0 <prof0@faraway.test>: A question about glaciers (0)" in result.output
    assert "skip Prof Number 2 <prof2@faraway.test>: Over this run's limit of 2." in result.output
    assert "2 of 3 email(s) would go" in result.output
    assert smtp_twin.received == []


def test_the_first_send_is_limited_unless_the_limit_is_raised(
    cli_settings: Settings, mail_twins: MailboxConfig, smtp_twin: SmtpTwin
) -> None:
    batch = asyncio.run(seeded(cli_settings, mail_twins, 3))
    refused = CliRunner().invoke(cli, ["scribe", "send", "--batch", batch, "--yes"])
    assert refused.exit_code == 1 and "goes to at most 1 email" in refused.output
    sent = CliRunner().invoke(cli, ["scribe", "send", "--batch", batch, "--limit", "3", "--yes"])
    assert sent.exit_code == 0, sent.output
    assert "3/3" in sent.output, "the progress bar reached the end"
    assert "done; 3 sent" in sent.output
    assert len({r.message_id for r in smtp_twin.wait_for(3)}) == 3 == len(smtp_twin.received)


def test_drafts_go_to_the_drafts_folder_after_a_confirmation(
    cli_settings: Settings, mail_twins: MailboxConfig, imap_twin: ImapTwin
) -> None:
    batch = asyncio.run(seeded(cli_settings, mail_twins, 2))
    declined = CliRunner().invoke(cli, ["scribe", "send", "--batch", batch, "--drafts"], input="n\n")
    assert declined.exit_code == 1 and "nothing sent" in declined.output
    assert imap_twin.messages(imap_twin.folder_with("\\Drafts").name) == []
    drafted = CliRunner().invoke(cli, ["scribe", "send", "--batch", batch, "--drafts"], input="y\n")
    assert drafted.exit_code == 0, drafted.output
    assert "done; 2 drafted" in drafted.output
    assert len(imap_twin.messages(imap_twin.folder_with("\\Drafts").name)) == 2
