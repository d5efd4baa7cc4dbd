"""The spoiler boundary: the one place that decides what a reader at a given position may see.

Every query that feeds a prompt, a chip, a citation, a wiki excerpt, the world graph or an image URL builds its
WHERE clause from these functions, so the rule cannot drift between features. The rule is structural: content is
filtered in SQL (with bound parameters) before it is loaded, never by asking a model to keep a secret.

Unit: `Page.global_index`, 0-based across the whole series. Every spoilable row has a `debut_index` in that unit.
- "visible through" (debut <= cursor): what the reader has reached, used for the wiki, graph, images, citations.
- "strictly before" (debut < cursor): page-mode retrieval, because the current page (or spread) goes into the
  prompt directly and must not be retrieved twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, bindparam
from sqlalchemy.orm import InstrumentedAttribute

from scriptorium.core.errors import ValidationFailed

ColumnLike = InstrumentedAttribute[Any] | ColumnElement[Any]


@dataclass(frozen=True, slots=True)
class Cursor:
    """A reader's position: the series and the global index of the furthest (current) page reached.

    Built only from server-side state (the session row), never from message text or query parameters a client
    could inflate.
    """

    series_id: str
    index: int

    def __post_init__(self) -> None:
        if isinstance(self.index, bool) or not isinstance(self.index, int) or self.index < 0:
            raise ValidationFailed("cursor must be a non-negative page index", field="cursor")


def _bound(cursor: Cursor) -> ColumnElement[int]:
    # unique=True gives each use its own anonymous parameter name, so one statement may apply the rule
    # to several tables (e.g. entities and relations) without a name clash.
    return bindparam("cursor_index", cursor.index, type_=Integer, unique=True)


def _series(cursor: Cursor) -> ColumnElement[str]:
    return bindparam("cursor_series", cursor.series_id, unique=True)


def visible_through(column: ColumnLike, cursor: Cursor) -> ColumnElement[bool]:
    """`column <= cursor`: the item debuts at or before the reader's page."""
    return column <= _bound(cursor)


def strictly_before(column: ColumnLike, cursor: Cursor) -> ColumnElement[bool]:
    """`column < cursor`: the item debuts on a page the reader has already turned past."""
    return column < _bound(cursor)


def same_series(column: ColumnLike, cursor: Cursor) -> ColumnElement[bool]:
    """`column == cursor.series_id`: a cursor in one comic grants nothing in another."""
    return column == _series(cursor)


def visible_in_series(series_column: ColumnLike, debut_column: ColumnLike, cursor: Cursor) -> ColumnElement[bool]:
    """Both halves of the rule at once: same series and debut at or before the cursor."""
    return and_(same_series(series_column, cursor), visible_through(debut_column, cursor))


def before_in_series(series_column: ColumnLike, debut_column: ColumnLike, cursor: Cursor) -> ColumnElement[bool]:
    """Same series and debut strictly before the cursor (page-mode retrieval)."""
    return and_(same_series(series_column, cursor), strictly_before(debut_column, cursor))


def is_visible(debut_index: int, cursor: Cursor) -> bool:
    """The same rule for values already in memory (cache slices, assertions in sweep tests)."""
    return debut_index <= cursor.index


def is_before(debut_index: int, cursor: Cursor) -> bool:
    """Page-mode rule for values already in memory."""
    return debut_index < cursor.index


def page_reach(cursor: Cursor, last_shown: int) -> Cursor:
    """The page-mode retrieval bound when the reader may be looking at an earlier page than the furthest reached.

    Page-mode retrieval is "strictly before" because the visible page goes into the prompt directly. When the
    reader has gone back, the furthest page is reached but not on screen, so it must stay retrievable: the bound
    moves one past the cursor, which admits exactly the pages at or before it (the visible ones are left out by
    the caller). Used only for page chunks, whose debut is their own page; never for wiki or entities.
    """
    return Cursor(cursor.series_id, cursor.index + 1) if last_shown < cursor.index else cursor
