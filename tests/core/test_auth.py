"""Auth in every mode: none (loopback only), local accounts, and Supabase JWTs verified locally (HS256 and JWKS)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import jwt
import pytest
from argon2 import PasswordHasher
from asgi_lifespan import LifespanManager
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import APIRouter, FastAPI
from pydantic import ValidationError
from sqlalchemy import select

from scriptorium.app import create_app
from scriptorium.core.auth import AdminUser
from scriptorium.core.auth.passwords import hash_password, needs_rehash, verify_password
from scriptorium.core.auth.tokens import ISSUER, _signing_key, issue_token
from scriptorium.core.errors import ConfigurationError
from scriptorium.core.models import User
from scriptorium.core.settings import Settings, load_settings

MakeSettings = Callable[..., Settings]
SECRET = "test-secret-key-that-is-long-enough-for-hs256"
SUPABASE_SECRET = "supabase-jwt-secret-with-at-least-thirty-two-chars"
PASSWORD = "correct horse battery"


def _add_admin_probe(app: FastAPI) -> None:
    probe = APIRouter()

    @probe.get("/api/test/admin-only")
    async def admin_only(user: AdminUser) -> dict[str, str]:
        return {"id": user.id}

    app.include_router(probe)
    app.router.routes.insert(0, app.router.routes.pop())  # ahead of the UI catch-all


@pytest.fixture
def app_client(make_settings: MakeSettings, migrate: Callable[[Settings], None]) -> Callable[..., Any]:
    """Start an app for given settings overrides; yields (client, app)."""

    @asynccontextmanager
    async def start(
        *, client_ip: str = "127.0.0.1", **overrides: Any
    ) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
        settings = make_settings(secret_key=SECRET, **overrides)
        migrate(settings)
        app = create_app(settings)
        _add_admin_probe(app)
        transport = httpx.ASGITransport(app=app, client=(client_ip, 50000))
        async with LifespanManager(app), httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http, app

    return start


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _register(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await http.post("/api/auth/register", json={"email": email, "password": password})


async def _user(app: FastAPI, **where: Any) -> User:
    async with app.state.resources.sessionmaker() as session:
        found = await session.scalar(select(User).filter_by(**where))
        assert found is not None
        return found


# --- none mode --------------------------------------------------------------------------------------------


async def test_none_mode_everyone_is_the_local_admin(app_client: Callable[..., Any]) -> None:
    async with app_client() as (http, _):
        me = await http.get("/api/auth/me")
        config = await http.get("/api/auth/config")
        probe = await http.get("/api/test/admin-only")
    assert me.status_code == 200
    assert (me.json()["id"], me.json()["role"]) == ("local", "admin")
    assert config.json() == {
        "mode": "none",
        "sign_in_required": False,
        "registration_open": False,
        "password_min_length": 10,
        "supabase_url": None,
        "supabase_anon_key": None,
        "supabase_oauth_providers": [],
    }
    assert probe.status_code == 200


@pytest.mark.parametrize("path", ["/api/auth/register", "/api/auth/login"])
async def test_none_mode_register_and_login_say_auth_is_off(app_client: Callable[..., Any], path: str) -> None:
    async with app_client() as (http, _):
        response = await http.post(path, json={"email": "a@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert response.json()["code"] == "auth_disabled"
    assert "AUTH_MODE=none" in response.json()["detail"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"host": "0.0.0.0"}, "HOST='0.0.0.0' needs local or supabase"),
        ({"host": "192.168.1.20"}, "only binds loopback"),
        ({"environment": "production", "secret_key": SECRET}, "refused in production"),
    ],
    ids=["all-interfaces", "lan-address", "production"],
)
def test_none_mode_is_refused_off_loopback_and_in_production(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(_env_file=None, auth_mode="none", **overrides)
    with pytest.raises(ConfigurationError, match="AUTH_MODE"):
        load_settings(_env_file=None, auth_mode="none", **overrides)
    safe = {**overrides, "auth_mode": "local", "secret_key": SECRET, "environment": "production"}
    assert Settings(_env_file=None, **safe).auth_mode == "local"


# --- local accounts ---------------------------------------------------------------------------------------


async def test_register_first_user_is_admin_and_token_signs_in(app_client: Callable[..., Any]) -> None:
    async with app_client(auth_mode="local") as (http, _):
        first = await _register(http, "Ada@Example.org")
        second = await _register(http, "bob@example.org")
        me = await http.get("/api/auth/me", headers=bearer(second.json()["access_token"]))
        config = await http.get("/api/auth/config")
    assert first.status_code == 201
    assert first.json()["token_type"] == "bearer"
    assert (first.json()["user"]["email"], first.json()["user"]["role"]) == ("ada@example.org", "admin")
    assert second.json()["user"]["role"] == "user"
    assert me.json()["email"] == "bob@example.org"
    assert config.json()["registration_open"] is True
    assert config.json()["sign_in_required"] is True


async def test_admin_emails_get_the_admin_role(app_client: Callable[..., Any]) -> None:
    async with app_client(auth_mode="local", admin_emails="Boss@Example.org") as (http, _):
        await _register(http, "first@example.org")
        boss = await _register(http, "boss@example.org")
        other = await _register(http, "other@example.org")
    assert boss.json()["user"]["role"] == "admin"
    assert other.json()["user"]["role"] == "user"


async def test_duplicate_email_is_a_conflict(app_client: Callable[..., Any]) -> None:
    async with app_client(auth_mode="local") as (http, _):
        await _register(http, "ada@example.org")
        again = await _register(http, "  ADA@example.org ")
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "ada@example.org", "password": "short"}, "password"),
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"password": PASSWORD}, "email"),
    ],
    ids=["short-password", "bad-email", "missing-email"],
)
async def test_register_validates_fields_by_name(
    app_client: Callable[..., Any], body: dict[str, str], field: str
) -> None:
    async with app_client(auth_mode="local") as (http, _):
        response = await http.post("/api/auth/register", json=body)
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["detail"]] == [field]


async def test_login_returns_a_token_and_fails_the_same_way_for_unknown_email(app_client: Callable[..., Any]) -> None:
    async with app_client(auth_mode="local") as (http, _):
        await _register(http, "ada@example.org")
        good = await http.post("/api/auth/login", json={"email": "ADA@example.org", "password": PASSWORD})
        wrong = await http.post("/api/auth/login", json={"email": "ada@example.org", "password": "wrong password"})
        unknown = await http.post("/api/auth/login", json={"email": "eve@example.org", "password": PASSWORD})
        me = await http.get("/api/auth/me", headers=bearer(good.json()["access_token"]))
    assert good.status_code == 200
    assert good.json()["token_type"] == "bearer"
    assert good.json()["user"]["email"] == "ada@example.org"
    assert me.json()["email"] == "ada@example.org"
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"] == "email or password is incorrect"


async def test_login_upgrades_weak_password_hashes(app_client: Callable[..., Any]) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    async with app_client(auth_mode="local") as (http, app):
        await _register(http, "ada@example.org", "another password")
        async with app.state.resources.sessionmaker() as session:
            session.add(User(email="old@example.org", password_hash=weak))
            await session.commit()
        response = await http.post("/api/auth/login", json={"email": "old@example.org", "password": PASSWORD})
        user = await _user(app, email="old@example.org")
    assert response.status_code == 200
    assert user.password_hash is not None
    assert user.password_hash != weak
    assert "m=19456" in user.password_hash
    assert verify_password(user.password_hash, PASSWORD)


async def test_login_is_rate_limited_per_client_address(app_client: Callable[..., Any]) -> None:
    attempt = {"email": "ada@example.org", "password": "wrong password"}
    async with app_client(auth_mode="local") as (http, app):
        statuses = [(await http.post("/api/auth/login", json=attempt)).status_code for _ in range(10)]
        limited = await http.post("/api/auth/login", json=attempt)
        other = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("10.1.2.3", 40000)), base_url="http://testserver"
        )
        async with other:
            elsewhere = await other.post("/api/auth/login", json=attempt)
    assert statuses == [401] * 10
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    # 10 per 60 s window: the first attempt frees a slot 60 s after it was made (less however long the 10 took).
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert elsewhere.status_code == 401


@pytest.mark.parametrize(
    ("make_token", "message"),
    [
        (lambda s, uid: "not-a-jwt", "invalid sign-in token"),
        (lambda s, uid: issue_token(Settings(_env_file=None, secret_key="another-" + SECRET), uid), "invalid"),
        (
            lambda s, uid: jwt.encode(
                {"sub": uid, "iss": ISSUER, "exp": int(time.time()) - 60}, _signing_key(s), algorithm="HS256"
            ),
            "expired",
        ),
        (lambda s, uid: jwt.encode({"sub": uid, "iss": ISSUER}, _signing_key(s), algorithm="HS256"), "invalid"),
        (lambda s, uid: issue_token(s, "no-such-user"), "no longer exists"),
    ],
    ids=["garbage", "other-secret", "expired", "no-expiry", "deleted-user"],
)
async def test_bad_local_tokens_are_401_with_a_reason(
    app_client: Callable[..., Any], make_token: Callable[[Settings, str], str], message: str
) -> None:
    async with app_client(auth_mode="local") as (http, app):
        user_id = (await _register(http, "ada@example.org")).json()["user"]["id"]
        response = await http.get("/api/auth/me", headers=bearer(make_token(app.state.settings, user_id)))
        missing = await http.get("/api/auth/me")
    assert response.status_code == 401
    assert message in response.json()["detail"]
    assert missing.status_code == 401
    assert "sign in first" in missing.json()["detail"]


async def test_admin_only_routes_refuse_ordinary_users(app_client: Callable[..., Any]) -> None:
    async with app_client(auth_mode="local") as (http, _):
        admin = await _register(http, "ada@example.org")
        user = await _register(http, "bob@example.org")
        as_user = await http.get("/api/test/admin-only", headers=bearer(user.json()["access_token"]))
        as_admin = await http.get("/api/test/admin-only", headers=bearer(admin.json()["access_token"]))
    assert as_user.status_code == 403
    assert as_user.json()["code"] == "forbidden"
    assert as_admin.status_code == 200


# --- Supabase ---------------------------------------------------------------------------------------------


def supabase_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": str(uuid.uuid4()),
        "aud": "authenticated",
        "role": "authenticated",
        "email": "grace@example.org",
        "iat": now,
        "exp": now + 3600,
        "user_metadata": {"full_name": "Grace Hopper"},
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def hs256(claims: dict[str, Any], secret: str = SUPABASE_SECRET) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


@pytest.fixture
def supabase_hs(app_client: Callable[..., Any]) -> Callable[..., Any]:
    return lambda **extra: app_client(auth_mode="supabase", supabase_jwt_secret=SUPABASE_SECRET, **extra)


async def test_supabase_hs256_token_creates_then_reuses_the_user(
    supabase_hs: Callable[..., Any],
) -> None:
    claims = supabase_claims()
    async with supabase_hs() as (http, app):
        first = await http.get("/api/auth/me", headers=bearer(hs256(claims)))
        again = await http.get("/api/auth/me", headers=bearer(hs256({**claims, "iat": claims["iat"] + 1})))
        config = await http.get("/api/auth/config")
        user = await _user(app, external_id=claims["sub"])
    assert first.status_code == 200
    assert first.json()["email"] == "grace@example.org"
    assert first.json()["display_name"] == "Grace Hopper"
    assert first.json()["role"] == "user"
    assert again.json()["id"] == first.json()["id"] == user.id
    assert config.json()["mode"] == "supabase"
    assert config.json()["registration_open"] is False


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (hs256(supabase_claims(exp=int(time.time()) - 120)), "expired"),
        (hs256(supabase_claims(aud="anon")), "audience is not 'authenticated'"),
        (hs256(supabase_claims(aud=None)), "'aud'"),
        (hs256(supabase_claims(exp=None)), "'exp'"),
        (hs256(supabase_claims(sub=None)), "'sub'"),
        (hs256(supabase_claims(), secret="a-different-secret-of-the-same-good-length"), "signature does not verify"),
        (jwt.encode(supabase_claims(), None, algorithm="none"), "algorithm 'none'"),
        ("e30.e30.e30", "algorithm None is not accepted"),
        ("garbage", "malformed"),
    ],
    ids=[
        "expired",
        "wrong-audience",
        "no-audience",
        "no-exp",
        "no-sub",
        "wrong-secret",
        "alg-none",
        "empty",
        "garbage",
    ],
)
async def test_bad_supabase_tokens_are_401_with_a_useful_message(
    supabase_hs: Callable[..., Any], token: str, message: str
) -> None:
    async with supabase_hs() as (http, _):
        response = await http.get("/api/auth/me", headers=bearer(token))
    assert response.status_code == 401
    assert message in response.json()["detail"]


async def test_supabase_issuer_is_checked_when_the_project_url_is_set(supabase_hs: Callable[..., Any]) -> None:
    project = "https://abcd.supabase.co"
    async with supabase_hs(supabase_url=project + "/", supabase_anon_key="anon-public-key") as (http, _):
        good = await http.get("/api/auth/me", headers=bearer(hs256(supabase_claims(iss=f"{project}/auth/v1"))))
        other = await http.get(
            "/api/auth/me", headers=bearer(hs256(supabase_claims(iss="https://evil.supabase.co/auth/v1")))
        )
        config = await http.get("/api/auth/config")
    assert good.status_code == 200
    assert other.status_code == 401
    assert "different Supabase project" in other.json()["detail"]
    assert (config.json()["supabase_url"], config.json()["supabase_anon_key"]) == (project, "anon-public-key")


def _rsa_jwk(kid: str) -> tuple[rsa.RSAPrivateKey, dict[str, Any]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return key, {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


def _ec_jwk(kid: str) -> tuple[ec.EllipticCurvePrivateKey, dict[str, Any]]:
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    return key, {**jwk, "kid": kid, "alg": "ES256", "use": "sig"}


async def test_supabase_asymmetric_tokens_verify_against_the_jwks(app_client: Callable[..., Any]) -> None:
    rsa_key, rsa_jwk = _rsa_jwk("rsa-1")
    ec_key, ec_jwk = _ec_jwk("ec-1")
    stranger, _ = _rsa_jwk("rsa-1")
    jwks = json.dumps({"keys": [rsa_jwk, ec_jwk]})
    claims = supabase_claims()
    public_pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    tokens = {
        "rs256": jwt.encode(claims, rsa_key, algorithm="RS256", headers={"kid": "rsa-1"}),
        "es256": jwt.encode(claims, ec_key, algorithm="ES256", headers={"kid": "ec-1"}),
        "unknown-kid": jwt.encode(claims, rsa_key, algorithm="RS256", headers={"kid": "rsa-2"}),
        "forged": jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": "rsa-1"}),
        "no-kid": jwt.encode(claims, rsa_key, algorithm="RS256"),
        "alg-mismatch": jwt.encode(claims, ec_key, algorithm="ES256", headers={"kid": "rsa-1"}),
        "hs256-without-secret": hs256(claims),
        "public-key-as-hmac-secret": _hmac_with_public_key(claims, public_pem),
    }
    async with app_client(auth_mode="supabase", supabase_jwks=jwks) as (http, _):
        results = {name: await http.get("/api/auth/me", headers=bearer(token)) for name, token in tokens.items()}
    assert results["rs256"].status_code == results["es256"].status_code == 200
    assert results["rs256"].json()["id"] == results["es256"].json()["id"]
    expected = {
        "unknown-kid": "unknown key",
        "forged": "signature does not verify",
        "no-kid": "several keys",
        "alg-mismatch": "does not match its key",
        "hs256-without-secret": "SUPABASE_JWT_SECRET is not configured",
        "public-key-as-hmac-secret": "SUPABASE_JWT_SECRET is not configured",
    }
    for name, message in expected.items():
        assert results[name].status_code == 401, name
        assert message in results[name].json()["detail"], name


def _hmac_with_public_key(claims: dict[str, Any], public_pem: bytes) -> str:
    """The classic algorithm-confusion forgery: HS256 keyed with the server's public key."""
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = f"{b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


