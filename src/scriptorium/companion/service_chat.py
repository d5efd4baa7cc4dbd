"""Build one chat turn before any token is streamed: the cursor-bounded context, chips, and the saved question.

This is where the spoiler boundary meets the prompt. Page mode: the visible page (or the two pages of a spread,
which end at the cursor) go in directly, the story so far joins the recaps of this episode's pages before them,
and retrieval returns only pages strictly before the cursor. Wiki mode: only wiki sections whose debut is at or
before the cursor. Every query uses `boundary.py`; retrieved items are checked once more on the way in, so a
regression in one layer still cannot put a later page into a prompt. The DB session is released by the caller
as soon as this returns (STYLE.md item 14).
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.companion import chips, prompts
from scriptorium.companion.answer import HistoryTurn, Passage, Turn
from scriptorium.companion.boundary import Cursor, is_before, is_visible, visible_in_series
from scriptorium.companion.chips import ChipEntity
from scriptorium.companion.models import Entity, Episode, Page, WikiArticle, WikiSection
from scriptorium.companion.retrieval import RetrievalCache, Retrieved, retrieve
from scriptorium.companion.schemas import MessageCreate
from scriptorium.companion.service import character_keys, entity_keys, story_so_far
from scriptorium.companion.sessions import ChatMessage, SessionView, visible_history
from scriptorium.core.embeddings import Embedder

log = logging.getLogger(__name__)

RECAP_CHARS = 2000

_HEADER = re.compile(r"^(Episode \d+ \(.*\), page \d+\.|Characters: .*|Dialogue:)$")


def page_passage_text(page: Page) -> str:
    parts = [page.description.strip(), page.text.strip()]
    return "\n".join(p for p in parts if p)


def chunk_body(item: Retrieved) -> tuple[str, str]:
    """(title, body) of a retrieved chunk: header lines become the title, the rest is the passage."""
    lines = item.text.splitlines()
    if item.kind == "wiki":
        heading = lines[0].strip() if lines else ""
        return (heading or item.title or "Wiki"), "\n".join(lines[1:]).strip()
    body = [line for line in lines if not _HEADER.match(line.strip())]
    return f"{item.episode_slug}, page {item.page_number}", "\n".join(body).strip()


async def visible_pages(db: AsyncSession, view: SessionView, spread: bool) -> list[Page]:
    """The page at the cursor, plus the page before it when the reader sees a two-page spread."""
    cursor = view.cursor
    first = cursor.index - 1 if spread and view.session.current_page > 1 else cursor.index
    query = select(Page).where(
        visible_in_series(Page.series_id, Page.global_index, cursor),
        Page.global_index >= first,
        Page.episode_id == view.episode.id,
    )
    return list((await db.scalars(query.order_by(Page.global_index))).all())


def _admit(item: Retrieved, cursor: Cursor, mode: str) -> bool:
    """Second line of defence behind the SQL boundary: drop (and log) anything retrieval should never return."""
    allowed = is_before(item.global_index, cursor) if mode == "page" else is_visible(item.global_index, cursor)
    if not allowed:
        log.error("retrieval returned an item past the cursor", extra={"chunk": item.chunk_id, "mode": mode})
    return allowed


async def _episode_numbers(db: AsyncSession, series_id: str) -> dict[str, int]:
    rows = await db.execute(select(Episode.slug, Episode.number).where(Episode.series_id == series_id))
    return {slug: number for slug, number in rows}


async def _chip_entities(db: AsyncSession, cursor: Cursor, on_page: set[str], context: str) -> list[ChipEntity]:
    """Visible entities, marked when they are on the visible page, named in the context, or have unlocked wiki."""
    query = select(Entity).where(visible_in_series(Entity.series_id, Entity.debut_index, cursor))
    entities = (await db.scalars(query)).all()
    with_wiki = set(
        (
            await db.scalars(
                select(WikiArticle.entity_slug)
                .join(WikiSection, WikiSection.article_id == WikiArticle.id)
                .where(visible_in_series(WikiArticle.series_id, WikiSection.debut_index, cursor))
                .distinct()
            )
        ).all()
    )
    lowered = context.lower()
    return [
        ChipEntity(
            name=e.name,
            kind=e.kind,
            debut_index=e.debut_index,
            on_page=bool(set(entity_keys(e)) & on_page),
            mentioned=e.name.lower() in lowered,
            has_wiki=e.slug in with_wiki,
            aliases=tuple(a for a in e.aliases or [] if isinstance(a, str)),
        )
        for e in entities
    ]


async def _hidden_names(db: AsyncSession, cursor: Cursor, context: str) -> frozenset[str]:
    """Names of entities the reader hasn't met, for the output-side leak guard (server-side only)."""
    rows = await db.execute(
        select(Entity.name, Entity.aliases).where(
            Entity.series_id == cursor.series_id, Entity.debut_index > cursor.index
        )
    )
    names: set[str] = set()
    for name, aliases in rows:
        for candidate in [name, *[a for a in aliases or [] if isinstance(a, str)]]:
            if len(candidate) >= 3 and candidate not in context:
                names.add(candidate)
    return frozenset(names)


