"""Shared Companion fixtures: a database with the sample comic (or a generated 200-page series) already ingested.

Ingesting costs about a second, so each is done once per test process into a template folder (SQLite file plus
local storage) and every test gets its own copy: tests stay independent and parallel-safe, and start in
milliseconds. `sample.settings` points at the copy; open resources on it, or pass it to the app.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from tests.migrated_template import MigratedTemplate

from scriptorium.companion.cli import SAMPLE_DIR
from scriptorium.companion.ingest import IngestReport, ingest_path
from scriptorium.companion.models import Episode, Page
from scriptorium.core.embeddings.offline import OfflineEmbedder
from scriptorium.core.resources import open_resources
from scriptorium.core.settings import Settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "companion"
EMBEDDER = OfflineEmbedder()
"""One offline embedder per test process: the model loads once; it is thread-safe and loop-agnostic."""


def isolated_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Lite settings that ignore the environment (session fixtures run before the per-test env cleanup)."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "environment": "test",
        "profile": "lite",
        "database_url": "",
        "database_url_override": "",
        "embedding_provider": "offline",
        "embedding_model": "",
        "storage_backend": "local",
        "job_backend": "memory",
        "run_consumer_in_process": False,
        "_env_file": None,
    }
    values.update(overrides)
    return Settings(**values)


async def ingest(settings: Settings, path: Path, **options: Any) -> IngestReport:
    async with open_resources(settings) as resources:
        return await ingest_path(
            path, sessionmaker=resources.sessionmaker, storage=resources.storage, embedder=EMBEDDER, **options
        )


@dataclass
class IngestedSeries:
    """A migrated database holding one ingested series; `index_of[(episode, page)]` is the global page index."""

    settings: Settings
    series_id: str
    page_total: int
    index_of: dict[tuple[int, int], int]
    root: Path


async def _describe(settings: Settings, root: Path, report: IngestReport) -> IngestedSeries:
    async with open_resources(settings) as resources, resources.sessionmaker() as session:
        rows = await session.execute(
            select(Episode.number, Page.number, Page.global_index).join(Episode, Episode.id == Page.episode_id)
        )
        index_of = {(e, p): g for e, p, g in rows}
    return IngestedSeries(settings, report.series_id, len(index_of), index_of, root)


def _template(
    tmp_path_factory: pytest.TempPathFactory, migrated: MigratedTemplate, name: str, source: Path
) -> IngestedSeries:
    base = tmp_path_factory.mktemp(name)
    settings = isolated_settings(base / "var")
    migrated.apply(settings)

    async def build() -> IngestedSeries:
        report = await ingest(settings, source)
        return await _describe(settings, source, report)

    return asyncio.run(build())


def _copy(template: IngestedSeries, target: Path) -> IngestedSeries:
    shutil.copytree(template.settings.data_dir, target / "var")
    settings = isolated_settings(target / "var")
    return IngestedSeries(settings, template.series_id, template.page_total, template.index_of, template.root)


@pytest.fixture(scope="session")
def _sample_template(tmp_path_factory: pytest.TempPathFactory, migrated_template: MigratedTemplate) -> IngestedSeries:
    return _template(tmp_path_factory, migrated_template, "sample", SAMPLE_DIR)


@pytest.fixture
def sample(_sample_template: IngestedSeries, tmp_path: Path) -> IngestedSeries:
    """The bundled sample comic, ingested into this test's own database and storage."""
    return _copy(_sample_template, tmp_path)


def write_generated_series(root: Path, *, episodes: int = 4, pages: int = 50) -> Path:
    """A synthetic series in our folder format: every page and wiki section carries a unique marker word.

    Page (e, p) says "clue-e-p" and names the entity debuting there; every fifth page debuts an entity with a
    wiki article whose second section debuts ten pages later. Markers make leaks easy to detect by text.
    """
    (root / "series.yaml").write_text(yaml.safe_dump({"slug": "generated", "title": "Generated"}), encoding="utf-8")
    entities, relations = [], []
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="60" height="85"><rect width="60" height="85"/></svg>'
    total = episodes * pages
    for e in range(1, episodes + 1):
        folder = root / "episodes" / f"ep{e:02d}"
        (folder / "pages").mkdir(parents=True)
        (folder / "episode.yaml").write_text(yaml.safe_dump({"number": e, "title": f"Part {e}"}), encoding="utf-8")
        listed = []
        for p in range(1, pages + 1):
            g = (e - 1) * pages + p - 1
            (folder / "pages" / f"{p:02d}.svg").write_text(svg, encoding="utf-8")
            characters = [f"hero{g // 5}"] if g % 5 == 0 else []
            listed.append(
                {
                    "number": p,
                    "text": f"Narrator: clue-{e}-{p} the lantern moves to harbour {g % 7} with hero{g // 5}.",
                    "description": f"Page marker m{g}x. Storm number {g % 11} over the tower.",
                    "characters": characters,
                }
            )
            if g % 5 == 0:
                entities.append(
                    {"slug": f"hero{g // 5}", "name": f"Hero{g // 5}", "kind": "character", "debut": f"{e}:{p}"}
                )
                if g >= 5:
                    relations.append(
                        {
                            "source": f"hero{g // 5}",
                            "label": "follows",
                            "target": f"hero{g // 5 - 1}",
                            "debut": f"{e}:{p}",
                        }
                    )
                late = min(g + 10, total - 1)
                article = {
                    "title": f"Hero{g // 5}",
                    "entity": f"hero{g // 5}",
                    "sections": [
                        {"heading": "Overview", "debut": f"{e}:{p}", "text": f"Hero{g // 5} carries lantern w{g}x."},
                        {
                            "heading": "Secret",
                            "debut": f"{late // pages + 1}:{late % pages + 1}",
                            "text": f"Hero{g // 5} secret w{late}x betrayal.",
                        },
                    ],
                }
                (root / "wiki").mkdir(exist_ok=True)
                (root / "wiki" / f"hero{g // 5}.yaml").write_text(yaml.safe_dump(article), encoding="utf-8")
        (folder / "pages.yaml").write_text(yaml.safe_dump({"pages": listed}), encoding="utf-8")
    (root / "world.yaml").write_text(yaml.safe_dump({"entities": entities, "relations": relations}), encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def _generated_template(
    tmp_path_factory: pytest.TempPathFactory, migrated_template: MigratedTemplate
) -> IngestedSeries:
    source = write_generated_series(tmp_path_factory.mktemp("generated-src"))
    return _template(tmp_path_factory, migrated_template, "generated", source)


@pytest.fixture
def generated(_generated_template: IngestedSeries, tmp_path: Path) -> IngestedSeries:
    """A generated 200-page series (4 episodes of 50), ingested into this test's own database."""
    return _copy(_generated_template, tmp_path)


@pytest.fixture
def copy_fixture(tmp_path: Path) -> Callable[[str], Path]:
    """Copy a fixture folder from tests/fixtures/companion into tmp_path so a test may edit it."""

    def copy(name: str) -> Path:
        target = tmp_path / "content" / name
        shutil.copytree(FIXTURES / name, target)
        return target

    return copy
