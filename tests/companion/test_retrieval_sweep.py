"""The exhaustive sweep: at EVERY cursor, nothing retrieved debuts past it (page mode: nothing at or past it).

Runs over the bundled sample (whose episode 2 holds real reveals) and a generated 200-page series, through both
the SQL path and the cached path, with queries aimed straight at later content. `sweep.py` holds the reusable
checker (structural debut check plus a text check for later names and sentences) for other features' sweeps.
"""

from __future__ import annotations

from typing import Literal

from tests.companion.conftest import EMBEDDER, IngestedSeries
from tests.companion.sweep import SpoilerOracle, Sweep

from scriptorium.companion.retrieval import RetrievalCache, retrieve
from scriptorium.core.resources import open_resources

SAMPLE_QUERIES = [
    "Who is the Fog Thief really? Is it Keeper Osric?",
    "What is the Ember Heart hidden inside Pim's chest?",
    "the Undertow sea serpent sleeping beneath the harbour",
    "who becomes Keeper of the Great Lamp at the end",
]
Mode = Literal["page", "wiki"]


async def run_sweep(series: IngestedSeries, queries: list[str], *, plain_every: int = 1) -> Sweep:
    cache = RetrievalCache()
    async with open_resources(series.settings) as resources, resources.sessionmaker() as session:
        sweep = Sweep(await SpoilerOracle.load(session, series.series_id))
        for cursor in sweep.cursors():
            for mode in ("page", "wiki"):
                for n, query in enumerate(queries):
                    caches = [cache, None] if (cursor.index + n) % plain_every == 0 else [cache]
                    for use in caches:
                        got = await retrieve(
                            session,
                            EMBEDDER,
                            series_id=series.series_id,
                            mode=mode,
                            query=query,
                            cursor=cursor,
                            k=8,
                            cache=use,
                        )
                        for item in got:
                            what = f"{mode} retrieval of {item.key} ({'cached' if use else 'sql'})"
                            sweep.debut(cursor, item.global_index, what, strict=mode == "page")
                            sweep.text(cursor, item.text, what)
    return sweep


async def test_sample_sweep_every_cursor(sample: IngestedSeries) -> None:
    sweep = await run_sweep(sample, SAMPLE_QUERIES)
    sweep.assert_clean()
    assert sweep.checks > 1000


async def test_generated_200_page_sweep_every_cursor(generated: IngestedSeries) -> None:
    assert generated.page_total == 200
    queries = ["clue-4-50 lantern harbour", "secret betrayal w199x", "Hero39 carries lantern", "m150x storm tower"]
    sweep = await run_sweep(generated, queries, plain_every=4)
    sweep.assert_clean()
    assert sweep.checks > 10_000


async def test_the_sweep_catches_a_leak(sample: IngestedSeries) -> None:
    """The checker is only worth something if it fails on a leak: feed it later content on purpose."""
    async with open_resources(sample.settings) as resources, resources.sessionmaker() as session:
        sweep = Sweep(await SpoilerOracle.load(session, sample.series_id))
    early = sweep.cursors()[2]
    sweep.debut(early, 5, "structural")
    sweep.text(early, "Did you know about the Undertow?", "name")
    sweep.text(early, "He said: the stolen lights are only kindling. The lamp needs its own flame.", "quote")
    sweep.text(early, "Wren lights the lamps of Brine Street.", "visible text")
    assert [leak.what for leak in sweep.leaks] == ["structural", "name", "quote", "quote"]  # two later sentences