async def test_supabase_links_an_existing_account_by_email(supabase_hs: Callable[..., Any]) -> None:
    claims = supabase_claims(email="Linked@Example.org")
    async with supabase_hs() as (http, app):
        async with app.state.resources.sessionmaker() as session:
            session.add(User(id="existing0000000000000000000000aa", email="linked@example.org", display_name="Old"))
            session.add(User(email="taken@example.org", external_id="someone-else"))
            await session.commit()
        linked = await http.get("/api/auth/me", headers=bearer(hs256(claims)))
        clash = await http.get("/api/auth/me", headers=bearer(hs256(supabase_claims(email="taken@example.org"))))
        user = await _user(app, id="existing0000000000000000000000aa")
    assert linked.json()["id"] == "existing0000000000000000000000aa"
    assert user.external_id == claims["sub"]
    assert clash.status_code == 409


async def test_supabase_admin_emails_and_admin_only_routes(supabase_hs: Callable[..., Any]) -> None:
    async with supabase_hs(admin_emails="grace@example.org") as (http, _):
        admin = await http.get("/api/test/admin-only", headers=bearer(hs256(supabase_claims())))
        user = await http.get("/api/test/admin-only", headers=bearer(hs256(supabase_claims(email="bob@example.org"))))
        login = await http.post("/api/auth/login", json={"email": "grace@example.org", "password": PASSWORD})
    assert admin.status_code == 200
    assert user.status_code == 403
    assert login.status_code == 400
    assert "Supabase" in login.json()["detail"]


async def test_invalid_jwks_setting_is_a_configuration_error(app_client: Callable[..., Any]) -> None:
    rsa_key, _ = _rsa_jwk("k")
    token = jwt.encode(supabase_claims(), rsa_key, algorithm="RS256", headers={"kid": "k"})
    async with app_client(auth_mode="supabase", supabase_jwks='{"keys": "nope"}') as (http, _):
        response = await http.get("/api/auth/me", headers=bearer(token))
    assert response.status_code == 500
    assert response.json()["code"] == "configuration_error"
    assert "SUPABASE_JWKS" in response.json()["detail"]


# --- building blocks --------------------------------------------------------------------------------------


def test_passwords_hash_verify_and_rehash() -> None:
    stored = hash_password(PASSWORD)
    assert PASSWORD not in stored
    assert stored != hash_password(PASSWORD)  # salted
    assert verify_password(stored, PASSWORD)
    assert not verify_password(stored, PASSWORD + "!")
    assert not verify_password(None, PASSWORD)
    assert not verify_password("not a hash", PASSWORD)
    assert not needs_rehash(stored)
    assert needs_rehash(PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD))
