"""Build one chat turn before any token is streamed: the cursor-bounded context and the chips.

This is where the spoiler boundary meets the prompt. Page mode: the visible page (or the two pages of a spread,
which end at the cursor) go in directly, the story so far joins the recaps of this episode's pages before them,
and retrieval returns only pages strictly before the cursor. Wiki mode: only wiki sections whose debut is at or
before the cursor. Every query uses `boundary.py`; retrieved items are checked once more on the way in, so a
regression in one layer still cannot put a later page into a prompt. Text is gated too: every page text, recap,
card and retrieved passage goes through the series' name index (`spoilers.py`) at the furthest page, so a sentence
naming something the reader has not met never reaches a prompt, a chip or an offline quote. The caller reads
the session and its history (`sessions.read_turn`, one trip off the event loop); the pages, the rest of the series
catalog and the retrieval candidates come from caches keyed by the content version that arrives with the session
row, so the database is touched here only when one of them is stale. The caller releases the DB session as soon
as this returns, so a stream never holds a connection while a model talks; the question is saved with its answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from typing import Literal

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.companion.boundary import Cursor, is_before, is_visible, page_reach
from scriptorium.companion.catalog import Catalog, CatalogPage
from scriptorium.companion.chat import chips
from scriptorium.companion.chat.cards import card_passages, catalog_gate
from scriptorium.companion.chat.cast import page_cast
from scriptorium.companion.chat.chips import ChipEntity
from scriptorium.companion.chat.semantic import Neighbours, neighbours_for
from scriptorium.companion.chat.turn import HistoryTurn, Passage, Turn
from scriptorium.companion.episodes import character_keys, join_recaps
from scriptorium.companion.models import ChatMessage
from scriptorium.companion.retrieval import RetrievalCache, Retrieved, retrieve
from scriptorium.companion.schemas import MessageCreate
from scriptorium.companion.sessions import SessionView
from scriptorium.core.embeddings import Embedder

log = logging.getLogger(__name__)

RECAP_CHARS = 2000
_HEADER = re.compile(r"^(Episode \d+ \(.*\), page \d+\.|Characters: .*|Dialogue:)$")


def page_passage_text(page: CatalogPage, cast: str = "") -> str:
    parts = [cast, page.description.strip(), page.text.strip()]
    return "\n".join(p for p in parts if p)


def cast_line(
    page: CatalogPage, catalog: Catalog, cursor: Cursor, earlier: Sequence[CatalogPage] = (), series_title: str = ""
) -> str:
    """A sentence naming who is on the page ("On this page are Wren Alder and Pim."): see `cast.page_cast`."""
    return page_cast(page, catalog, cursor, earlier, series_title).sentence()


def chunk_body(item: Retrieved) -> tuple[str, str]:
    """(title, body) of a retrieved chunk: header lines become the title, the rest is the passage."""
    lines = item.text.splitlines()
    if item.kind == "wiki":
        heading = lines[0].strip() if lines else ""
        return (heading or item.title or "Wiki"), "\n".join(lines[1:]).strip()
    body = [line for line in lines if not _HEADER.match(line.strip())]
    return f"{item.episode_slug}, page {item.page_number}", "\n".join(body).strip()


def _admit(item: Retrieved, cursor: Cursor, mode: str) -> bool:
    """Second line of defence behind the SQL boundary: drop (and log) anything retrieval should never return."""
    allowed = is_before(item.global_index, cursor) if mode == "page" else is_visible(item.global_index, cursor)
    if not allowed:
        log.error("retrieval returned an item past the cursor", extra={"chunk": item.chunk_id, "mode": mode})
    return allowed


def _visible_passages(view: SessionView, pages: list[CatalogPage], catalog: Catalog) -> list[Passage]:
    episode = view.episode
    before = catalog.episode_pages(episode.id, view.cursor)
    return [
        Passage(
            doc_id=page.id,
            kind="page",
            role="visible",
            text=catalog.names.gate(
                page_passage_text(page, cast_line(page, catalog, view.cursor, before, view.series.title)),
                view.cursor.index,
            ),
            global_index=page.global_index,
            title=f"page {page.number}",
            episode_slug=episode.slug,
            episode_number=episode.number,
            page_number=page.number,
        )
        for page in pages
    ]


def _found_passages(
    found: list[Retrieved], cursor: Cursor, mode: str, shown: set[int], catalog: Catalog
) -> list[Passage]:
    """Retrieved items as passages, minus anything already on screen (or, defensively, past the boundary)."""
    passages: list[Passage] = []
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
                episode_number=catalog.episode_numbers.get(item.episode_slug or ""),
                page_number=item.page_number,
                score=item.score,
            )
        )
    return passages


def _chip_entities(catalog: Catalog, cursor: Cursor, on_page: set[str], context: str) -> list[ChipEntity]:
    lowered = context.lower()
    return [
        ChipEntity(
            name=e.name,
            kind=e.kind,
            debut_index=e.debut_index,
            on_page=bool(e.lookup_keys() & on_page),
            mentioned=e.name.lower() in lowered,
            has_wiki=catalog.has_wiki(e.slug, cursor) or bool(e.summary.strip()),  # a card answers "who is"
            aliases=e.aliases,
        )
        for e in catalog.visible(cursor)
    ]


async def embed_question(embedder: Embedder, cache: RetrievalCache, question: str) -> None:
    """Put the question's vector in the retrieval cache, so it can be computed while the session loads.

    Best effort: on any failure retrieval embeds (or falls back to lexical search) as it would anyway.
    """
    if cache.query_vector(embedder.name, question) is not None:
        return
    try:
        vectors = await embedder.embed([question], input_type="query")
    except Exception:
        log.debug("companion: question embedding ahead of retrieval failed", exc_info=True)
        return
    cache.remember(embedder.name, question, np.asarray(vectors[0], dtype=np.float32))


def word_neighbours(embedder: Embedder) -> Neighbours | None:
    """The offline answerer's paraphrase bridge, only for the bundled local model: it embeds a word in
    microseconds on the calling thread (already loaded: retrieval embedded the question first). A server-backed
    embedder would put a network call inside the answer, so it gets exact-word answers instead."""
    embed_sync = getattr(embedder, "embed_sync", None)
    if not embedder.name.startswith("offline:") or not callable(embed_sync):
        return None
    return neighbours_for(embedder.name, embed_sync)


async def prepare_turn(
    db: AsyncSession,
    view: SessionView,
    body: MessageCreate,
    *,
    catalog: Catalog,
    embedder: Embedder,
    k: int,
    cache: RetrievalCache | None = None,
    history: Sequence[ChatMessage] = (),
) -> Turn:
    """Everything the answer may use, cut at the session's cursor; `history` comes from `sessions.read_turn`."""
    # The cursor is the furthest page reached (what the companion knows); the page on screen (and, with
    # `spread`, the one after it, as in the original) may be behind it after the reader went back.
    cursor = view.cursor
    pages = catalog.episode_pages(view.episode.id, cursor)
    first = view.page_index
    last = first + view.spread_right(body.spread) - view.session.current_page
    shown = [p for p in pages if first <= p.global_index <= last]
    # Page mode retrieves what is not on screen: reached pages after the visible ones count too.
    reach = page_reach(cursor, last)
    found = await retrieve(
        db,
        embedder,
        series_id=cursor.series_id,
        mode=body.mode,
        query=body.message,
        cursor=reach if body.mode == "page" else cursor,
        k=k,
        cache=cache,
        version=view.series.content_version,
        names=catalog.names,
        known_through=cursor.index,
    )
    passages = _visible_passages(view, shown, catalog) if body.mode == "page" else []
    passages += _found_passages(
        found, reach if body.mode == "page" else cursor, body.mode, {p.global_index for p in shown}, catalog
    )
    # The text gate: every sentence naming something past the furthest page is withheld (see spoilers.py).
    gate = catalog.names.gate if len(catalog.names) else catalog_gate(catalog)
    passages += card_passages(catalog, cursor, body.message, body.mode, gate)
    page_text = "\n".join(gate(page_passage_text(p), cursor.index) for p in shown)
    context = "\n".join([page_text, *(p.text for p in passages)])
    on_page = {key.lower() for p in shown for key in character_keys(p)}
    replayed = [
        HistoryTurn("assistant" if m.role == "assistant" else "user", m.content)
        for m in history
        if m.status == "complete" and m.content
    ]
    earlier = [gate(p.recap, cursor.index) for p in pages if p.global_index < first]
    turn = Turn(
        mode=body.mode,
        question=body.message,
        cursor=cursor,
        series_title=view.series.title,
        episode_title=view.episode.title,
        episode_number=view.episode.number,
        visible_pages=tuple(p.number for p in shown),
        recap=join_recaps(earlier, RECAP_CHARS) if body.mode == "page" else "",
        passages=tuple(passages),
        history=tuple(replayed),
        # Cards are not retrieved chunks: they are cited (with their debut) when used, never listed as retrieved.
        retrieved_doc_ids=tuple(p.doc_id for p in passages if p.role != "visible" and not p.is_card),
        hidden_names=catalog.hidden_names(cursor, unless_in=context),
        neighbours=word_neighbours(embedder),
    )
    # A chip is offered only if asking it would get an answer (chips.answerable runs the offline selection).
    visible = [p for p in passages if p.role == "visible"]
    cards_for = partial(card_passages, catalog, cursor, gate=gate)
    suggestions = chips.choose(
        body.message,
        page_numbers=[p.number for p in shown],
        page_text=page_text,
        entities=_chip_entities(catalog, cursor, on_page, context),
        keep=lambda s: chips.answerable(s, turn, visible, cards_for(s.text, s.mode)),
    )
    return replace(turn, suggestions=tuple(suggestions))
