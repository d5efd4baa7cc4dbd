"""Stream one answer as typed events, save it, and serialise the events into the contract's SSE frames.

The generator runs after the route has built the turn and released its database session, so holding a stream
open costs no pooled connection. Frames: `token` `{text}`, `done` `{message_id, retrieved_doc_ids, citations,
suggestions, provider, status}`, `error` `{code, message}` with a message that is always ours, never exception
text. If the client goes away, the task is cancelled, which cancels the model call; the partial answer is saved
as `stopped` in the background.

Between the answerer and the frames sit the leak guard (`guard.SentenceGuard`: the output-side check the
original lacked) and the pacer (the first words go out at once, later ones at most every 100 ms, which cuts the
per-frame work of a fast model by several times without a visible difference).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sse_starlette import ServerSentEvent

from scriptorium.companion.chat import citing
from scriptorium.companion.chat.guard import Pacer, SentenceGuard
from scriptorium.companion.chat.turn import Answerer, Passage, Reply, Turn
from scriptorium.companion.chat.writer import ExchangeWriter
from scriptorium.companion.models import ChatMessage
from scriptorium.companion.schemas import CitationPublic
from scriptorium.core.db import new_id, utcnow
from scriptorium.core.errors import ModelError
from scriptorium.core.resources import CacheKey, Resources

log = logging.getLogger(__name__)

GUARD_NOTICE = " … I'll stop there: the rest would be about a part of the story you haven't reached yet."
FAILED_MESSAGE = "The companion could not finish this answer. Please try again in a moment."


@dataclass(frozen=True, slots=True)
class TokenEvent:
    text: str


@dataclass(frozen=True, slots=True)
class DoneEvent:
    message_id: str
    retrieved_doc_ids: list[str]
    citations: list[dict[str, Any]]
    suggestions: list[dict[str, str]]
    provider: str
    status: str


@dataclass(frozen=True, slots=True)
class ErrorEvent:
    code: str
    message: str


Event = TokenEvent | DoneEvent | ErrorEvent


def to_sse(event: Event) -> ServerSentEvent:
    """The one place events become frames."""
    data: dict[str, Any]
    if isinstance(event, TokenEvent):
        name, data = "token", {"text": event.text}
    elif isinstance(event, DoneEvent):
        name = "done"
        data = {
            "message_id": event.message_id,
            "retrieved_doc_ids": event.retrieved_doc_ids,
            "citations": event.citations,
            "suggestions": event.suggestions,
            "provider": event.provider,
            "status": event.status,
        }
    else:
        name, data = "error", {"code": event.code, "message": event.message}
    return ServerSentEvent(data=json.dumps(data, ensure_ascii=False), event=name)


def used_passages(turn: Turn, outcome: Outcome) -> list[Passage]:
    """What the answer relied on: what an extractive answer quoted, or what a model's shown text cites."""
    if outcome.reply.cites_by_text:
        # Our own notice after a guarded answer is not the model's text and must not earn a citation.
        return citing.cited(turn, outcome.text.removesuffix(GUARD_NOTICE))
    return outcome.reply.used


def citations(turn: Turn, used: list[Passage]) -> list[dict[str, Any]]:
    """Sources of the answer (visible pages first), all at or before the cursor by construction."""
    ordered = sorted(used, key=lambda p: (p.role != "visible", p.global_index))
    return [
        CitationPublic(
            doc_id=p.doc_id,
            kind=p.kind,
            episode_slug=p.episode_slug,
            episode_number=p.episode_number,
            page_number=p.page_number,
            global_index=p.global_index,
            title=p.label(turn.episode_number),
        ).model_dump()
        for p in ordered
        if p.global_index <= turn.cursor.index
    ]


@dataclass
class Outcome:
    text: str = ""
    status: str = "complete"
    reply: Reply = field(default_factory=Reply)


def token_counts(reply: Reply) -> dict[str, Any]:
    """Saved with the answer; `estimated` marks counts the provider never reported (a stream closed early)."""
    counts: dict[str, Any] = {"input": reply.input_tokens, "output": reply.output_tokens}
    if reply.usage_estimated:
        counts["estimated"] = True
    return counts


