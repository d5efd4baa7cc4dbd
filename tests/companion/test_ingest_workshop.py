"""The original companion's files (page JSON, world-graph YAML, wiki Markdown), on invented fixture data."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.companion.conftest import FIXTURES, ingest
from tests.migrated_template import migrate
from tests.services import require

from scriptorium.companion.ingest import IngestError
from scriptorium.companion.ingest.bundle import resolve
from scriptorium.companion.ingest.reader import read_content
from scriptorium.companion.models import Entity, Page, Relation, WikiArticle, WikiSection
from scriptorium.core.resources import open_resources
from scriptorium.core.settings import Settings

WORKSHOP = FIXTURES / "workshop"
REAL = Path(os.environ.get("PEPPERCARROT_SAMPLE_DIR", Path(__file__).resolve().parents[3] / "shared" / "peppercarrot"))


def test_unreached_world_items_fail_by_default_naming_the_file() -> None:
    with pytest.raises(IngestError) as caught:
        resolve(read_content(WORKSHOP))
    message = caught.value.public_message
    assert "entities.yaml: entity 'ghost' debuts at episode 5 page 1, past the end" in message
    assert "use --skip-unreached" in message


async def test_workshop_ingest_maps_pages_world_and_wiki(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    migrate(settings)
    report = await ingest(settings, WORKSHOP, skip_unreached=True)
    assert any("skipped entity 'ghost'" in w for w in report.warnings)
    unplaced = [w for w in report.warnings if "no page places it (debut unknown)" in w]
    assert any("wiki section 'ada' / 2" in w for w in unplaced) and any("'kettles'" in w for w in unplaced)
    async with open_resources(settings) as resources, resources.sessionmaker() as session:
        pages = (await session.scalars(select(Page).order_by(Page.global_index))).all()
        entities = {e.slug: e for e in (await session.scalars(select(Entity))).all()}
        relations = {r.label for r in (await session.scalars(select(Relation))).all()}
        articles = {a.slug for a in (await session.scalars(select(WikiArticle))).all()}
        sections = (
            await session.execute(
                select(WikiArticle.slug, WikiSection.position, WikiSection.debut_index).join(WikiArticle)
            )
        ).all()
        avatar = await resources.storage.exists(entities["ada"].image_key or "")
    assert [p.text for p in pages] == ["Ada: Why does it whistle?\nFWEEE", "Tomo: Meow."]
    assert pages[0].description == "Ada stares at a copper kettle on a cold stove. Mood: curious, sleepy."
    assert pages[1].characters == ["ada", "tomo"] and pages[0].content_type == "image/png"
    assert entities["steamers"].kind == "faction" and (entities["tomo"].x, entities["tomo"].y) == (110, 110)
    assert avatar and entities["tomo"].image_key is None  # its avatar file does not exist
    assert "ghost" not in entities and relations == {"familiar_of", "member_of"}
    # The ghost's own article is dropped with it: its text would introduce the ghost early.
    assert articles == {"ada"}
    debuts = {(slug, pos): debut for slug, pos, debut in sections}
    # Entity article: first paragraph with the entity. Nothing places the later paragraphs ("Years later Ada
    # becomes...") or the topic article, so their debut is unknown and they are never shown (they used to be
    # shown on the last ingested page, which revealed later lore in a partial import).
    assert debuts == {("ada", 0): 0}


def test_missing_page_image_names_the_json(tmp_path: Path) -> None:
    root = tmp_path / "w"
    pages = root / "data/raw/ep01-x/pages"
    pages.mkdir(parents=True)
    (root / "data/raw/ep01-x/metadata.yaml").write_text("slug: ep01-x\ntitle: X\nepisode_number: 1\n")
    (pages / "page_001.json").write_text(json.dumps({"visual_description": "A page.", "dialogue": []}))
    with pytest.raises(IngestError) as caught:
        resolve(read_content(root))
    assert "pages/page_001.jpg: missing image for page 1 of 'ep01-x'" in caught.value.public_message


def test_bad_page_json_names_file_and_field(tmp_path: Path) -> None:
    root = tmp_path / "w"
    pages = root / "data/raw/ep01-x/pages"
    pages.mkdir(parents=True)
    (root / "data/raw/ep01-x/metadata.yaml").write_text("slug: ep01-x\ntitle: X\nepisode_number: 1\n")
    (pages / "page_001.json").write_text(json.dumps({"dialogue": [{"speaker": "A"}]}))
    with pytest.raises(IngestError) as caught:
        read_content(root)
    assert "page_001.json: dialogue.0.text: Field required" in caught.value.public_message


async def test_real_sample_imports_with_skip_unreached(make_settings: Callable[..., Settings]) -> None:
    """Official text of episodes 1-3 plus the original's world graph and wiki summaries, all together."""
    require(
        (REAL / "workshop").is_dir(),
        "real Pepper&Carrot workshop files in ../shared/peppercarrot",
        "set PEPPERCARROT_SAMPLE_DIR",
    )
    settings = make_settings()
    migrate(settings)
    with pytest.raises(IngestError):
        await ingest(settings, REAL)
    report = await ingest(settings, REAL, skip_unreached=True)
    assert report.counts["episodes"] == 3 and report.counts["pages"] == 15
    async with open_resources(settings) as resources, resources.sessionmaker() as session:
        entities = {e.slug: e.debut_index for e in (await session.scalars(select(Entity))).all()}
        texts = (
            await session.execute(select(WikiArticle.slug, WikiSection.text, WikiSection.debut_index).join(WikiArticle))
        ).all()
    # Debuts up to episode 3 survive: saffron at (3, 2) = index 3 + 5 + 1 = 9; thyme (episode 11) does not.
    assert entities["saffron"] == 9 and entities["pepper"] == 0 and "thyme" not in entities
    # No wiki text that survives names a character the reader cannot have met in episodes 1-3.
    later = ["Thyme", "Cayenne", "Cumin", "Shichimi", "Coriander", "Truffel", "Torreya", "Yuzu"]
    assert texts and not [(slug, name) for slug, text, _ in texts for name in later if name in text]
    assert all(debut >= entities.get(slug, 0) for slug, _, debut in texts)
