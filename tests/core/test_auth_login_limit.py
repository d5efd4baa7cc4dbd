"""AUTH_LOGIN_ATTEMPTS and AUTH_LOGIN_WINDOW_SECONDS drive the sign-in limiter, and bad values are refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from scriptorium.app import create_app
from scriptorium.core.auth.api import attempts_limiter
from scriptorium.core.errors import ConfigurationError
from scriptorium.core.settings import Settings, load_settings
from scriptorium.migrations import upgrade

MakeSettings = Callable[..., Settings]
SECRET = "test-secret-key-that-is-long-enough-for-hs256"
WRONG = {"email": "ada@example.org", "password": "wrong password"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_configured_limit_gives_429_with_retry_after_then_the_window_refills(
    make_settings: MakeSettings,
) -> None:
    settings = make_settings(auth_mode="local", secret_key=SECRET, auth_login_attempts=3, auth_login_window_seconds=30)
    upgrade(settings)
    app = create_app(settings)
    clock = FakeClock()
    transport = httpx.ASGITransport(app=app)
    async with LifespanManager(app), httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        attempts_limiter(app.state.resources, app.state.settings).clock = clock

        async def statuses(count: int) -> list[int]:
            return [(await http.post("/api/auth/login", json=WRONG)).status_code for _ in range(count)]

        first_window = await statuses(3)
        limited = await http.post("/api/auth/login", json=WRONG)
        clock.now += 5  # half a token back: still limited, and told to wait the other half
        still = await http.post("/api/auth/login", json=WRONG)
        registration = await http.post("/api/auth/register", json={**WRONG, "email": "new@example.org"})
        clock.now += 30  # a full window later the bucket is full again
        second_window = await statuses(3)
        limited_again = await http.post("/api/auth/login", json=WRONG)
    assert first_window == [401, 401, 401]
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert limited.headers["Retry-After"] == "10"  # 3 per 30 s: one attempt every 10 s
    assert (still.status_code, still.headers["Retry-After"]) == (429, "5")
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