def _passages(view: SessionView, pages: list[Page], found: list[Retrieved], mode: str) -> list[Passage]:
    """Visible pages first (page mode), then what retrieval found, minus anything already on screen."""
    cursor = view.cursor
    episode = view.episode
    passages: list[Passage] = []
    if mode == "page":
        for page in pages:
            text = page_passage_text(page)
            title = f"page {page.number}"
            passages.append(
                Passage(
                    page.id,
                    "page",
                    "visible",
                    text,
                    page.global_index,
                    title,
                    episode.slug,
                    episode.number,
                    page.number,
                )
            )
    shown = {p.global_index for p in pages}
    for item in found:
        if not _admit(item, cursor, mode) or (item.kind == "page" and item.global_index in shown):
            continue
        title, text = chunk_body(item)
        kind: Literal["page", "wiki"] = "wiki" if item.kind == "wiki" else "page"
        passages.append(
            Passage(
                doc_id=item.chunk_id,
                kind=kind,
                role="wiki" if kind == "wiki" else "earlier",
                text=text,
                global_index=item.global_index,
                title=title,
                episode_slug=item.episode_slug,
                page_number=item.page_number,
                score=item.score,
            )
        )
    return passages


async def prepare_turn(
    db: AsyncSession,
    view: SessionView,
    body: MessageCreate,
    *,
    embedder: Embedder,
    k: int,
    cache: RetrievalCache | None = None,
) -> tuple[Turn, str]:
    """The turn to answer, and the id of the question row it saved."""
    cursor = view.cursor
    pages = await visible_pages(db, view, body.spread)
    found = await retrieve(
        db, embedder, series_id=cursor.series_id, mode=body.mode, query=body.message, cursor=cursor, k=k, cache=cache
    )
    numbers = await _episode_numbers(db, cursor.series_id)
    passages = [
        replace(p, episode_number=numbers.get(p.episode_slug or "")) if p.role != "visible" else p
        for p in _passages(view, pages, found, body.mode)
    ]
    page_text = "\n".join(page_passage_text(p) for p in pages)
    on_page = {key.lower() for p in pages for key in character_keys(p)}
    context = "\n".join([page_text, *(p.text for p in passages)])
    suggestions = chips.choose(
        body.message,
        page_numbers=[p.number for p in pages],
        page_text=page_text,
        entities=await _chip_entities(db, cursor, on_page, context),
    )
    history = [
        HistoryTurn("assistant" if m.role == "assistant" else "user", m.content)
        for m in await visible_history(db, view, limit=2 * prompts.HISTORY_TURNS)
        if m.status == "complete" and m.content
    ]
    first_visible = pages[0].global_index if pages else cursor.index
    turn = Turn(
        mode=body.mode,
        question=body.message,
        cursor=cursor,
        series_title=view.series.title,
        episode_title=view.episode.title,
        episode_number=view.episode.number,
        visible_pages=tuple(p.number for p in pages),
        recap=await story_so_far(db, view.episode, cursor, before=first_visible, max_chars=RECAP_CHARS)
        if body.mode == "page"
        else "",
        passages=tuple(passages),
        history=tuple(history),
        suggestions=tuple(suggestions),
        retrieved_doc_ids=tuple(p.doc_id for p in passages if p.role != "visible"),
        hidden_names=await _hidden_names(db, cursor, context),
    )
    question = ChatMessage(
        session_id=view.session.id, role="user", mode=body.mode, content=body.message, cursor_index=cursor.index
    )
    db.add(question)
    await db.commit()
    return turn, question.id
