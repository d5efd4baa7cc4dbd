"""Settings: profiles, seed variable names, readable errors, masking, unsafe deployments refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scriptorium.core.errors import ConfigurationError
from scriptorium.core.settings import Settings, load_settings, masked


def test_lite_defaults_are_embedded_sqlite_in_process_jobs_offline_providers(tmp_path: Path) -> None:
    settings = load_settings(_env_file=None, data_dir=tmp_path)
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{(tmp_path / 'scriptorium.db').resolve()}"
    assert settings.effective_job_backend == "sqlite"
    assert settings.consumer_in_process is True
    assert (settings.chat_provider, settings.embedding_provider, settings.storage_backend) == (
        "offline",
        "offline",
        "local",
    )


def test_scale_builds_postgres_and_redis_urls_from_seed_variable_names(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "PROFILE": "scale",
        "DB_USER": "app",
        "DB_PASSWORD": "p@ss/word",
        "DB_HOST": "db.internal",
        "DB_PORT": "6543",
        "DB_NAME": "scribe",
        "REDIS_HOST": "cache",
        "REDIS_PORT": "6380",
        "REDIS_DB": "2",
        "REDIS_PASSWORD": "r3dis",
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(_env_file=None)
    assert settings.effective_database_url == "postgresql+psycopg://app:p%40ss%2Fword@db.internal:6543/scribe"
    assert settings.effective_redis_url == "redis://:r3dis@cache:6380/2"
    assert settings.effective_job_backend == "redis"
    assert settings.consumer_in_process is False


def test_database_url_override_wins_over_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://a@one/db")
    monkeypatch.setenv("DATABASE_URL_OVERRIDE", "postgresql://a@two/db")
    assert load_settings(_env_file=None).effective_database_url == "postgresql://a@two/db"


def test_both_cors_variable_names_merge_without_trailing_slashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOWED_ORIGINS", "https://a.example/, https://b.example")
    monkeypatch.setenv("CORS_ORIGINS", '["https://b.example", "https://c.example"]')
    settings = load_settings(_env_file=None)
    assert settings.origins == ["https://a.example", "https://b.example", "https://c.example"]


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        pytest.param({"PORT": "eighty"}, "PORT: Input should be a valid integer", id="bad-int"),
        pytest.param({"PROFILE": "huge"}, "PROFILE: Input should be 'lite' or 'scale'", id="bad-literal"),
        pytest.param({"ALLOWED_ORIGINS": "example.org"}, "must start with http:// or https://", id="bad-origin"),
        pytest.param({"HOST": "0.0.0.0"}, "AUTH_MODE=none only binds loopback", id="open-bind-without-auth"),
        pytest.param({"AUTH_MODE": "supabase"}, "needs SUPABASE_JWT_SECRET or SUPABASE_JWKS", id="supabase-no-keys"),
        pytest.param(
            {"ENVIRONMENT": "production", "AUTH_MODE": "local"}, "SECRET_KEY must be set", id="default-secret"
        ),
        pytest.param(
            {"ENVIRONMENT": "production", "SECRET_KEY": "x" * 40}, "AUTH_MODE=none is refused", id="prod-no-auth"
        ),
    ],
)
def test_bad_values_raise_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], fragment: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as info:
        load_settings(_env_file=None)
    assert fragment in info.value.public_message
    assert "\n" not in info.value.public_message


def test_masked_configuration_hides_every_secret_and_url_password() -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        openai_api_key="sk-live-123456",
        database_url="postgresql://u:hunter2@db/x",
        redis_url="redis://:redispass@cache:6379/0",
        secret_key="s3cr3t-value-xyz",
    )
    text = json.dumps(masked(settings), default=str)
    for secret in ("sk-live-123456", "hunter2", "redispass", "s3cr3t-value-xyz"):
        assert secret not in text
    assert masked(settings)["openai_api_key"] == "***"
    assert masked(settings)["anthropic_api_key"] == ""


def test_model_headers_include_modal_proxy_auth_and_extra_headers() -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        modal_proxy_token_id="wk-1",
        modal_proxy_token_secret="ws-2",
        llm_extra_headers={"X-Team": "scribe"},
    )
    assert settings.model_headers == {"X-Team": "scribe", "Modal-Key": "wk-1", "Modal-Secret": "ws-2"}


def test_purpose_models_fall_back_to_chat_provider() -> None:
    settings = Settings(_env_file=None, chat_provider="ollama:llama3.2", email_composer_model="openai:gpt-4o-mini")  # type: ignore[call-arg]
    assert settings.model_for("template") == "ollama:llama3.2"
    assert settings.model_for("compose") == "openai:gpt-4o-mini"


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scriptorium", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**{k: v for k, v in os.environ.items() if k not in {"PORT", "OPENAI_API_KEY"}}, **env},
    )


def test_cli_config_prints_masked_values_and_bad_values_exit_without_traceback(tmp_path: Path) -> None:
    ok = _cli("config", "--json", env={"OPENAI_API_KEY": "sk-should-not-print", "DATA_DIR": str(tmp_path)})
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["openai_api_key"] == "***"
    assert "sk-should-not-print" not in ok.stdout + ok.stderr
    bad = _cli("config", env={"PORT": "eighty"})
    assert bad.returncode != 0
    assert "PORT" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


ROOT = Path(__file__).resolve().parents[2]


def test_env_example_is_generated_from_settings_and_documents_every_variable() -> None:
    from scriptorium.core.settings_docs import render_env_example

    example = (ROOT / ".env.example").read_text()
    assert example == render_env_example(), "regenerate: scriptorium config --example > .env.example"
    missing = [name.upper() for name in Settings.model_fields if f"\n{name.upper()}=" not in example]
    assert missing == []


def test_env_example_copied_to_dot_env_loads_as_the_defaults(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text((ROOT / ".env.example").read_text())
    assert Settings(_env_file=env_file) == Settings(_env_file=None)  # type: ignore[call-arg]


def test_configuration_doc_table_matches_settings() -> None:
    from scriptorium.core.settings_docs import render_markdown_table

    assert render_markdown_table() in (ROOT / "docs" / "configuration.md").read_text()
