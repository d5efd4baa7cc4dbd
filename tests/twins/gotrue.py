"""A loopback twin of Supabase Auth (GoTrue): the password grant the UI signs in with, behind CORS like the real one.

    with serve_in_thread(GoTrueTwin(secret=..., anon_key=...)) as url:
        twin.users["lin@example.org"] = "correct horse battery"

`POST /auth/v1/token?grant_type=password` checks the `apikey` header, then the email and password, and answers
with an HS256 access token signed with `secret` (Supabase's legacy JWT secret), shaped like Supabase's:
`sub`, `email`, `aud: authenticated`, `role`, `iss: {url}/auth/v1`. Wrong credentials get GoTrue's 400
`invalid_grant`; `unconfirmed` emails get its `email_not_confirmed` code.

`GET /auth/v1/authorize?provider=P&redirect_to=URL` stands in for the whole provider round trip (consent
included): it redirects to `URL#access_token=...` for `oauth_email`, as Supabase's implicit flow does, or to
`URL#error=access_denied` when `oauth_email` is empty. Every request is kept in `requests`.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
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

    def __post_init__(self) -> None:
        self.app = Starlette(
            routes=[
                Route("/auth/v1/token", self.token, methods=["POST"]),
                Route("/auth/v1/authorize", self.authorize, methods=["GET"]),
            ],
            middleware=[Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"])],
        )

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    async def token(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.requests.append({"query": dict(request.query_params), "headers": dict(request.headers), "body": body})
        if request.headers.get("apikey") != self.anon_key:
            return JSONResponse({"message": "Invalid API key"}, status_code=401)
        if request.query_params.get("grant_type") != "password":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        email, password = str(body.get("email", "")), str(body.get("password", ""))
        if self.users.get(email) != password:
            return JSONResponse({"error": "invalid_grant", "error_description": "Invalid login credentials"}, 400)
        if email in self.unconfirmed:
            return JSONResponse({"code": 400, "error_code": "email_not_confirmed", "msg": "Email not confirmed"}, 400)
        token = self.access_token(email, str(request.base_url))
        user = {"id": self.ids[email], "email": email, "aud": "authenticated", "role": "authenticated"}
        return JSONResponse(
            {"access_token": token, "token_type": "bearer", "expires_in": 3600, "refresh_token": "r", "user": user}
        )

    async def authorize(self, request: Request) -> RedirectResponse:
        self.requests.append({"query": dict(request.query_params), "headers": dict(request.headers), "body": None})
        back = request.query_params["redirect_to"]
        if not self.oauth_email:
            return RedirectResponse(f"{back}#error=access_denied&error_description=denied", status_code=303)
        token = self.access_token(self.oauth_email, str(request.base_url))
        return RedirectResponse(f"{back}#access_token={token}&expires_in=3600&token_type=bearer", status_code=303)

    def access_token(self, email: str, base_url: str) -> str:
        sub = self.ids.setdefault(email, str(uuid.uuid4()))
        now = int(time.time())
        claims = {
            "sub": sub,
            "email": email,
            "aud": "authenticated",
            "role": "authenticated",
            "iat": now,
            "exp": now + 3600,
            "iss": f"{base_url.rstrip('/')}/auth/v1",
        }
        return jwt.encode(claims, self.secret, algorithm="HS256")
