"""Reader for the official Pepper & Carrot sources layout (see docs/companion-content.md, "Official layout").

Files are found by name, wherever they sit under the root: rendered pages `<lang>_Pepper-and-Carrot_by-David-Revoy_
E01P01.jpg` (hi-res preferred over low-res), text-free art `gfx_...`, and per-language lettering SVGs (`lang/en/E01P01
.svg` or the 2017 long name). P00 is the title banner and the highest P the credits page; story pages are the ones in
between, numbered by their P. Page text comes from the official transcript when present (speaker and reading order),
else from the SVG text objects in document order. The page image is the website's rendered page for the language
(`hi-res/` over `low-res/`), taken as it is; else the lettering SVG, which images.py turns into a page browsers draw
(flowed text converted, the artwork it links or an official `gfx-only/` render embedded, a white page beneath); else
the text-free artwork alone. Falling back past the rendered page is said in a warning.
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from scriptorium.companion.ingest.artwork import lettering_artwork
from scriptorium.companion.ingest.bundle import EpisodeSpec, PageSpec
from scriptorium.companion.ingest.transcript import read_transcript

BASE = "Pepper-and-Carrot_by-David-Revoy_"
IMAGE_NAME = re.compile(
    r"^(?:(?P<gfx>gfx)_|(?P<lang>[a-z]{2,3})_)?Pepper-and-Carrot_by-David-Revoy_E(?P<ep>\d{2,3})"
    r"(?:P(?P<page>\d{2,3}))?(?P<xxl>XXL)?\.(?P<ext>jpe?g|png|gif|webp)$"
)
SVG_NAME = re.compile(r"^(?:Pepper-and-Carrot_by-David-Revoy_)?E(?P<ep>\d{2,3})(?:P(?P<page>\d{2,3}))?\.svg$")
EPISODE_DIR = re.compile(r"^ep(\d{2,3})_(.+)$", re.IGNORECASE)
TRANSCRIPT_NAME = re.compile(r"^ep(\d{2,3})_([a-z]{2,3})_transcript\.md$")
SKIP_DIRS = {"0ther", "miniFantasyTheater", "single-page", "txt-only", "node_modules"}
INKSCAPE_LABEL = "{http://www.inkscape.org/namespaces/inkscape}label"
INKSCAPE_MODE = "{http://www.inkscape.org/namespaces/inkscape}groupmode"
_SPACES = re.compile(r"\s+")
_TITLE_PREFIX = re.compile(r"^\s*[^\W\d_]+\s*\d+\s*[:.\-–]\s*")  # "Episode 1 : ", "Épisode 1 : "


@dataclass(frozen=True)
class TextBlock:
    id: str | None
    layer: str | None
    lines: list[str]

    @property
    def text(self) -> str:
        return " ".join(self.lines)


@dataclass
class _Episode:
    number: int
    folder: Path | None = None
    images: dict[int | None, dict[str, Path]] = field(default_factory=lambda: defaultdict(dict))
    svgs: dict[int | None, Path] = field(default_factory=dict)
    transcript: Path | None = None


def extract_svg_blocks(path: Path) -> list[TextBlock]:
    """Text objects of a lettering SVG in document order (flowRoot/flowPara and text/tspan), `notes` layer skipped."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.parse(str(path), parser).getroot()
    blocks: list[TextBlock] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        local = etree.QName(element).localname
        if local not in {"flowRoot", "text"}:
            continue
        layer = _layer_of(element)
        if layer == "notes":
            continue
        line_tag = "flowPara" if local == "flowRoot" else "tspan"
        parts = [c for c in element.iter() if isinstance(c.tag, str) and etree.QName(c).localname == line_tag]
        if local == "text":
            parts = [p for p in parts if p.getparent() is element] or [element]
        lines = [_clean("".join(part.itertext())) for part in parts]
        lines = [line for line in lines if line]
        if lines:
            blocks.append(TextBlock(element.get("id"), layer, lines))
    return blocks


def _layer_of(element: etree._Element) -> str | None:
    for ancestor in element.iterancestors():
        if etree.QName(ancestor).localname == "g" and ancestor.get(INKSCAPE_MODE) == "layer":
            label = ancestor.get(INKSCAPE_LABEL)
            return str(label) if label is not None else None
    return None


def _clean(text: str) -> str:
    return _SPACES.sub(" ", text.replace("\u00a0", " ")).strip()


def is_official_layout(root: Path) -> bool:
    return any(_scan(root, lang=None))


