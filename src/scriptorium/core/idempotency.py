"""`Idempotency-Key` for submit routes: a client's retry after a network error gets the first answer, not a second
batch.

A client that sent `POST /api/queue/batch` and lost the connection cannot know whether the batch committed. With a
key it sends the same request again: if the first one committed, the stored answer comes back (with
`Idempotent-Replayed: true`) and nothing is queued twice; if it did not, the request runs now. The answer is
stored in the same transaction as the work (`remember` adds it to the caller's session), so "stored" and
"committed" are one fact. The same key with a different body is refused (422): that is a client bug, not a retry.
Two requests with one key at the same moment: the second loses on the table's unique key and gets 409, and its
retry gets the stored answer.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.core.errors import ValidationFailed
from scriptorium.core.models import IdempotencyKey

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Any unique string (a UUID): a retry with the same key gets the first answer instead of "
        "running again.",
    ),
]
REPLAYED_HEADER = "Idempotent-Replayed"


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    """One keyed request: who sent it, to which route (`scope`), with which key, and a hash of what it asked."""

    user_id: str
    scope: str
    key: str
    fingerprint: str

    @classmethod
    def of(cls, key: str | None, *, user_id: str, scope: str, body: BaseModel) -> IdempotentRequest | None:
        """None when the client sent no key (the route then runs as it always did)."""
        if key is None:
            return None
        canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return cls(user_id, scope, key, hashlib.sha256(canonical.encode()).hexdigest())

    async def replay(self, session: AsyncSession) -> JSONResponse | None:
        """The stored answer for this key, or None if no request with it has committed."""
        stored = await session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.user_id == self.user_id,
                IdempotencyKey.scope == self.scope,
                IdempotencyKey.key == self.key,
            )
        )
        if stored is None:
            return None
        if stored.fingerprint != self.fingerprint:
            raise ValidationFailed(
                "this Idempotency-Key was already used for a different request; use a new key for new work",
                field="Idempotency-Key",
            )
        return JSONResponse(stored.response, stored.status_code, headers={REPLAYED_HEADER: "true"})

    def remember(self, session: AsyncSession, *, status_code: int, response: dict[str, Any]) -> None:
        """Add the answer to the caller's transaction: it commits with the work, or not at all."""
        session.add(
            IdempotencyKey(
                user_id=self.user_id,
                scope=self.scope,
                key=self.key,
                fingerprint=self.fingerprint,
                status_code=status_code,
                response=response,
            )
        )
