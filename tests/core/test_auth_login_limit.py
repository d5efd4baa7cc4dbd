"""AUTH_LOGIN_ATTEMPTS and AUTH_LOGIN_WINDOW_SECONDS drive the sign-in limiter, and bad values are refused."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from scriptorium.app import create_app
from scriptorium.core.errors import ConfigurationError
from scriptorium.core.settings import Settings, load_settings
from tests.migrated_template import migrate

MakeSettings = Callable[..., Settings]
SECRET = "test-secret-key-that-is-long-enough-for-hs256"
WRONG = {"email": "ada@example.org", "password": "wrong password"}


async def test_configured_limit_gives_429_with_retry_after_then_the_window_moves_on(
    make_settings: MakeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(auth_mode="local", secret_key=SECRET, auth_login_attempts=3, auth_login_window_seconds=30)
    migrate(settings)
    app = create_app(settings)
    now = [time.time()]
    monkeypatch.setattr(time, "time", lambda: now[0])  # the moving window reads the wall clock
    transport = httpx.ASGITransport(app=app)
    async with LifespanManager(app), httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:

        async def statuses(count: int) -> list[int]:
            return [(await http.post("/api/auth/login", json=WRONG)).status_code for _ in range(count)]

        first_window = await statuses(3)
        limited = await http.post("/api/auth/login", json=WRONG)
        now[0] += 20  # the first three attempts are still inside the 30 s window
        still = await http.post("/api/auth/login", json=WRONG)
        registration = await http.post("/api/auth/register", json={**WRONG, "email": "new@example.org"})
        now[0] += 11  # a window after the first attempts they no longer count
        second_window = await statuses(3)
        limited_again = await http.post("/api/auth/login", json=WRONG)
    assert first_window == [401, 401, 401]
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert limited.headers["Retry-After"] == "30"
    assert (still.status_code, still.headers["Retry-After"]) == (429, "10")
    assert registration.status_code == 201  # registrations are counted apart from sign-ins
    assert second_window == [401, 401, 401]
    assert limited_again.status_code == 429


def test_limit_settings_default_to_the_old_numbers_and_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AUTH_LOGIN_ATTEMPTS", raising=False)
    monkeypatch.delenv("AUTH_LOGIN_WINDOW_SECONDS", raising=False)
    defaults = Settings(_env_file=None)
    monkeypatch.setenv("AUTH_LOGIN_ATTEMPTS", "4")
    monkeypatch.setenv("AUTH_LOGIN_WINDOW_SECONDS", "120")
    configured = Settings(_env_file=None)
    assert (defaults.auth_login_attempts, defaults.auth_login_window_seconds) == (10, 60.0)
    assert (configured.auth_login_attempts, configured.auth_login_window_seconds) == (4, 120.0)


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"auth_login_attempts": 0}, "AUTH_LOGIN_ATTEMPTS"),
        ({"auth_login_attempts": -1}, "AUTH_LOGIN_ATTEMPTS"),
        ({"auth_login_window_seconds": 0}, "AUTH_LOGIN_WINDOW_SECONDS"),
        ({"auth_login_window_seconds": -5}, "AUTH_LOGIN_WINDOW_SECONDS"),
    ],
    ids=["zero-attempts", "negative-attempts", "zero-window", "negative-window"],
)
def test_limit_settings_must_be_positive(overrides: dict[str, Any], variable: str) -> None:
    with pytest.raises(ConfigurationError, match=variable):
        load_settings(_env_file=None, **overrides)
