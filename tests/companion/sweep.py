"""A reusable spoiler sweep: run a check at every cursor of a series and collect every leak found.

Two kinds of evidence:
- structural: an item carries a debut index (`sweep.debut(...)`): it must be <= the cursor (or < it, `strict`,
  for page-mode retrieval);
- textual: a string that reaches the reader or a model (a prompt, a chip, an answer, a wiki excerpt, a URL) must
  contain no name of an entity that debuts later, no entry of the series' name index (`companion_names`: aliases,
  wiki titles, proper names found in prose, dropped entities) that debuts later or has no known debut, and no
  distinctive sentence that only appears in later content (`sweep.text(...)`). The `SpoilerOracle` learns all of
  it from the database, so it works for any ingested series. Its name matching is its own (not `spoilers.py`'s):
  whole words, names of up to three letters and prose-only names with their case, others in any case.

Usage (see test_retrieval_sweep.py):

    oracle = await SpoilerOracle.load(session, series_id)
    sweep = Sweep(oracle)
    for cursor in sweep.cursors():
        items = await retrieve(...)
        for item in items:
            sweep.debut(cursor, item.global_index, f"retrieved {item.key}", strict=True)
            sweep.text(cursor, item.text, f"retrieved {item.key}")
    sweep.assert_clean()
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.companion.boundary import Cursor
from scriptorium.companion.models import Entity, Page, Relation, Series, SpoilerName, WikiArticle, WikiSection

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
MIN_FRAGMENT = 24


@dataclass(frozen=True)
class Leak:
    cursor: int
    what: str
    detail: str


@dataclass
class SpoilerOracle:
    """Everything spoilable in one series with its debut: entity names and the sentences of every text."""

    series_id: str
    page_total: int
    names: list[tuple[int, str]] = field(default_factory=list)
    fragments: list[tuple[int, str]] = field(default_factory=list)
    indexed: list[tuple[int | None, str, bool]] = field(default_factory=list)
    """(debut or None, name, matched with its case) for every entry of the name index."""

    @classmethod
    async def load(cls, session: AsyncSession, series_id: str) -> SpoilerOracle:
        total = await session.scalar(select(Series.page_total).where(Series.id == series_id)) or 0
        oracle = cls(series_id, int(total))
        for debut, name in await session.execute(
            select(Entity.debut_index, Entity.name).where(Entity.series_id == series_id)
        ):
            oracle.names.append((debut, re.sub(r"^the\s+", "", name, flags=re.IGNORECASE)))
        for placed, name, source in await session.execute(
            select(SpoilerName.debut_index, SpoilerName.name, SpoilerName.source).where(
                SpoilerName.series_id == series_id
            )
        ):
            oracle.indexed.append((placed, name, source == "prose" or len(name) <= 3))
        texts: list[tuple[int, str]] = []
        texts += list(
            (await session.execute(select(Page.global_index, Page.text).where(Page.series_id == series_id))).all()
        )
        texts += list(
            (
                await session.execute(select(Page.global_index, Page.description).where(Page.series_id == series_id))
            ).all()
        )
        texts += list(
            (await session.execute(select(Page.global_index, Page.recap).where(Page.series_id == series_id))).all()
        )
        texts += list(
            (
                await session.execute(
                    select(WikiSection.debut_index, WikiSection.text)
                    .join(WikiArticle, WikiArticle.id == WikiSection.article_id)
                    .where(WikiArticle.series_id == series_id)
                )
            ).all()
        )
        texts += list(
            (
                await session.execute(
                    select(Relation.debut_index, Relation.summary).where(Relation.series_id == series_id)
                )
            ).all()
        )
        for debut, text in texts:
            for fragment in _SENTENCE.split(text or ""):
                fragment = fragment.split(": ", 1)[-1].strip()
                if len(fragment) >= MIN_FRAGMENT:
                    oracle.fragments.append((debut, fragment))
        return oracle

    def cursors(self) -> list[Cursor]:
        return [Cursor(self.series_id, index) for index in range(self.page_total)]

    _hidden: dict[int, tuple[list[re.Pattern[str]], list[str]]] = field(default_factory=dict)

    def hidden(self, cursor: Cursor) -> tuple[list[re.Pattern[str]], list[str]]:
        """(patterns of later entity names, later sentences) for a cursor, computed once per cursor."""
        if cursor.index not in self._hidden:
            seen = {name.lower() for debut, name in self.names if debut <= cursor.index}
            seen |= {name.lower() for debut, name, _ in self.indexed if debut is not None and debut <= cursor.index}
            names = {name for debut, name in self.names if debut > cursor.index and name.lower() not in seen}
            patterns = [re.compile(rf"\b{re.escape(name)}\b", re.IGNORECASE) for name in sorted(names)]
            covered = {name.lower() for name in names}
            for debut, name, exact in sorted(self.indexed, key=lambda item: item[1]):
                if (debut is None or debut > cursor.index) and name.lower() not in seen | covered:
                    flags = 0 if exact else re.IGNORECASE
                    patterns.append(re.compile(rf"(?<![\w&]){_words(name)}(?![\w&])", flags))
            shown = {text.lower() for debut, text in self.fragments if debut <= cursor.index}
            later = {text.lower() for debut, text in self.fragments if debut > cursor.index} - shown
            self._hidden[cursor.index] = (patterns, sorted(later))
        return self._hidden[cursor.index]


def _words(name: str) -> str:
    """A name as a pattern: any whitespace between words, either apostrophe."""
    return re.sub(r"['’]", "['’]", r"\s+".join(re.escape(word) for word in name.split()))


@dataclass
class Sweep:
    oracle: SpoilerOracle
    leaks: list[Leak] = field(default_factory=list)
    checks: int = 0

    def cursors(self) -> list[Cursor]:
        return self.oracle.cursors()

    def debut(self, cursor: Cursor, debut_index: int, what: str, *, strict: bool = False) -> None:
        """Record a leak if an item's debut is past the cursor (strict: at or past it)."""
        self.checks += 1
        if debut_index > cursor.index or (strict and debut_index >= cursor.index):
            rule = "<" if strict else "<="
            self.leaks.append(Leak(cursor.index, what, f"debut {debut_index} not {rule} cursor {cursor.index}"))

    def text(self, cursor: Cursor, text: str, what: str) -> None:
        """Record a leak if the text names a later entity or quotes a sentence only later content contains."""
        self.checks += 1
        lowered = text.lower()
        patterns, fragments = self.oracle.hidden(cursor)
        for pattern in patterns:
            if pattern.search(text):
                self.leaks.append(Leak(cursor.index, what, f"names {pattern.pattern!r}, which debuts later"))
        for fragment in fragments:
            if fragment in lowered:
                self.leaks.append(Leak(cursor.index, what, f"quotes later text {fragment[:60]!r}"))

    def assert_clean(self) -> None:
        assert self.checks > 0, "the sweep checked nothing"
        if self.leaks:
            shown = "\n".join(f"  cursor {leak.cursor}: {leak.what}: {leak.detail}" for leak in self.leaks[:20])
            raise AssertionError(f"{len(self.leaks)} spoiler leak(s) in {self.checks} checks:\n{shown}")
