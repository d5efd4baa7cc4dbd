"""The spoiler rule itself: validated cursors, bound parameters, and the same answer in SQL and in memory."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from tests.companion.conftest import IngestedSeries

from scriptorium.companion.boundary import (
    Cursor,
    before_in_series,
    is_before,
    is_visible,
    page_reach,
    strictly_before,
    visible_in_series,
    visible_through,
)
from scriptorium.companion.models import Entity, Relation, WikiSection
from scriptorium.core.errors import ValidationFailed
from scriptorium.core.resources import open_resources


@pytest.mark.parametrize("index", [-1, True, 1.5, "3"])
def test_cursor_rejects_anything_but_a_non_negative_int(index: object) -> None:
    with pytest.raises(ValidationFailed):
        Cursor("s", index)  # type: ignore[arg-type]


def test_conditions_bind_the_cursor_as_parameters_never_as_sql_text() -> None:
    cursor = Cursor("series-1", 7)
    stmt = select(Entity.id, Relation.id).where(
        visible_in_series(Entity.series_id, Entity.debut_index, cursor),
        strictly_before(Relation.debut_index, cursor),
    )
    for dialect in (sqlite.dialect(), postgresql.dialect()):  # type: ignore[no-untyped-call]
        compiled = stmt.compile(dialect=dialect)
        sql = str(compiled)
        assert "7" not in sql and "series-1" not in sql
        assert sorted(v for v in compiled.params.values() if isinstance(v, int)) == [7, 7]
        assert "series-1" in compiled.params.values()
    assert "<=" in str(visible_through(Entity.debut_index, cursor)) and "<" in str(
        strictly_before(Entity.debut_index, cursor)
    )


@pytest.mark.parametrize(("debut", "visible", "before"), [(2, True, True), (3, True, False), (4, False, False)])
def test_in_memory_rule_matches_the_sql_rule(debut: int, visible: bool, before: bool) -> None:
    cursor = Cursor("s", 3)
    assert is_visible(debut, cursor) is visible and is_before(debut, cursor) is before


async def test_sql_conditions_select_exactly_the_debuted_rows(sample: IngestedSeries) -> None:
    async with open_resources(sample.settings) as resources, resources.sessionmaker() as session:
        every = (await session.execute(select(WikiSection.debut_index))).scalars().all()
        debuts = (await session.execute(select(Entity.debut_index))).scalars().all()
        for index in (0, 7, 10, 15):
            cursor = Cursor(sample.series_id, index)
            shown = (
                await session.scalars(
                    select(Entity.debut_index).where(visible_in_series(Entity.series_id, Entity.debut_index, cursor))
                )
            ).all()
            earlier = (
                await session.scalars(
                    select(Entity.debut_index).where(before_in_series(Entity.series_id, Entity.debut_index, cursor))
                )
            ).all()
            assert sorted(shown) == sorted(d for d in debuts if d <= index)
            assert sorted(earlier) == sorted(d for d in debuts if d < index)
        other = Cursor("another-series", 15)
        assert (
            await session.scalars(
                select(Entity.id).where(visible_in_series(Entity.series_id, Entity.debut_index, other))
            )
        ).all() == []
    assert max(every) == 15  # the sample really has late wiki sections to protect


@pytest.mark.parametrize(
    ("last_shown", "admits"), [(5, [0, 1, 2, 3, 4]), (3, [0, 1, 2, 3, 4, 5]), (0, [0, 1, 2, 3, 4, 5])]
)
def test_page_reach_admits_reached_pages_only_when_the_reader_went_back(last_shown: int, admits: list[int]) -> None:
    """On the furthest page, page-mode retrieval stays strictly before it (the page is in the prompt); behind it,
    the furthest page is reached but not on screen, so it is admitted, and never one page more."""
    cursor = Cursor("s", 5)
    reach = page_reach(cursor, last_shown)
    assert [i for i in range(10) if is_before(i, reach)] == admits
    assert reach.series_id == "s"
