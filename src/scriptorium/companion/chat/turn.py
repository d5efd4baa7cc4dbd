"""What one chat turn is made of, and the two ways to answer it.

A `Turn` is everything the reply needs, assembled before streaming starts and already cut at the reader's
position: the visible page(s), the story-so-far recap, retrieved passages, history and chips. Answerers only
read it, so nothing they do can widen the boundary:

- `offline.OfflineAnswerer`: an extractive answer (sentence scoring against the question) with page
  citations, streamed word by word; no model, deterministic, labelled "offline".
- `model.ModelAnswerer`: a configured chat model streamed over plain HTTP (`core.llm.stream`), with the
  passages passed as delimited data.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from scriptorium.companion.boundary import Cursor
from scriptorium.core.llm.stream import ChatTurn

if TYPE_CHECKING:
    from scriptorium.companion.chat.semantic import Neighbours

Mode = Literal["page", "wiki"]
PassageRole = Literal["visible", "earlier", "wiki"]
CARD_PREFIX = "card:"


@dataclass(frozen=True, slots=True)
class Passage:
    """A piece of text the answer may use, with where it came from (its debut is `global_index`)."""

    doc_id: str
    kind: Literal["page", "wiki"]
    role: PassageRole
    text: str
    global_index: int
    title: str
    episode_slug: str | None = None
    episode_number: int | None = None
    page_number: int | None = None
    score: float = 0.0
    names: tuple[str, ...] = ()
    """For a card, the ways a question may name its entity (full name, proper aliases, given name)."""

    @property
    def is_card(self) -> bool:
        """An entity card (what the world graph says about someone as of the cursor), not a page or wiki section."""
        return self.doc_id.startswith(CARD_PREFIX)

    def label(self, current_episode: int | None) -> str:
        """Short citation label: `page 3`, `episode 1, page 3` or the wiki title."""
        if self.kind == "wiki" or self.page_number is None:
            return self.title
        if self.episode_number is None or self.episode_number == current_episode:
            return f"page {self.page_number}"
        return f"episode {self.episode_number}, page {self.page_number}"


@dataclass(frozen=True, slots=True)
class Suggestion:
    mode: Mode
    text: str


HistoryTurn = ChatTurn
"""An earlier message of the conversation: the same value the model client sends, so no conversion between them."""


@dataclass(frozen=True)
class Turn:
    """One question with its cursor-bounded context."""

    mode: Mode
    question: str
    cursor: Cursor
    series_title: str
    episode_title: str
    episode_number: int
    visible_pages: tuple[int, ...]
    recap: str
    passages: tuple[Passage, ...]
    history: tuple[HistoryTurn, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()
    retrieved_doc_ids: tuple[str, ...] = ()
    hidden_names: frozenset[str] = field(default_factory=frozenset)
    neighbours: Neighbours | None = None
    """Word neighbours for the offline answerer's paraphrase bridging (`semantic.py`); None: exact words only."""

    @property
    def visible(self) -> tuple[Passage, ...]:
        return tuple(p for p in self.passages if p.role == "visible")


@dataclass
class Reply:
    """Filled in while an answerer streams: the passages it relied on, and token usage.

    An extractive answerer knows what it quoted and fills `used`; a model's answer is read for its citations
    after the leak guard has cut it (`cites_by_text`), so only text the reader saw can cite a page. Usage a
    provider never reported (a stream closed early) is estimated and flagged, not recorded as 0/0.
    """

    used: list[Passage] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    cites_by_text: bool = False
    usage_estimated: bool = False


class Answerer(Protocol):
    provider: str
    pace: float
    """Seconds between frames after the first (0: one frame per delta)."""
    uses_history: bool
    """Whether earlier exchanges are worth loading for it (a model: yes; extractive answers: no)."""

    def stream(self, turn: Turn, reply: Reply) -> AsyncGenerator[str]:
        """Yield answer text deltas; record the passages used (and usage) in `reply`."""
        ...
