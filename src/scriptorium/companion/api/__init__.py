"""Companion HTTP routes, compatible with the original companion's API (everything new is additive).

`router` gathers one sub-router per resource: episodes, sessions (their chat messages, continuing an earlier one,
the next turn's image links), the world graph, media and retrieval for tools.
"""

from __future__ import annotations

from fastapi import APIRouter

from scriptorium.companion.api.continue_chat import router as continue_chat_router
from scriptorium.companion.api.episodes import router as episodes_router
from scriptorium.companion.api.lookahead import router as lookahead_router
from scriptorium.companion.api.media import router as media_router
from scriptorium.companion.api.messages import router as messages_router
from scriptorium.companion.api.retrieve import router as retrieve_router
from scriptorium.companion.api.sessions import router as sessions_router
from scriptorium.companion.api.world import router as world_router

router = APIRouter(tags=["companion"])
for _part in (
    episodes_router,
    sessions_router,
    continue_chat_router,
    lookahead_router,
    messages_router,
    world_router,
    media_router,
    retrieve_router,
):
    router.include_router(_part)

__all__ = ["router"]
