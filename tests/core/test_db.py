"""Engine construction: URL forms hosts hand out, pooler detection, and options kept."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scriptorium.core.db import is_pooler, normalize_url
from scriptorium.core.errors import ConfigurationError
from scriptorium.core.settings import Settings


@pytest.mark.parametrize(
    ("url", "pooled"),
    [
        pytest.param("postgres://u:p@db.supabase.co:6543/postgres", True, id="supabase-transaction-pooler"),
        pytest.param("postgresql://u:p@ep-cool-1-pooler.eu.aws.neon.tech/db?sslmode=require", True, id="neon"),
        pytest.param("postgresql://u:p@host:5432/db?pgbouncer=true", True, id="pgbouncer-flag"),
        pytest.param("postgresql://u:p@db.supabase.co:5432/postgres", False, id="direct"),
    ],
)
def test_pooler_mode_is_detected_from_the_url(url: str, pooled: bool, make_settings: Callable[..., Settings]) -> None:
    assert is_pooler(normalize_url(url), make_settings()) is pooled


def test_url_forms_get_async_drivers_and_keep_sslmode() -> None:
    url = normalize_url("postgres://u:p@h/db?sslmode=require")
    assert url.drivername == "postgresql+psycopg"
    assert url.query["sslmode"] == "require"
    assert normalize_url("sqlite:///x.db").drivername == "sqlite+aiosqlite"


def test_unsupported_database_names_the_variable_and_hides_the_password() -> None:
    with pytest.raises(ConfigurationError) as info:
        normalize_url("mysql://root:topsecret@h/db")
    assert "DATABASE_URL" in info.value.public_message
    assert "topsecret" not in info.value.public_message
