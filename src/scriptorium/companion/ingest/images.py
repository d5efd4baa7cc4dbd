"""Page images: read, measure, make safe and make a thumbnail.

SVG pages are scrubbed (scripts, event handlers, foreign objects and external references removed) because the app
serves them from its own origin; an SVG keeps itself as its thumbnail since it scales for free. Raster pages keep
their original bytes for display and get a small WebP thumbnail made with Pillow (JPEGs are decoded at reduced size
via `draft`, which keeps a Raspberry Pi's memory flat on 2,500-pixel scans).

Lettering SVGs (Inkscape flowed text, or an `<image>` linking artwork) are made readable before the scrub: flowed
text becomes SVG 1.1 text (`flowtext`), the artwork the SVG sits on is embedded when it is on disk (`artwork`), and
a white page goes under everything so lettering is never dark-on-transparent. Other SVGs keep their bytes' meaning.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from PIL import Image, UnidentifiedImageError, features

from scriptorium.companion.ingest.artwork import (
    ArtworkProblem,
    add_white_page,
    embed_artwork,
    find_artwork,
    linked_images,
    load_artwork,
)
from scriptorium.companion.ingest.flowtext import convert_flowed_text, has_flowed_text

THUMB_WIDTH = 320
RASTER_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp", "image/svg+xml": "svg"}
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_DROP_TAGS = {"script", "foreignObject", "iframe", "embed", "object"}
_EXTERNAL_CSS = re.compile(r"@import|url\(\s*['\"]?(?!#|data:image/)", re.IGNORECASE)
_LENGTH = re.compile(r"^\s*([0-9.]+)")


class ImageProblem(ValueError):
    """The file is not a usable page image; the message says why (the caller adds the path)."""


@dataclass(frozen=True)
class ProcessedImage:
    data: bytes
    content_type: str
    width: int
    height: int
    sha256: str
    thumb: bytes | None
    thumb_content_type: str

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]

    @property
    def thumb_extension(self) -> str:
        return EXTENSIONS[self.thumb_content_type]


def process_image(path: Path) -> ProcessedImage:
    raw = path.read_bytes()
    if path.suffix.lower() == ".svg" or raw.lstrip()[:5] in (b"<?xml", b"<svg ", b"<svg\n"):
        return _process_svg(raw, path)
    return _process_raster(raw)


def _process_svg(raw: bytes, source: Path | None = None) -> ProcessedImage:
    root = _parse_svg(raw)
    width, height = _svg_size(root)
    thumb: bytes | None = None
    thumb_type = "image/svg+xml"
    if has_flowed_text(root) or linked_images(root):
        root = _unprefixed(root)
        convert_flowed_text(root)
        found = find_artwork(source, root) if source is not None else None
        _scrub(root)
        add_white_page(root, (width, height))
        if found is not None:
            try:
                artwork = load_artwork(found)
            except ArtworkProblem as exc:
                raise ImageProblem(str(exc)) from None
            embed_artwork(root, artwork, (width, height))
            # The artwork alone makes a light raster thumbnail; the SVG with the embedded art would be ~100x larger.
            with Image.open(io.BytesIO(artwork.data)) as image:
                thumb, thumb_type = _thumbnail(image)
    else:
        _scrub(root)
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return ProcessedImage(data, "image/svg+xml", width, height, hashlib.sha256(data).hexdigest(), thumb, thumb_type)


def sanitize_svg(raw: bytes) -> tuple[bytes, int, int]:
    """Return scrubbed SVG bytes and the page size in pixels (from width/height, else the viewBox)."""
    root = _parse_svg(raw)
    _scrub(root)
    width, height = _svg_size(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8"), width, height


def _parse_svg(raw: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, huge_tree=False)
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        raise ImageProblem(f"not a readable SVG ({exc.msg})") from None
    if etree.QName(root).localname != "svg":
        raise ImageProblem("not an SVG document (root element is not <svg>)")
    return root


def _unprefixed(root: etree._Element) -> etree._Element:
    """Inkscape declares the SVG namespace twice (`xmlns` and `xmlns:svg`); drop the prefix so elements added
    here serialize as `<text>`, not `<svg:text>`, which an HTML page inlining the SVG would not understand."""
    prefixes = {prefix for prefix, uri in root.nsmap.items() if prefix is not None and uri == SVG_NS}
    if not prefixes or root.nsmap.get(None) != SVG_NS:
        return root
    fresh = etree.Element(root.tag, nsmap={p: u for p, u in root.nsmap.items() if p not in prefixes})
    for name, value in root.attrib.items():
        fresh.set(name, value)
    fresh.text = root.text
    for child in list(root):
        fresh.append(child)
    return fresh


def _scrub(root: etree._Element) -> None:
    """Remove scripts, foreign content, event handlers and every reference outside the document."""
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        if etree.QName(element).localname in _DROP_TAGS:
            parent = element.getparent()
            if parent is not None:
                parent.remove(element)
            continue
        for name in list(element.attrib):
            local = etree.QName(name).localname.lower()
            value = element.attrib[name].strip()
            if (
                local.startswith("on")
                or (local == "href" and not (value.startswith("#") or value.startswith("data:image/")))
                or (local == "style" and _EXTERNAL_CSS.search(value))
            ):
                del element.attrib[name]
        if etree.QName(element).localname == "style" and element.text and _EXTERNAL_CSS.search(element.text):
            element.text = ""


def _svg_size(root: etree._Element) -> tuple[int, int]:
    width = _LENGTH.match(root.get("width", ""))
    height = _LENGTH.match(root.get("height", ""))
    if width and height:
        return round(float(width.group(1))), round(float(height.group(1)))
    view_box = root.get("viewBox", "").replace(",", " ").split()
    if len(view_box) == 4:
        try:
            return round(float(view_box[2])), round(float(view_box[3]))
        except ValueError:
            pass
    raise ImageProblem("SVG has neither width/height nor a viewBox")


def _process_raster(raw: bytes) -> ProcessedImage:
    try:
        with Image.open(io.BytesIO(raw)) as image:
            kind = image.format or ""
            if kind not in RASTER_TYPES:
                raise ImageProblem(f"unsupported image format {kind or 'unknown'}; use PNG, JPEG, GIF, WebP or SVG")
            width, height = image.size
            thumb, thumb_type = _thumbnail(image)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ImageProblem(f"not a readable image ({type(exc).__name__})") from None
    return ProcessedImage(raw, RASTER_TYPES[kind], width, height, hashlib.sha256(raw).hexdigest(), thumb, thumb_type)


def _thumbnail(image: Image.Image) -> tuple[bytes, str]:
    target = (THUMB_WIDTH, max(1, round(image.height * THUMB_WIDTH / max(1, image.width))))
    if image.format == "JPEG":
        image.draft("RGB", target)
    small = image.convert("RGBA" if image.mode in {"RGBA", "LA", "P"} else "RGB")
    small.thumbnail(target)
    out = io.BytesIO()
    if features.check("webp"):
        small.save(out, "WEBP", quality=75, method=4)
        return out.getvalue(), "image/webp"
    small.convert("RGB").save(out, "JPEG", quality=75, optimize=True)
    return out.getvalue(), "image/jpeg"
