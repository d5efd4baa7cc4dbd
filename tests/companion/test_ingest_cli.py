"""The `scriptorium companion` commands end to end, and re-embedding after a provider switch."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update
from tests.companion.conftest import EMBEDDER, FIXTURES, IngestedSeries

from scriptorium.companion.cli import companion
from scriptorium.companion.ingest.reindex import reindex
from scriptorium.companion.models import Chunk, Series
from scriptorium.core.resources import open_resources


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ENVIRONMENT", "test")
    return CliRunner()


def test_load_sample_twice_changes_nothing_the_second_time(runner: CliRunner) -> None:
    first = runner.invoke(companion, ["load-sample"])
    assert first.exit_code == 0, first.output
    assert "lamplighter: 2 episodes, 16 pages" in first.output and "content version 1" in first.output
    second = runner.invoke(companion, ["load-sample"])
    assert second.exit_code == 0 and "embedded 0; unchanged" in second.output


def test_ingest_reports_bad_input_as_one_clean_error(runner: CliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "series.yaml").write_text("title: no slug\n")
    result = runner.invoke(companion, ["ingest", str(broken), "--no-progress"])
    assert result.exit_code == 1
    assert "series.yaml: slug: Field required" in result.output and "Traceback" not in result.output


def test_ingest_official_layout_with_language_option(runner: CliRunner) -> None:
    result = runner.invoke(companion, ["ingest", str(FIXTURES / "official"), "--lang", "fr", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "pepper-and-carrot: 1 episodes, 2 pages" in result.output


async def test_reindex_re_embeds_only_vectors_from_another_model(sample: IngestedSeries) -> None:
    async with open_resources(sample.settings) as resources:
        async with resources.sessionmaker() as session, session.begin():
            await session.execute(
                update(Chunk).where(Chunk.kind == "wiki").values(embedding_model="ollama:old", embedding_dim=768)
            )
            before = await session.scalar(select(Series.content_version))
        report = await reindex(resources.sessionmaker, EMBEDDER)
        again = await reindex(resources.sessionmaker, EMBEDDER)
        async with resources.sessionmaker() as session:
            models = set((await session.scalars(select(Chunk.embedding_model))).all())
            after = await session.scalar(select(Series.content_version))
    assert report.embedded == 25 and report.series == ["lamplighter"]
    assert again.embedded == 0 and again.series == []
    assert models == {EMBEDDER.name} and after == (before or 0) + 1
