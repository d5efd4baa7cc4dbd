"""Request and response shapes of the Companion HTTP API.

Field names follow the original companion's contract (`session_id`, `current_page`, `episode_number`,
`plot_summary`, `retrieved_doc_ids`, `suggestions` as `[{mode, text}]`), so a client written for it keeps
working; everything else is additive. Limits are declared here once and enforced at the boundary.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from scriptorium.core.addresses import EmailAddress
from scriptorium.core.text_fields import MultiLineText, SingleLineText

Mode = Literal["page", "wiki"]
ReadingStatus = Literal["unread", "reading", "finished"]
GraphMode = Literal["full", "focus"]

SLUG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
ID_PATTERN = r"^[0-9a-f]{32}$"


# --- episodes -------------------------------------------------------------------------------------------------
class EpisodeSummaryPublic(BaseModel):
    """One picker card. `plot_summary` is the story so far, only for episodes the reader has reached."""

    id: str
    slug: str
    title: str
    episode_number: int
    page_count: int
    cover_image_url: str | None
    plot_summary: str | None
    reading_status: ReadingStatus
    current_page: int | None


class EpisodeListPublic(BaseModel):
    episodes: list[EpisodeSummaryPublic]


class CharacterRef(BaseModel):
    id: str
    name: str
    image_url: str | None = None


class PagePublic(BaseModel):
    """A page; `image_url`/`thumbnail_url` are null (and characters empty) past the reader's position."""

    id: str
    page_number: int
    global_index: int
    visible: bool
    image_url: str | None
    thumbnail_url: str | None
    image_metadata: dict[str, int]
    characters: list[CharacterRef]


class EpisodeDetailPublic(BaseModel):
    id: str
    slug: str
    title: str
    episode_number: int
    page_count: int
    plot_summary: str | None
    credits_url: str | None
    characters: list[CharacterRef]
    pages: list[PagePublic]
    current_page: int | None


# --- sessions -------------------------------------------------------------------------------------------------
class SessionCreate(BaseModel):
    """`reader_token` (or the X-Reader-Token header) resumes that reader; `resume=false` starts a new chat."""

    model_config = ConfigDict(extra="ignore")

    episode_slug: str = Field(pattern=SLUG_PATTERN)
    user_email: EmailAddress | None = None
    reader_token: SingleLineText | None = Field(default=None, max_length=200)
    resume: bool = True


class SessionCreated(BaseModel):
    """`current_page` is the page on screen; `furthest_page` the furthest reached (what the companion knows)."""

    session_id: str
    current_page: int
    furthest_page: int
    reader_token: str
    episode_slug: str
    page_count: int
    resumed: bool


class SessionUpdate(BaseModel):
    """`spread: true` says the page after `current_page` is on screen too (the original's spread: left page sent)."""

    model_config = ConfigDict(extra="ignore")

    current_page: int
    spread: bool = False


class Ok(BaseModel):
    ok: bool = True
    current_page: int
    furthest_page: int
    pages: list[PagePublic]
    """The pages now visible (every answer carries them, so the schema says so)."""


class CitationPublic(BaseModel):
    """Where a passage of an answer came from; always at or before the reader's position."""

    doc_id: str
    kind: Literal["page", "wiki"]
    episode_slug: str | None
    episode_number: int | None
    page_number: int | None
    global_index: int
    title: str


class SuggestionPublic(BaseModel):
    mode: Mode
    text: str


class MessagePublic(BaseModel):
    id: str
    role: Literal["user", "assistant"]
    mode: Mode | None
    content: str
    status: str
    citations: list[CitationPublic]
    suggestions: list[SuggestionPublic]
    retrieved_doc_ids: list[str]
    created_at: str


class SessionPublic(BaseModel):
    session_id: str
    episode_slug: str
    episode_number: int
    current_page: int
    furthest_page: int
    page_count: int
    cursor_index: int
    messages: list[MessagePublic]


# --- chat -----------------------------------------------------------------------------------------------------
class MessageCreate(BaseModel):
    """A question. The length cap is applied from settings in the route (COMPANION_MESSAGE_MAX_CHARS)."""

    model_config = ConfigDict(extra="ignore")

    mode: Mode = "page"
    message: MultiLineText = Field(min_length=1)
    spread: bool = False


# --- retrieval for tools --------------------------------------------------------------------------------------
class RetrieveRequest(BaseModel):
    """Cursor from `session_id`, or from `episode_slug` + `page` (or the later original's `current_episode`)."""

    model_config = ConfigDict(extra="ignore")

    mode: Mode = "page"
    query: MultiLineText = Field(min_length=1, max_length=2000)
    k: int = Field(default=3, ge=1, le=20)
    session_id: str | None = Field(default=None, pattern=ID_PATTERN)
    episode_slug: str | None = Field(default=None, pattern=SLUG_PATTERN)
    current_episode: int | None = Field(default=None, ge=1)
    current_page: int | None = Field(default=None, ge=1)
    page: int | None = Field(default=None, ge=1)


class RetrievedChunk(BaseModel):
    rank: int
    chunk_id: str
    kind: Literal["page", "wiki"]
    score: float
    episode_slug: str | None
    page_number: int | None
    global_index: int
    text: str


class RetrieveResponse(BaseModel):
    mode: Mode
    boundary: dict[str, int | str]
    chunks: list[RetrievedChunk]


# --- world graph ----------------------------------------------------------------------------------------------
class GraphNode(BaseModel):
    id: str
    slug: str
    name: str
    kind: str
    summary: str
    image_url: str | None
    x: float
    y: float
    episode_debut: int
    page_debut: int
    debut_index: int


class GraphEdge(BaseModel):
    id: str
    source: str
    target: str
    kind: str
    summary: str
    episode_debut: int
    page_debut: int
    debut_index: int


class WorldGraphPublic(BaseModel):
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    mode: GraphMode
    cursor_index: int


class EntityDetailPublic(BaseModel):
    """A node plus its wiki summary built only from sections at or before the cursor."""

    node: GraphNode
    wiki_summary: str
    wiki_sections: list[str]
    relations: list[GraphEdge]
    neighbours: list[GraphNode]