async def save_exchange(
    writer: ExchangeWriter,
    *,
    message_id: str,
    session_id: str,
    turn: Turn,
    outcome: Outcome,
    provider: str,
    started: float,
    asked_at: datetime,
) -> None:
    """Save the question and its answer together, off the path to the first token."""
    reply = outcome.reply
    question = ChatMessage(
        session_id=session_id,
        role="user",
        mode=turn.mode,
        content=turn.question,
        cursor_index=turn.cursor.index,
        created_at=asked_at,
    )
    answer = ChatMessage(
        id=message_id,
        session_id=session_id,
        role="assistant",
        mode=turn.mode,
        content=outcome.text,
        cursor_index=turn.cursor.index,
        status=outcome.status,
        provider=provider,
        retrieved_doc_ids=list(turn.retrieved_doc_ids),
        citations=citations(turn, used_passages(turn, outcome)),
        suggestions=[{"mode": s.mode, "text": s.text} for s in turn.suggestions],
        latency_ms=int((time.monotonic() - started) * 1000),
        token_counts=token_counts(reply),
        created_at=max(utcnow(), asked_at + timedelta(microseconds=1)),
    )
    await writer.write([question, answer])


async def stream_answer(
    resources: Resources, answerer: Answerer, turn: Turn, *, session_id: str, started: float, asked_at: datetime
) -> AsyncIterator[Event]:
    """Tokens as they come, then `done` after the answer is saved; or one `error` frame."""
    message_id = new_id()
    outcome = Outcome()
    guard = SentenceGuard(turn.hidden_names)
    pacer = Pacer(window=answerer.pace)

    def save(status: str) -> Any:
        outcome.status = status
        return save_exchange(
            writer(resources),
            message_id=message_id,
            session_id=session_id,
            turn=turn,
            outcome=outcome,
            provider=answerer.provider,
            started=started,
            asked_at=asked_at,
        )

    try:
        # `aclosing` ends the model stream in this task when we stop early (guard), as its cancel scopes require.
        async with aclosing(answerer.stream(turn, outcome.reply)) as deltas:
            async for delta in deltas:
                safe = guard.feed(delta)
                outcome.text += safe
                if guard.tripped:
                    outcome.text += GUARD_NOTICE
                    yield TokenEvent(pacer.flush() + safe + GUARD_NOTICE)
                    break
                ready = pacer.feed(safe)
                if ready:
                    yield TokenEvent(ready)
        tail = guard.flush()
        outcome.text += tail
        rest = pacer.flush() + tail
        if rest:
            yield TokenEvent(rest)
        await save("guarded" if guard.tripped else "complete")
    except asyncio.CancelledError:
        # The client left: keep what was said, without blocking the cancellation.
        resources.spawn(save("stopped"))
        raise
    except ModelError as exc:
        log.warning("chat model failed", extra={"error": exc.detail or type(exc).__name__})
        await _save_quietly(save("failed"))
        yield ErrorEvent("generation_failed", exc.public_message)
        return
    except Exception:
        log.exception("chat turn failed")
        await _save_quietly(save("failed"))
        yield ErrorEvent("internal_error", FAILED_MESSAGE)
        return
    yield DoneEvent(
        message_id=message_id,
        retrieved_doc_ids=list(turn.retrieved_doc_ids),
        citations=citations(turn, used_passages(turn, outcome)),
        suggestions=[{"mode": s.mode, "text": s.text} for s in turn.suggestions],
        provider=answerer.provider,
        status=outcome.status,
    )


#: The process's writer of finished exchanges.
WRITER: CacheKey[ExchangeWriter] = CacheKey("companion.writer")


def writer(resources: Resources) -> ExchangeWriter:
    return resources.cached(WRITER, lambda: ExchangeWriter(resources.sessionmaker))


async def _save_quietly(saving: Any) -> None:
    try:
        await saving
    except Exception:
        log.exception("could not save a failed answer")
