"""The text-free artwork under a lettering SVG: find it on disk, and put it into the SVG so the page is whole.

A Pepper&Carrot lettering SVG links its artwork (`<image xlink:href="../gfx_…_E01P01.png">`); official downloads
also hold text-free renders in `hi-res/gfx-only/` and `low-res/gfx-only/`. The served page must show art and text
together, and it is shown through `<img>`, where a browser never fetches anything an SVG links: so the artwork is
embedded as a `data:image/jpeg` URI, which the media route's CSP (`img-src data:`) already allows. It is
re-encoded once at ingest as a JPEG at most ARTWORK_MAX_WIDTH wide (JPEGs are decoded at reduced size with
`draft`), which keeps the stored page near a few hundred kB and a Raspberry Pi's memory flat.

Only local image files are considered: an `<image>` link must stay inside the SVG's folder or the one above it,
and the official render folders are looked up by name beside the episode. Nothing is fetched.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from lxml import etree
from PIL import Image, UnidentifiedImageError

from scriptorium.companion.ingest.flowtext import SVG_NS, XLINK_HREF

ARTWORK_MAX_WIDTH = 1600
JPEG_QUALITY = 85
BASE = "Pepper-and-Carrot_by-David-Revoy_"
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".gif"}
_PAGE_STEM = re.compile(r"^(?:Pepper-and-Carrot_by-David-Revoy_)?(E\d{2,3}(?:P\d{2,3})?)$")
# Official render folders, relative to the episode folder, best first (the lossless PNGs are ~10 MB: last).
_RENDER_DIRS = ("low-res/gfx-only", "hi-res/gfx-only", "hi-res/gfx-only/lossless")


class ArtworkProblem(ValueError):
    """The artwork file exists but cannot be used; the message names it."""


@dataclass(frozen=True)
class Artwork:
    path: Path
    data: bytes  # JPEG
    width: int
    height: int


def linked_images(root: etree._Element) -> list[etree._Element]:
    return [e for e in root.iter(f"{{{SVG_NS}}}image")]


def find_artwork(svg_path: Path, root: etree._Element) -> Path | None:
    """The artwork for this lettering SVG: its `<image>` link if that file exists, else an official render."""
    folder = svg_path.parent
    allowed = folder.parent.resolve()
    for image in linked_images(root):
        href = unquote((image.get(XLINK_HREF) or image.get("href") or "").strip())
        if not href or ":" in href or href.startswith(("/", "#", "\\")):
            continue
        candidate = _usable(folder / href, allowed)
        if candidate is not None:
            return candidate
    stem = _PAGE_STEM.match(svg_path.stem)
    if stem is None:
        return None
    names = [f"gfx_{BASE}{stem.group(1)}{suffix}" for suffix in (".png", ".jpg", ".jpeg")]
    # 2017 repos: gfx_ beside the language folder; current layout: lang/gfx_… one up from lang/<lang>/.
    places = [folder, folder.parent]
    # Current layout: <episode>/lang/<lang>/E01P01.svg, renders in <episode>/{low,hi}-res/gfx-only/.
    for episode in (folder.parent.parent, folder.parent):
        places.extend(episode / sub for sub in _RENDER_DIRS)
    for place in places:
        for name in names:
            candidate = _usable(place / name, place.resolve())
            if candidate is not None:
                return candidate
    return None


def lettering_artwork(svg_path: Path) -> Path | None:
    """`find_artwork` for a file; None when there is none or the SVG is unreadable (ingest reports that itself)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.parse(str(svg_path), parser).getroot()
    except (etree.XMLSyntaxError, OSError):
        return None
    return find_artwork(svg_path, root)


def _usable(path: Path, allowed: Path) -> Path | None:
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):
        return None
    if resolved.suffix.lower() not in _IMAGE_SUFFIXES or not resolved.is_file():
        return None
    if not resolved.is_relative_to(allowed):
        return None
    return resolved


def load_artwork(path: Path) -> Artwork:
    """Decode and re-encode the artwork as an opaque JPEG no wider than ARTWORK_MAX_WIDTH."""
    try:
        with Image.open(path) as image:
            if image.format == "JPEG":
                image.draft("RGB", (ARTWORK_MAX_WIDTH, max(1, image.height * ARTWORK_MAX_WIDTH // image.width)))
            image.load()
            flat = _on_white(image)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ZeroDivisionError) as exc:
        raise ArtworkProblem(f"artwork {path.name} is not a readable image ({type(exc).__name__})") from None
    if flat.width > ARTWORK_MAX_WIDTH:
        flat = flat.resize((ARTWORK_MAX_WIDTH, max(1, round(flat.height * ARTWORK_MAX_WIDTH / flat.width))))
    out = io.BytesIO()
    flat.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return Artwork(path, out.getvalue(), flat.width, flat.height)


def _on_white(image: Image.Image) -> Image.Image:
    if image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")


def embed_artwork(root: etree._Element, artwork: Artwork, size: tuple[int, int]) -> None:
    """Point the SVG's artwork `<image>` at the embedded JPEG, or add one covering the page when there is none."""
    uri = "data:image/jpeg;base64," + base64.b64encode(artwork.data).decode("ascii")
    images = linked_images(root)
    target = next((i for i in images if _points_at(i, artwork.path)), images[0] if images else None)
    if target is None:
        x, y, width, height = page_box(root, size)
        target = etree.Element(f"{{{SVG_NS}}}image", nsmap={None: SVG_NS})
        for name, value in (("x", x), ("y", y), ("width", width), ("height", height)):
            target.set(name, _num(value))
        target.set("preserveAspectRatio", "none")
        root.insert(_first_drawn(root), target)
    target.attrib.pop("href", None)
    target.set(XLINK_HREF, uri)


def _points_at(image: etree._Element, path: Path) -> bool:
    href = image.get(XLINK_HREF) or image.get("href") or ""
    return Path(href).name == path.name


def add_white_page(root: etree._Element, size: tuple[int, int]) -> None:
    """A white rectangle under everything, so lettering without artwork is dark on light, never on transparency."""
    x, y, width, height = page_box(root, size)
    rect = etree.Element(f"{{{SVG_NS}}}rect", nsmap={None: SVG_NS})
    for name, value in (("x", x), ("y", y), ("width", width), ("height", height)):
        rect.set(name, _num(value))
    rect.set("fill", "#ffffff")
    rect.set("id", "scriptorium-page")
    root.insert(_first_drawn(root), rect)


def page_box(root: etree._Element, size: tuple[int, int]) -> tuple[float, float, float, float]:
    """The page in user units: the viewBox when there is one, else (0, 0, width, height)."""
    parts = root.get("viewBox", "").replace(",", " ").split()
    if len(parts) == 4:
        try:
            x, y, width, height = (float(p) for p in parts)
            return x, y, width, height
        except ValueError:
            pass
    return 0.0, 0.0, float(size[0]), float(size[1])


def _first_drawn(root: etree._Element) -> int:
    """Index after the leading non-drawing children (metadata, defs, namedview), so the page sits beneath all."""
    index = 0
    for child in root:
        tag = etree.QName(child).localname if isinstance(child.tag, str) else ""
        if tag not in {"metadata", "defs", "namedview", "title", "desc", "style", ""}:
            break
        index += 1
    return index


def _num(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")
