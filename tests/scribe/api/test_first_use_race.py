"""The Scribe profile is created on first use; two first requests at once must not collide (found by bench/soak.py).

Six clients saving their first templates together used to get a 500 from `UNIQUE constraint failed:
scribe_profiles.user_id` when each request saw no profile and inserted one.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.scribe.models import ScribeProfile
from tests.scribe.api.conftest import GENERAL, ScribeApi


async def test_first_requests_racing_to_create_the_profile_all_succeed(
    scribe_api: ScribeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    me = await scribe_api.user()
    both_looked = asyncio.Event()
    looked = 0
    real_get = AsyncSession.get

    async def get_then_wait(self: AsyncSession, model: Any, ident: Any, **kwargs: Any) -> Any:
        """Let every request see 'no profile yet' before any of them creates it: the race, made certain."""
        nonlocal looked
        found = await real_get(self, model, ident, **kwargs)
        if model is ScribeProfile and found is None and not both_looked.is_set():
            looked += 1
            if looked == 2:
                both_looked.set()
            await asyncio.wait_for(both_looked.wait(), timeout=30)
        return found

    monkeypatch.setattr(AsyncSession, "get", get_then_wait)
    responses = await asyncio.gather(
        *[
            scribe_api.client.post(
                "/api/templates/", json={"template_text": GENERAL, "name": f"t{i}"}, headers=me.headers
            )
            for i in range(2)
        ]
    )
    assert [r.status_code for r in responses] == [201, 201], [r.text for r in responses]
    assert await scribe_api.count(ScribeProfile) == 1
