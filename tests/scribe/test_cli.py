"""`scriptorium scribe generate` and `export`: the same service as the API, jobs run in-process with --wait."""

from __future__ import annotations

import csv
import io
import json
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from scriptorium.cli import cli
from scriptorium.scribe.cli import scribe
from tests.scribe.api.conftest import GENERAL
from tests.twins.scholarly import ScholarlyTwin

PEOPLE_CSV = (
    "name,interest,email\n"
    "Dr. Tomás Okafor,engineering education,okafor@lakeshore.example\n"
    "Quentin Aldridge-Vey,glacier acoustics,\n"
    "Q,,\n"
)


@pytest.fixture
def cli_env(tmp_path: Path, scholarly_twin: ScholarlyTwin, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in scholarly_twin.settings_overrides().items():
        monkeypatch.setenv(name.upper(), ",".join(value) if isinstance(value, list) else str(value))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ENVIRONMENT", "test")
    monkeypatch.chdir(tmp_path)  # no stray .env file
    (tmp_path / "template.txt").write_text(GENERAL, encoding="utf-8")
    (tmp_path / "people.csv").write_text(PEOPLE_CSV, encoding="utf-8")
    if "scribe" not in cli.commands:
        cli.add_command(scribe)
    return tmp_path


def test_generate_waits_with_progress_then_export_parses_back(cli_env: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli, ["scribe", "generate", "--template", "template.txt", "--recipients", "people.csv", "--wait"]
    )
    assert result.exit_code == 0, result.output
    assert "people.csv:4: recipient_name" in result.output  # the bad row is reported, the rest are queued
    assert "queued 2 email(s)" in result.output
    assert "1 completed, 1 needs_review" in result.output
    assert "Dr. Tomás Okafor" in result.output  # a progress bar per recipient

    again = runner.invoke(
        cli, ["scribe", "generate", "--template", "template.txt", "--recipients", "people.csv", "--skip-duplicates"]
    )
    assert again.exit_code == 0, again.output
    assert "queued 0 email(s)" in again.output
    assert "already queued or emailed" in again.output

    ready_only = runner.invoke(cli, ["scribe", "export", "--format", "csv", "--out", "out/ready.csv"])
    assert "1 draft(s) that need review were left out" in ready_only.output
    rows = list(csv.DictReader(io.StringIO((cli_env / "out/ready.csv").read_text(encoding="utf-8-sig"))))
    assert [r["recipient_name"] for r in rows] == ["Dr. Tomás Okafor"]  # drafts that need review stay out by default
    export_csv = ["scribe", "export", "--format", "csv", "--out", "out/emails.csv", "--include-review"]
    assert runner.invoke(cli, export_csv).exit_code == 0
    rows = list(csv.DictReader(io.StringIO((cli_env / "out/emails.csv").read_text(encoding="utf-8-sig"))))
    assert sorted(r["recipient_name"] for r in rows) == ["Dr. Tomás Okafor", "Quentin Aldridge-Vey"]

    export_json = ["scribe", "export", "--format", "json", "--out", "out/emails.json", "--include-review"]
    assert runner.invoke(cli, export_json).exit_code == 0
    data = json.loads((cli_env / "out/emails.json").read_text())
    okafor = next(e for e in data["emails"] if e["recipient_name"] == "Dr. Tomás Okafor")
    assert okafor["sources"] and okafor["claims"]

    assert (
        runner.invoke(cli, ["scribe", "export", "--format", "eml", "--out", "out/eml", "--include-review"]).exit_code
        == 0
    )
    files = sorted((cli_env / "out/eml").glob("*.eml"))
    assert len(files) == 2
    messages = [BytesParser(policy=policy.default).parsebytes(f.read_bytes()) for f in files]
    assert {str(m["To"]) for m in messages if m["To"]} == {'"Dr. Tomás Okafor" <okafor@lakeshore.example>'}


def test_generate_reports_bad_files_without_a_traceback(cli_env: Path) -> None:
    (cli_env / "bad.csv").write_text("email\nx@y.z\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["scribe", "generate", "--template", "template.txt", "--recipients", "bad.csv"])
    assert result.exit_code == 1
    assert "missing column(s): name, interest" in result.output
    (cli_env / "short.txt").write_text("Hi {{name}}", encoding="utf-8")
    result = CliRunner().invoke(cli, ["scribe", "generate", "--template", "short.txt", "--recipients", "people.csv"])
    assert result.exit_code == 1
    assert "email_template must be 20" in result.output
    assert "Traceback" not in result.output


def test_accounts_are_named_when_auth_is_on(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_MODE", "local")
    monkeypatch.setenv("SECRET_KEY", "cli-test-secret-0123456789abcdef")
    result = CliRunner().invoke(cli, ["scribe", "export", "--out", "x.csv"])
    assert result.exit_code == 1
    assert "--user EMAIL" in result.output
    result = CliRunner().invoke(cli, ["scribe", "export", "--out", "x.csv", "--user", "nobody@example.org"])
    assert "no account with email 'nobody@example.org'" in result.output
