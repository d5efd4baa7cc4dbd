"""Our own content folder: what lands in the database and storage, idempotent re-runs, and clear errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from sqlalchemy import func, select
from tests.companion.conftest import EMBEDDER, ingest

from scriptorium.companion.ingest import IngestError
from scriptorium.companion.models import Chunk, Entity, Episode, Page, Relation, Series, WikiArticle, WikiSection
from scriptorium.core.resources import open_resources
from scriptorium.core.settings import Settings

MODELS = (Series, Episode, Page, WikiArticle, WikiSection, Entity, Relation, Chunk)


@pytest.fixture
def db(make_settings: Callable[..., Settings], migrate: Callable[[Settings], None]) -> Settings:
    settings = make_settings()
    migrate(settings)
    return settings


async def snapshot(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every Companion table, as comparable tuples."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with open_resources(settings) as resources, resources.sessionmaker() as session:
        for model in MODELS:
            table = model.__table__
            columns = [c for c in table.columns if c.name != "updated_at"]
            rows = await session.execute(select(*columns).order_by(*table.primary_key.columns))  # type: ignore[attr-defined]
            out[model.__tablename__] = [tuple(r) for r in rows]
    return out


async def pages(settings: Settings) -> list[Page]:
    async with open_resources(settings) as resources, resources.sessionmaker() as session:
        return list((await session.scalars(select(Page).order_by(Page.global_index))).all())


async def test_folder_ingest_writes_pages_images_wiki_world_and_vectors(
    db: Settings, copy_fixture: Callable[[str], Path]
) -> None:
    report = await ingest(db, copy_fixture("folder"))
    assert report.changed and report.content_version == 1 and report.warnings == []
    assert report.counts == {
        "episodes": 2, "pages": 4, "articles": 2, "sections": 3, "entities": 3, "relations": 2, "chunks": 7,
    }  # fmt: skip
    rows = await pages(db)
    assert [(p.number, p.global_index) for p in rows] == [(1, 0), (2, 1), (1, 2), (2, 3)]
    assert rows[1].characters == ["ada", "tomo"] and rows[0].recap.startswith("Ada hears")
    png = rows[2]
    assert png.content_type == "image/png" and (png.width, png.height) == (300, 424)
    assert png.thumb_key != png.image_key and png.thumb_key.endswith("-thumb.webp")
    assert rows[0].thumb_key == rows[0].image_key  # SVG pages are their own thumbnail
    async with open_resources(db) as resources, resources.sessionmaker() as session:
        for page in rows:
            assert await resources.storage.exists(page.image_key) and await resources.storage.exists(page.thumb_key)
        stored = await resources.storage.get(rows[1].image_key)
        chunks = (await session.scalars(select(Chunk).order_by(Chunk.key))).all()
        sections = sorted((s.heading, s.debut_index) for s in (await session.scalars(select(WikiSection))).all())
        entities = {e.slug: (e.kind, e.debut_index, e.aliases) for e in (await session.scalars(select(Entity))).all()}
        edge = (await session.scalars(select(Relation).where(Relation.label == "disguised_as"))).one()
    assert b"<script" not in stored and b"onload" not in stored and b"Kettle 2" in stored
    assert sections == [("Overview", 0), ("Overview", 1), ("The bridge", 3)]
    assert entities["paper-bridge"] == ("place", 2, ["bridge"]) and entities["tomo"][1] == 1
    assert edge.debut_index == 3 and edge.summary == "Tomo was the bridge."
    for chunk in chunks:
        assert chunk.embedding_model == EMBEDDER.name and chunk.embedding_dim == EMBEDDER.dimension
        vector = np.frombuffer(chunk.embedding or b"", dtype="<f4")
        assert vector.shape == (EMBEDDER.dimension,) and abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4
        assert chunk.tokens and chunk.tokens == chunk.tokens.lower()
    page_chunk = next(c for c in chunks if c.key == "page:ep01-kettle:2")
    assert "Characters: Ada, Tomo." in page_chunk.text and page_chunk.debut_index == 1


async def test_rerun_changes_nothing(db: Settings, copy_fixture: Callable[[str], Path]) -> None:
    root = copy_fixture("folder")
    await ingest(db, root)
    before = await snapshot(db)
    report = await ingest(db, root)
    assert not report.changed and report.embedded == 0 and report.images_stored == 0 and report.removed == {}
    assert await snapshot(db) == before


async def test_deleted_page_is_removed_with_its_chunk_and_image(
    db: Settings, copy_fixture: Callable[[str], Path]
) -> None:
    root = copy_fixture("folder")
    await ingest(db, root)
    old = (await pages(db))[-1]
    listing = root / "episodes/ep02-bridge/pages.yaml"
    data = yaml.safe_load(listing.read_text())
    data["pages"] = data["pages"][:1]
    listing.write_text(yaml.safe_dump(data))
    (root / "episodes/ep02-bridge/pages/02.svg").unlink()
    wiki = root / "wiki/tomo.yaml"
    article = yaml.safe_load(wiki.read_text())
    article["sections"][1]["debut"] = "2:1"
    wiki.write_text(yaml.safe_dump(article))
    world = yaml.safe_load((root / "world.yaml").read_text())
    world["relations"] = world["relations"][:1]
    (root / "world.yaml").write_text(yaml.safe_dump(world))

    report = await ingest(db, root)
    assert report.changed and report.content_version == 2
    assert report.removed == {"pages": 1, "relations": 1, "chunks": 1}
    assert [p.global_index for p in await pages(db)] == [0, 1, 2]
    async with open_resources(db) as resources, resources.sessionmaker() as session:
        assert not await resources.storage.exists(old.image_key)
        keys = set((await session.scalars(select(Chunk.key))).all())
        series = (await session.scalars(select(Series))).one()
    assert "page:ep02-bridge:2" not in keys and series.page_total == 3


async def test_inserted_page_shifts_later_indexes_and_reembeds_only_what_changed(
    db: Settings, copy_fixture: Callable[[str], Path]
) -> None:
    root = copy_fixture("folder")
    await ingest(db, root)
    ids_before = {(p.episode_id, p.number): p.id for p in await pages(db)}
    listing = root / "episodes/ep01-kettle/pages.yaml"
    data = yaml.safe_load(listing.read_text())
    data["pages"].append({"number": 3, "text": "Ada: Goodnight, kettle."})
    listing.write_text(yaml.safe_dump(data))
    (root / "episodes/ep01-kettle/pages/03.svg").write_bytes((root / "episodes/ep01-kettle/pages/01.svg").read_bytes())

    report = await ingest(db, root)
    rows = await pages(db)
    assert [p.global_index for p in rows] == [0, 1, 2, 3, 4]
    assert all(ids_before[(p.episode_id, p.number)] == p.id for p in rows if (p.episode_id, p.number) in ids_before)
    # Only the new page's chunk is new text; the wiki section "The bridge" keeps its explicit (2, 2) debut.
    assert report.embedded == 1
    async with open_resources(db) as resources, resources.sessionmaker() as session:
        bridge = (await session.scalars(select(WikiSection).where(WikiSection.heading == "The bridge"))).one()
    assert bridge.debut_index == 4


def edit(path: Path, change: Callable[[Any], None]) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))


async def expect_error(settings: Settings, root: Path, *fragments: str) -> str:
    with pytest.raises(IngestError) as caught:
        await ingest(settings, root)
    message = caught.value.public_message
    for fragment in fragments:
        assert fragment in message, message
    return message


async def test_missing_image_names_the_file(db: Settings, copy_fixture: Callable[[str], Path]) -> None:
    root = copy_fixture("folder")
    (root / "episodes/ep02-bridge/pages/01.png").unlink()
    await expect_error(db, root, "ep02-bridge/pages/01.svg: missing image for page 1")


async def test_page_gap_names_the_listing(db: Settings, copy_fixture: Callable[[str], Path]) -> None:
    root = copy_fixture("folder")
    edit(root / "episodes/ep01-kettle/pages.yaml", lambda d: d["pages"][1].update(number=3))
    (root / "episodes/ep01-kettle/pages/02.svg").rename(root / "episodes/ep01-kettle/pages/03.svg")
    await expect_error(db, root, "ep01-kettle/episode.yaml", "without gaps: missing page(s) [2]")


async def test_debut_past_the_end_names_file_and_item_and_writes_nothing(
    db: Settings, copy_fixture: Callable[[str], Path]
) -> None:
    root = copy_fixture("folder")
    edit(root / "world.yaml", lambda d: d["entities"][1].update(debut="3:1"))
    edit(root / "wiki/kettle.yaml", lambda d: d["sections"][0].update(debut="2:9"))
    message = await expect_error(db, root, "world.yaml: entity 'tomo' debuts at episode 3 page 1, past the end")
    assert "kettle.yaml: wiki section 'kettle' / 'Overview' debuts at episode 2 page 9" in message
    assert all(rows == [] for rows in (await snapshot(db)).values())


BAD_FILES = [
    ("series.yaml", "slug: Kettle Tales\ntitle: x\n", "series.yaml: slug: String should match pattern"),
    (
        "world.yaml",
        "entities:\n  - {slug: a, name: A, kind: robot, debut: '1:1'}\n",
        "entity 'a' has unknown kind 'robot'",
    ),
    (
        "wiki/kettle.yaml",
        "title: K\nsections:\n  - {heading: H, debut: '1:1', txt: oops}\n",
        "kettle.yaml: sections.0.text: Field required",
    ),
    ("episodes/ep01-kettle/episode.yaml", "number: [1\n", "episode.yaml: not valid YAML"),
]


@pytest.mark.parametrize(("file", "content", "fragment"), BAD_FILES)
async def test_bad_files_are_reported_by_name(
    db: Settings, copy_fixture: Callable[[str], Path], file: str, content: str, fragment: str
) -> None:
    root = copy_fixture("folder")
    (root / file).write_text(content)
    await expect_error(db, root, fragment)


async def test_relation_to_unknown_entity_and_stray_image_are_errors(
    db: Settings, copy_fixture: Callable[[str], Path]
) -> None:
    root = copy_fixture("folder")
    edit(
        root / "world.yaml",
        lambda d: d["relations"].append({"source": "tomo", "label": "x", "target": "nobody", "debut": "1:2"}),
    )
    await expect_error(db, root, "relation tomo -x-> nobody refers to unknown entity 'nobody'")
    edit(root / "world.yaml", lambda d: d["relations"].pop())
    (root / "episodes/ep01-kettle/pages/07.svg").write_text(
        "<svg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/>"
    )
    await expect_error(db, root, "pages/07.svg: page image has no entry in", "pages.yaml")


async def test_a_page_cannot_list_a_character_before_their_debut(
    db: Settings, copy_fixture: Callable[[str], Path]
) -> None:
    root = copy_fixture("folder")
    edit(root / "episodes/ep01-kettle/pages.yaml", lambda d: d["pages"][0].update(characters=["ada", "tomo"]))
    report = await ingest(db, root)
    assert any("lists ['tomo'] before their debut" in w for w in report.warnings)
    assert (await pages(db))[0].characters == ["ada"]


async def test_sample_folder_ingests_without_warnings(sample: Any) -> None:
    async with open_resources(sample.settings) as resources, resources.sessionmaker() as session:
        series = (await session.scalars(select(Series))).one()
        count = await session.scalar(select(func.count()).select_from(Page))
        episodes = (await session.scalars(select(Episode).order_by(Episode.number))).all()
    assert series.slug == "lamplighter" and count == series.page_total == 16
    assert [e.page_count for e in episodes] == [8, 8] and episodes[1].start_index == 8
    assert all(e.cover_page_id for e in episodes)


async def test_text_naming_an_entity_before_its_debut_is_flagged(
    db: Settings, copy_fixture: Callable[[str], Path]
) -> None:
    root = copy_fixture("folder")
    edit(root / "wiki/kettle.yaml", lambda d: d["sections"][0].update(text="A kettle where Tomo hides."))
    report = await ingest(db, root)
    flagged = [w for w in report.warnings if "before its debut" in w]
    where = f"{root / 'wiki/kettle.yaml'}: wiki section 'kettle' / 'Overview'"
    assert flagged == [f"{where} names 'Tomo' (debuts at episode 1 page 2) before its debut; sentence withheld:"
                       " 'A kettle where Tomo hides.'"]  # fmt: skip


def test_sample_content_has_no_early_mentions() -> None:
    from scriptorium.companion.cli import SAMPLE_DIR
    from scriptorium.companion.ingest.bundle import resolve
    from scriptorium.companion.ingest.lint import early_mentions
    from scriptorium.companion.ingest.reader import read_content

    resolved = resolve(read_content(SAMPLE_DIR))
    assert resolved.warnings == [] and early_mentions(resolved) == []
