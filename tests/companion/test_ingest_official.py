"""The official Pepper & Carrot sources layout, on invented fixture text (no Pepper & Carrot content is committed).

The last test runs the importer on the real official text layers when they are present beside the project
(`../shared/peppercarrot`, or PEPPERCARROT_SAMPLE_DIR) and compares with the expected-output file there.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image
from sqlalchemy import select
from tests.companion.conftest import FIXTURES, ingest
from tests.migrated_template import migrate
from tests.services import require

from scriptorium.companion.ingest import IngestError
from scriptorium.companion.ingest.bundle import resolve
from scriptorium.companion.ingest.images import process_image
from scriptorium.companion.ingest.official import extract_svg_blocks
from scriptorium.companion.ingest.reader import read_content
from scriptorium.companion.ingest.transcript import read_transcript
from scriptorium.companion.models import Episode, Page, Series
from scriptorium.core.resources import open_resources
from scriptorium.core.settings import Settings

OFFICIAL = FIXTURES / "official"
REAL = Path(os.environ.get("PEPPERCARROT_SAMPLE_DIR", Path(__file__).resolve().parents[3] / "shared" / "peppercarrot"))


def test_svg_blocks_follow_document_order_skip_notes_and_empty_objects() -> None:
    blocks = extract_svg_blocks(OFFICIAL / "ep01_The-Test-Kettle/lang/en/E01P01.svg")
    assert [(b.id, b.layer, b.lines) for b in blocks] == [
        ("a1", "txt", ["The kettle", "is singing again."]),
        ("a2", "txt", ["HISS"]),
    ]
    tspans = extract_svg_blocks(
        OFFICIAL / "Deevad+kettle_ep02_translation/en/Pepper-and-Carrot_by-David-Revoy_E02P01.svg"
    )
    assert [(b.layer, b.text) for b in tspans] == [("text", "A bridge of paper!"), ("text", "SPLASH")]


def test_transcript_orders_by_position_glues_segments_and_hides_rows() -> None:
    pages = read_transcript(OFFICIAL / "ep01_The-Test-Kettle/lang/en/ep01_en_transcript.md")
    assert pages == {1: ["Sound: HISS", "Ada: The kettle is singing again.", "Tomo: Meow | purr"]}


def test_reader_builds_episodes_from_both_name_forms() -> None:
    bundle = read_content(OFFICIAL)
    assert (bundle.slug, bundle.title) == ("pepper-and-carrot", "Pepper&Carrot")
    first, second = bundle.episodes
    assert (first.slug, first.number, first.title) == ("ep01-the-test-kettle", 1, "The Test Kettle")
    assert [p.number for p in first.pages] == [1, 2]  # P00 is the title banner, P03 the credits
    assert first.pages[0].text == "Sound: HISS\nAda: The kettle is singing again.\nTomo: Meow | purr"
    assert first.pages[1].text == "Who put a cat in the kettle?\nTEA SHOP"  # no transcript row: SVG order
    assert first.pages[0].image is not None and "hi-res" in first.pages[0].image.parts
    assert (second.slug, second.title) == ("ep02-the-paper-bridge", "The Paper Bridge")
    assert [p.text for p in second.pages] == ["A bridge of paper!\nSPLASH", "The bridge was the cat."]
    assert second.pages[0].image is not None and second.pages[0].image.suffix == ".svg"
    assert sum("the lettering is drawn on a white page" in w for w in bundle.warnings) == 2


def test_language_option_reads_that_language() -> None:
    bundle = read_content(OFFICIAL, lang="fr")
    assert [e.number for e in bundle.episodes] == [1]
    episode = bundle.episodes[0]
    assert episode.title == "La bouilloire d'essai"
    assert [p.text for p in episode.pages] == ["La bouilloire chante encore.", "Qui a mis un chat dans la bouilloire ?"]


async def test_official_ingest_stores_raster_pages_with_thumbnails(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    migrate(settings)
    report = await ingest(settings, OFFICIAL)
    assert report.counts["episodes"] == 2 and report.counts["pages"] == 4
    async with open_resources(settings) as resources, resources.sessionmaker() as session:
        series = (await session.scalars(select(Series))).one()
        rows = (await session.execute(select(Episode.number, Page).join(Episode).order_by(Page.global_index))).all()
        thumb = await resources.storage.get(rows[0][1].thumb_key)
    assert series.credits.startswith("Pepper&Carrot by David Revoy")
    first = rows[0][1]
    assert (first.content_type, first.width, first.height) == ("image/jpeg", 124, 175)
    assert thumb[:4] == b"RIFF" and first.thumb_key != first.image_key
    assert [(n, p.number, p.global_index) for n, p in rows] == [(1, 1, 0), (1, 2, 1), (2, 1, 2), (2, 2, 3)]


async def test_rendered_pages_are_taken_as_they_are_else_lettering_over_artwork(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    """low-res/<lang>_…P01.jpg is the page as published; without a render, the lettering SVG carries the gfx art."""
    root = tmp_path / "official"
    shutil.copytree(OFFICIAL, root)
    episode = root / "ep01_The-Test-Kettle"
    for path in (episode / "hi-res").glob("en_*E01P0*.jpg"):
        path.unlink()
    Image.new("RGB", (124, 175), (30, 160, 60)).save(episode / "lang/gfx_Pepper-and-Carrot_by-David-Revoy_E01P02.png")
    bundle = read_content(root)
    first = bundle.episodes[0]
    low = episode / "low-res/en_Pepper-and-Carrot_by-David-Revoy_E01P01.jpg"
    assert first.pages[0].image == low
    assert process_image(low).data == low.read_bytes()  # the website's render, byte for byte
    assert first.pages[1].image == episode / "lang/en/E01P02.svg"
    assert not [w for w in bundle.warnings if "E01P02" in w]  # the art was found: nothing to warn about
    settings = make_settings()
    migrate(settings)
    await ingest(settings, root)
    again = await ingest(settings, root)  # conversion and re-encoding are deterministic: nothing new to store
    assert (again.changed, again.images_stored) == (False, 0)
    async with open_resources(settings) as resources, resources.sessionmaker() as session:
        page = (await session.scalars(select(Page).join(Episode).where(Episode.number == 1, Page.number == 2))).one()
        data = await resources.storage.get(page.image_key)
        thumb = await resources.storage.get(page.thumb_key)
    assert (page.content_type, page.width, page.height) == ("image/svg+xml", 2481, 3503)
    svg = etree.fromstring(data)
    lines = ["".join(t.itertext()) for t in svg.iter("{http://www.w3.org/2000/svg}tspan")]
    # The fixture's boxes are 100 units wide at the default 16px: the paragraphs wrap, no word is lost.
    assert " ".join(lines) == "Who put a cat in the kettle? TEA SHOP" and len(lines) > 3
    assert b"data:image/jpeg;base64," in data and b"gfx_art" not in data
    assert thumb[:4] == b"RIFF" and page.thumb_key != page.image_key  # a WebP of the art, not the whole SVG


def test_gap_in_official_pages_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "official"
    shutil.copytree(OFFICIAL, root)
    for path in (root / "ep01_The-Test-Kettle").rglob("*E01P01*"):
        path.unlink()
    with pytest.raises(IngestError) as caught:
        resolve(read_content(root))
    assert "ep01_The-Test-Kettle: missing image for page 1 of 'ep01-the-test-kettle'" in str(caught.value)


def test_real_official_text_matches_the_expected_output() -> None:
    require(
        (REAL / "derived-en-page-text.json").is_file(),
        "real Pepper&Carrot text in ../shared/peppercarrot",
        "set PEPPERCARROT_SAMPLE_DIR",
    )
    expected = json.loads((REAL / "derived-en-page-text.json").read_text())["episodes"]
    compared = 0
    for episode in expected.values():
        for page in episode["pages"].values():
            blocks = extract_svg_blocks(REAL / page["file"])
            got = [{"id": b.id, "layer": b.layer, "lines": b.lines, "text": b.text} for b in blocks]
            assert got == page["blocks"], page["file"]
            compared += 1
    bundle = read_content(REAL)
    by_number = {e.number: e for e in bundle.episodes}
    for episode in expected.values():
        ours = by_number[episode["number"]]
        assert [f"E{ours.number:02d}P{p.number:02d}" for p in ours.pages] == episode["story_pages"]
        for page in ours.pages:
            blocks = episode["pages"][f"E{ours.number:02d}P{page.number:02d}"]["blocks"]
            assert page.text == "\n".join(b["text"] for b in blocks)
    assert compared == 24
