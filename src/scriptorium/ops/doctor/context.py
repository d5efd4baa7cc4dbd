"""What every doctor check receives: the settings, the process's clients, the target server and the time budget."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from scriptorium.core.resources import Resources
from scriptorium.core.settings import Settings


@dataclass
class Context:
    settings: Settings
    resources: Resources
    http: httpx.AsyncClient
    """A client for outside calls (providers, the running server); no redirects, doctor's own timeout."""
    timeout: float
    """Seconds one check may take (a serverless GPU's cold start needs 30 or more)."""
    url: str | None = None
    """Base URL of the running server for the HTTP checks, e.g. `https://api.example.org`."""
    token: str | None = None
    """Bearer token for the end-to-end checks when the server requires sign-in."""

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def endpoint(self, path: str) -> str:
        assert self.url is not None
        return self.url.rstrip("/") + path
