"""Companion tables: the comic (series, episodes, pages), its wiki, world graph and retrieval chunks, and readers.

Every piece of content that could spoil the story carries a `debut_index`: the 0-based `global_index` of the page
at which the reader is first allowed to see it. The reader's position is one integer of the same unit (see
`boundary.Cursor`), so "may the reader see this?" is always one integer comparison done in SQL by `boundary.py`.
Pages are their own debut (`global_index`). `Series.content_version` goes up on every ingest so caches in a running
server notice new content without a restart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from scriptorium.core.db import Base, UTCDateTime, new_id, utcnow

ENTITY_KINDS = ("character", "place", "creature", "object", "faction", "concept")


class Series(Base):
    """One comic. Everything below hangs off it; `content_version` is bumped by each ingest."""

    __tablename__ = "companion_series"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(128), unique=True)
    title: Mapped[str] = mapped_column(String(256))
    description: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(16), default="en")
    credits: Mapped[str] = mapped_column(Text, default="")
    page_total: Mapped[int] = mapped_column(Integer, default=0)
    content_version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Episode(Base):
    """An episode. `summary` is a spoiler-free teaser (what a back cover says), never the plot of the episode.

    `start_index` is the global index of its page 1, so page N of this episode is `start_index + N - 1`.
    `cover_page_id` points at a page (no foreign key: pages reference episodes, and the cover is optional).
    """

    __tablename__ = "companion_episodes"
    __table_args__ = (
        UniqueConstraint("series_id", "slug", name="uq_companion_episodes_series_slug"),
        UniqueConstraint("series_id", "number", name="uq_companion_episodes_series_number"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    series_id: Mapped[str] = mapped_column(ForeignKey("companion_series.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(128))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(256))
    summary: Mapped[str] = mapped_column(Text, default="")
    page_count: Mapped[int] = mapped_column(Integer, default=0)
    start_index: Mapped[int] = mapped_column(Integer, default=0)
    cover_page_id: Mapped[str | None] = mapped_column(String(32))
    credits_url: Mapped[str | None] = mapped_column(Text)


class Page(Base):
    """A story page. `global_index` (0-based across the series) is the cursor unit and the page's own debut.

    `recap` says in a sentence or two what happens on this page. A page-mode prompt's "story so far" joins the
    recaps of the episode's pages before the visible one (newest kept when long): the only summary a prompt may
    carry, and by construction it ends at the cursor.
    """

    __tablename__ = "companion_pages"
    __table_args__ = (
        UniqueConstraint("episode_id", "number", name="uq_companion_pages_episode_number"),
        UniqueConstraint("series_id", "global_index", name="uq_companion_pages_series_global_index"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    series_id: Mapped[str] = mapped_column(ForeignKey("companion_series.id", ondelete="CASCADE"), index=True)
    episode_id: Mapped[str] = mapped_column(ForeignKey("companion_episodes.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    global_index: Mapped[int] = mapped_column(Integer)
    image_key: Mapped[str] = mapped_column(String(512))
    thumb_key: Mapped[str] = mapped_column(String(512))
    content_type: Mapped[str] = mapped_column(String(64), default="image/svg+xml")
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    recap: Mapped[str] = mapped_column(Text, default="")
    characters: Mapped[list[Any]] = mapped_column(JSON, default=list)
    image_sha256: Mapped[str] = mapped_column(String(64), default="")


class WikiArticle(Base):
    """A wiki article; visible once its earliest section is (`debut_index` = min of its sections' debuts)."""

    __tablename__ = "companion_wiki_articles"
    __table_args__ = (UniqueConstraint("series_id", "slug", name="uq_companion_wiki_articles_series_slug"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    series_id: Mapped[str] = mapped_column(ForeignKey("companion_series.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(256))
    category: Mapped[str] = mapped_column(String(64), default="")
    entity_slug: Mapped[str | None] = mapped_column(String(128))
    debut_index: Mapped[int] = mapped_column(Integer, default=0)


class WikiSection(Base):
    """One section of an article; the spoiler unit of the wiki (late facts live in late-debuting sections)."""

    __tablename__ = "companion_wiki_sections"
    __table_args__ = (UniqueConstraint("article_id", "position", name="uq_companion_wiki_sections_article_position"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    article_id: Mapped[str] = mapped_column(ForeignKey("companion_wiki_articles.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    heading: Mapped[str] = mapped_column(String(256), default="")
    text: Mapped[str] = mapped_column(Text)
    debut_index: Mapped[int] = mapped_column(Integer)


class Entity(Base):
    """A world-graph node. `x`/`y` are an optional curated layout; `image_key` an optional avatar in storage."""

    __tablename__ = "companion_entities"
    __table_args__ = (UniqueConstraint("series_id", "slug", name="uq_companion_entities_series_slug"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    series_id: Mapped[str] = mapped_column(ForeignKey("companion_series.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(32))
    debut_index: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text, default="")
    aliases: Mapped[list[Any]] = mapped_column(JSON, default=list)
    x: Mapped[float | None] = mapped_column(Float)
    y: Mapped[float | None] = mapped_column(Float)
    image_key: Mapped[str | None] = mapped_column(String(512))
    summary_versions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    """Summaries "as of" a page: `[{"from": <global index>, "text": ...}]`, oldest first; the latest version at
    or before the cursor replaces `summary` (which is the version of the entity's debut)."""


class Relation(Base):
    """A directed world-graph edge with its own debut (an edge may be revealed after both of its endpoints)."""

    __tablename__ = "companion_relations"
    __table_args__ = (
        UniqueConstraint("source_id", "target_id", "label", name="uq_companion_relations_source_target_label"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    series_id: Mapped[str] = mapped_column(ForeignKey("companion_series.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("companion_entities.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[str] = mapped_column(ForeignKey("companion_entities.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text, default="")
    debut_index: Mapped[int] = mapped_column(Integer)


class Chunk(Base):
    """A retrievable passage: one per page (`kind="page"`) or wiki section (`kind="wiki"`).

    `key` is stable across re-ingests (`page:<episode>:<n>`, `wiki:<article>:<position>`) so labelled question
    sets and citations survive. `tokens` is the normalised, space-joined token list for lexical scoring;
    `embedding` holds float32 bytes from the model named in `embedding_model` with `embedding_dim` values.
    """

    __tablename__ = "companion_chunks"
    __table_args__ = (
        UniqueConstraint("series_id", "key", name="uq_companion_chunks_series_key"),
        Index("ix_companion_chunks_series_kind_debut", "series_id", "kind", "debut_index"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    series_id: Mapped[str] = mapped_column(ForeignKey("companion_series.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))
    page_id: Mapped[str | None] = mapped_column(ForeignKey("companion_pages.id", ondelete="CASCADE"), index=True)
    wiki_section_id: Mapped[str | None] = mapped_column(
        ForeignKey("companion_wiki_sections.id", ondelete="CASCADE"), index=True
    )
    debut_index: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    tokens: Mapped[str] = mapped_column(Text, default="")
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    embedding_model: Mapped[str] = mapped_column(String(200), default="")
    embedding_dim: Mapped[int] = mapped_column(Integer, default=0)


class SpoilerName(Base):
    """One name the story can mention, with the first page that shows it (`spoilers.py` gates text with these).

    Built by ingest from every entity name and alias, wiki title and proper name found in prose, including content
    that `--skip-unreached` dropped. `debut_index` is NULL when no page places the name: such a name is never shown.
    `source` says where it came from (`entity`, `alias`, `title`, `prose`).
    """

    __tablename__ = "companion_names"
    __table_args__ = (UniqueConstraint("series_id", "name", name="uq_companion_names_series_name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    series_id: Mapped[str] = mapped_column(ForeignKey("companion_series.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(256))
    debut_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source: Mapped[str] = mapped_column(String(32), default="prose")


# --- readers: sessions and their messages ------------------------------------------------------------------
class ReaderSession(Base):
    """One chat in one episode, at one position."""

    __tablename__ = "companion_reader_sessions"
    __table_args__ = (Index("ix_companion_reader_sessions_reader_episode", "reader_id", "episode_id", "updated_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    reader_id: Mapped[str] = mapped_column(String(32))
    series_id: Mapped[str] = mapped_column(ForeignKey("companion_series.id", ondelete="CASCADE"), index=True)
    episode_id: Mapped[str] = mapped_column(ForeignKey("companion_episodes.id", ondelete="CASCADE"), index=True)
    user_email: Mapped[str | None] = mapped_column(String(320))
    current_page: Mapped[int] = mapped_column(Integer, default=1)
    furthest_page: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatMessage(Base):
    """A question or an answer. `cursor_index` is the reader's position when it was asked."""

    __tablename__ = "companion_messages"
    __table_args__ = (Index("ix_companion_messages_session_created", "session_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    session_id: Mapped[str] = mapped_column(ForeignKey("companion_reader_sessions.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str | None] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text, default="")
    cursor_index: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="complete")
    provider: Mapped[str] = mapped_column(String(200), default="")
    retrieved_doc_ids: Mapped[list[Any]] = mapped_column(default=list)
    citations: Mapped[list[Any]] = mapped_column(default=list)
    suggestions: Mapped[list[Any]] = mapped_column(default=list)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    token_counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