def _scan(root: Path, *, lang: str | None) -> list[tuple[Path, re.Match[str], str]]:
    """(path, match, kind) for every official page file under root; kind is image|svg|transcript."""
    found: list[tuple[Path, re.Match[str], str]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if (m := IMAGE_NAME.match(name)) and not m["xxl"] and (lang is None or m["lang"] in {lang, None}):
                found.append((path, m, "image"))
            elif (m := SVG_NAME.match(name)) and (lang is None or path.parent.name == lang):
                found.append((path, m, "svg"))
            elif (m := TRANSCRIPT_NAME.match(name)) and (lang is None or m[2] == lang):
                found.append((path, m, "transcript"))
    return found


def read_official(root: Path, *, lang: str, warnings: list[str]) -> list[EpisodeSpec]:
    episodes: dict[int, _Episode] = {}
    for path, match, kind in _scan(root, lang=lang):
        number = int(match[1] if kind == "transcript" else match["ep"])
        episode = episodes.setdefault(number, _Episode(number))
        folder = next((p for p in path.parents if EPISODE_DIR.match(p.name)), None)
        episode.folder = episode.folder or folder
        if kind == "transcript":
            episode.transcript = path
            continue
        page = int(match["page"]) if match["page"] is not None else None
        if kind == "svg":
            episode.svgs[page] = path
        else:
            variant = "gfx" if match["gfx"] else ("hi" if "hi-res" in path.parts else "lo")
            episode.images[page].setdefault(variant, path)
    index = _episodes_index(root)
    return [_build(ep, lang, index, warnings) for _, ep in sorted(episodes.items())]


def _episodes_index(root: Path) -> dict[int, int]:
    """Episode number -> credits page number, from `episodes-v1.json` when it is there."""
    credits: dict[int, int] = {}
    path = root / "episodes-v1.json"
    if not path.is_file():
        return credits
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return credits
    for entry in entries if isinstance(entries, list) else []:
        name = str(entry.get("name", "")) if isinstance(entry, dict) else ""
        pages = entry.get("pages", {}) if isinstance(entry, dict) else {}
        folder, credit = (
            EPISODE_DIR.match(name),
            SVG_NAME.match(str(pages.get("credits", "")).rsplit(".", 1)[0] + ".svg"),
        )
        if folder and credit and credit["page"]:
            credits[int(folder.group(1))] = int(credit["page"])
    return credits


def _build(episode: _Episode, lang: str, credits_index: dict[int, int], warnings: list[str]) -> EpisodeSpec:
    numbered = {p for p in [*episode.images, *episode.svgs] if p is not None}
    credits = credits_index.get(episode.number, max(numbered) if len(numbered) > 1 else None)
    # Every P between the title and the credits is a story page; one with no file at all is a gap to report.
    story = list(range(1, credits)) if credits else sorted(p for p in numbered if p >= 1)
    transcript = read_transcript(episode.transcript) if episode.transcript else {}
    title = _title(episode, lang, transcript)
    source = episode.folder or next(iter(episode.svgs.values()), None) or Path(f"E{episode.number:02d}")
    slug = _slug(episode, title)
    spec = EpisodeSpec(slug=slug, number=episode.number, title=title, source=source)
    for number in story:
        image, note = _pick_image(episode, number)
        svg = episode.svgs.get(number)
        if number in transcript:
            text = "\n".join(transcript[number])
        elif svg is not None:
            text = "\n".join(block.text for block in extract_svg_blocks(svg))
        else:
            text = ""
        if note:
            warnings.append(f"{svg or source}: {note}")
        spec.pages.append(PageSpec(number=number, source=svg or image or source, image=image, text=text))
    return spec


def _pick_image(episode: _Episode, number: int) -> tuple[Path | None, str]:
    variants = episode.images.get(number, {})
    for variant in ("hi", "lo"):
        if variant in variants:
            return variants[variant], ""
    svg = episode.svgs.get(number)
    if svg is not None:
        if lettering_artwork(svg) is not None:
            return svg, ""
        if "gfx" in variants:
            return svg, (
                f"the artwork {variants['gfx'].name} is not beside the lettering SVG, one folder up or in "
                "low-res/ or hi-res/gfx-only/, so the lettering is drawn on a white page without it"
            )
        return svg, "no page artwork found; the lettering is drawn on a white page (text and balloons only)"
    if "gfx" in variants:
        return variants["gfx"], "no rendered page or lettering SVG; using the text-free artwork"
    return None, ""


def _title(episode: _Episode, lang: str, transcript: dict[int, list[str]]) -> str:
    if episode.folder is not None:
        titles = episode.folder / "hi-res" / "titles.json"
        if titles.is_file():
            try:
                value = json.loads(titles.read_text(encoding="utf-8")).get(lang)
            except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
                value = None
            if isinstance(value, str) and value.strip():
                return _TITLE_PREFIX.sub("", value).strip()
    banner = episode.svgs.get(0)
    if banner is not None:
        text = " ".join(block.text for block in extract_svg_blocks(banner))
        if text.strip():
            return _TITLE_PREFIX.sub("", text).strip()
    if transcript.get(0):
        return _TITLE_PREFIX.sub("", transcript[0][0].split(": ", 1)[-1]).strip()
    if episode.folder is not None and (m := EPISODE_DIR.match(episode.folder.name)):
        return m.group(2).replace("-", " ")
    return f"Episode {episode.number}"


def _slug(episode: _Episode, title: str) -> str:
    rest = m.group(2) if episode.folder is not None and (m := EPISODE_DIR.match(episode.folder.name)) else title
    words = re.sub(r"[^a-z0-9]+", "-", rest.lower()).strip("-")
    return f"ep{episode.number:02d}-{words}"[:128].rstrip("-") if words else f"ep{episode.number:02d}"
