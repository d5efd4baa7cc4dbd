"""A loopback twin of Supabase Auth (GoTrue): the grants the UI signs in and stays signed in with, behind CORS.

    twin = GoTrueTwin(secret=..., anon_key=..., access_token_lifetime=4)
    twin.users["lin@example.org"] = "correct horse battery"
    with serve_in_thread(twin) as url: ...

`POST /auth/v1/token?grant_type=password` checks the `apikey` header, then the email and password, and answers
like GoTrue: an HS256 access token signed with `secret` (Supabase's legacy JWT secret), shaped like Supabase's
(`sub`, `email`, `aud: authenticated`, `role`, `iss: {url}/auth/v1`), with `expires_in`, `expires_at` and a
`refresh_token`. Wrong credentials get GoTrue's 400 `invalid_grant`; `unconfirmed` emails get its
`email_not_confirmed` code.

`POST /auth/v1/token?grant_type=refresh_token` with `{"refresh_token": ...}` rotates, as Supabase does: the
answer is a new access token and a new refresh token, and the one sent is spent. Sending a spent one again gets
400 `invalid_grant` "Invalid Refresh Token: Already Used", an unknown (or revoked, see `revoke_refresh_tokens`)
one "Refresh Token Not Found". `access_token_lifetime` (seconds, default GoTrue's 3600) sets every token's `exp`
and `expires_in`, so a test can watch a session outlive several short tokens.

`POST /auth/v1/logout?scope=local` with `apikey` and the access token as a bearer revokes the refresh token of
that sign-in (the token's `session_id` claim), as GoTrue does, and answers 204; a bad or missing token is 401.

`GET /auth/v1/authorize?provider=P&redirect_to=URL` stands in for the whole provider round trip (consent
included): it redirects to `URL#access_token=...&expires_at=...&expires_in=...&refresh_token=...&token_type=bearer`
for `oauth_email`, as Supabase's implicit flow does, or to `URL#error=access_denied` when `oauth_email` is empty.

Every request is kept in `requests`, with the status it was answered with (added once answered, in one step, so
a test reading from another thread never sees a request without its status).
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route


@dataclass
class GoTrueTwin:
    secret: str
    anon_key: str
    users: dict[str, str] = field(default_factory=dict)
    unconfirmed: set[str] = field(default_factory=set)
    requests: list[dict[str, Any]] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)
    oauth_email: str = ""
    access_token_lifetime: int = 3600
    # Live refresh tokens -> (email, session id); spent ones are remembered to tell "already used" apart.
    refresh_tokens: dict[str, tuple[str, str]] = field(default_factory=dict)
    spent_refresh_tokens: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.app = Starlette(
            routes=[
                Route("/auth/v1/token", self.token, methods=["POST"]),
                Route("/auth/v1/authorize", self.authorize, methods=["GET"]),
                Route("/auth/v1/logout", self.logout, methods=["POST"]),
            ],
            middleware=[Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"])],
        )

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    def grants(self, grant_type: str) -> list[dict[str, Any]]:
        """The token requests made with `grant_type`, oldest first."""
        return [r for r in self.requests if r["query"].get("grant_type") == grant_type]

    def revoke_refresh_tokens(self) -> None:
        """Forget every live refresh token (as a sign-out elsewhere or an admin revoking sessions would)."""
        self.refresh_tokens.clear()

    def _record(self, request: Request, body: Any, status: int) -> None:
        query, headers = dict(request.query_params), dict(request.headers)
        self.requests.append({"query": query, "headers": headers, "body": body, "status": status})

    async def token(self, request: Request) -> JSONResponse:
        body = await request.json()
        answer = self._token_answer(request, body)
        self._record(request, body, answer.status_code)
        return answer

    def _token_answer(self, request: Request, body: dict[str, Any]) -> JSONResponse:
        if request.headers.get("apikey") != self.anon_key:
            return JSONResponse({"message": "Invalid API key"}, status_code=401)
        grant_type = request.query_params.get("grant_type")
        if grant_type == "refresh_token":
            return self._refresh(str(body.get("refresh_token", "")), str(request.base_url))
        if grant_type != "password":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        email, password = str(body.get("email", "")), str(body.get("password", ""))
        if self.users.get(email) != password:
            return JSONResponse({"error": "invalid_grant", "error_description": "Invalid login credentials"}, 400)
        if email in self.unconfirmed:
            return JSONResponse({"code": 400, "error_code": "email_not_confirmed", "msg": "Email not confirmed"}, 400)
        return JSONResponse(self.session(email, str(request.base_url)))

    def _refresh(self, refresh_token: str, base_url: str) -> JSONResponse:
        if refresh_token in self.spent_refresh_tokens:
            reason = "Invalid Refresh Token: Already Used"
            return JSONResponse({"error": "invalid_grant", "error_description": reason}, status_code=400)
        owner = self.refresh_tokens.pop(refresh_token, None)
        if owner is None:
            reason = "Invalid Refresh Token: Refresh Token Not Found"
            return JSONResponse({"error": "invalid_grant", "error_description": reason}, status_code=400)
        self.spent_refresh_tokens.add(refresh_token)
        email, session_id = owner
        return JSONResponse(self.session(email, base_url, session_id=session_id))

    async def logout(self, request: Request) -> Response:
        answer = self._logout_answer(request)
        self._record(request, None, answer.status_code)
        return answer

    def _logout_answer(self, request: Request) -> Response:
        if request.headers.get("apikey") != self.anon_key:
            return JSONResponse({"message": "Invalid API key"}, status_code=401)
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        try:
            claims = jwt.decode(token, self.secret, algorithms=["HS256"], audience="authenticated")
        except jwt.PyJWTError:
            return JSONResponse({"code": 401, "msg": "invalid JWT"}, status_code=401)
        for refresh_token, (_, session_id) in list(self.refresh_tokens.items()):
            if session_id == claims.get("session_id"):
                del self.refresh_tokens[refresh_token]
        return Response(status_code=204)

    async def authorize(self, request: Request) -> RedirectResponse:
        back = request.query_params["redirect_to"]
        if not self.oauth_email:
            answer = RedirectResponse(f"{back}#error=access_denied&error_description=denied", status_code=303)
        else:
            session = self.session(self.oauth_email, str(request.base_url))
            fragment = {key: session[key] for key in ("access_token", "expires_at", "expires_in", "refresh_token")}
            answer = RedirectResponse(f"{back}#{urlencode({**fragment, 'token_type': 'bearer'})}", status_code=303)
        self._record(request, None, answer.status_code)
        return answer

    def session(self, email: str, base_url: str, *, session_id: str | None = None) -> dict[str, Any]:
        """A GoTrue session for `email` (a new sign-in unless `session_id` continues one): access token, a new
        single-use refresh token, expiry, user."""
        refresh_token = secrets.token_urlsafe(16)
        session_id = session_id or str(uuid.uuid4())
        self.refresh_tokens[refresh_token] = (email, session_id)
        now = int(time.time())
        user = {"id": self.ids.setdefault(email, str(uuid.uuid4())), "email": email, "aud": "authenticated"}
        return {
            "access_token": self.access_token(email, base_url, now=now, session_id=session_id),
            "token_type": "bearer",
            "expires_in": self.access_token_lifetime,
            "expires_at": now + self.access_token_lifetime,
            "refresh_token": refresh_token,
            "user": {**user, "role": "authenticated"},
        }

    def access_token(self, email: str, base_url: str, *, now: int | None = None, session_id: str | None = None) -> str:
        sub = self.ids.setdefault(email, str(uuid.uuid4()))
        issued = int(time.time()) if now is None else now
        claims = {
            "sub": sub,
            "email": email,
            "aud": "authenticated",
            "role": "authenticated",
            "iat": issued,
            "exp": issued + self.access_token_lifetime,
            "iss": f"{base_url.rstrip('/')}/auth/v1",
            "session_id": session_id or str(uuid.uuid4()),
        }
        return jwt.encode(claims, self.secret, algorithm="HS256")
