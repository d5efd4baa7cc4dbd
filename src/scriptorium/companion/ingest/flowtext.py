"""Inkscape flowed text (`flowRoot`) turned into SVG 1.1 `<text>`/`<tspan>` lines that browsers draw.

Inkscape 0.91/0.92 saved lettering as `flowRoot` > `flowRegion` (the box) + `flowPara`/`flowDiv`/`flowSpan` (the
words), a draft of SVG 1.2 that no browser implements: the official Pepper&Carrot pages render blank. Here each
flowRoot becomes one `<text>` in the same place in the document (same layer, same order, same id), carrying the
flowRoot's transform followed by the region's and the rect's own, so the lines land inside the box the letterer drew.

Layout, as Inkscape does it, with one estimate:

- each paragraph starts a new line; its words are wrapped greedily to the region's width; an empty paragraph
  still takes a line (Inkscape draws a blank line for it); lines are never dropped, even past the box's bottom
  (readable beats faithful, and our widths are estimates);
- a line is `line-height` times its largest font size tall (a percentage is a factor, as in Inkscape 0.91), with
  its baseline at half the leading plus an ascent of 0.8 em below the line's top;
- `text-align` (else `text-anchor`) places the line at the region's left edge, centre or right edge, with
  `direction: rtl` turning a logical start into the right edge (Arabic and Persian translations);
- glyph widths are estimated, since the comic's font (Lavi) is not on the reader's machine and the browser
  substitutes its own: an average advance of 0.52 em, with narrower punctuation and wider capitals and m/w
  (`advance`). A word wider than the box gets a line of its own and is not split.

Styles are copied from the flow elements (with a generic `sans-serif` fallback added to every font family), so
colours, strokes and per-span font sizes stay as the letterer set them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from scriptorium.companion.ingest.svgstyle import (
    TextStyle,
    format_style,
    inherited,
    parse_length,
    parse_style,
    with_fallback_family,
)

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
ASCENT = 0.8  # em above the baseline, a typical sans-serif ascent
SPACE_ADVANCE = 0.28  # em
AVERAGE_ADVANCE = 0.52  # em, lower-case letters and anything not listed below
_NARROW = set(".,;:'!|iIlj()[]`\"-")
_WIDE = set("mwMW@%")
_BREAKABLE = re.compile(r"([ \t\r\n]+)")  # NBSP is not a break, as in Inkscape
_FLOW_TAGS = {"flowRoot", "flowRegion", "flowRegionExclude", "flowPara", "flowDiv", "flowSpan"}
_DROPPED_STYLE = {"text-align", "text-anchor", "-inkscape-font-specification", "shape-inside", "inline-size"}


def advance(char: str) -> float:
    """Estimated advance of one character, in em (see the module docstring)."""
    if char in " \u00a0\t":
        return SPACE_ADVANCE
    if char in _NARROW:
        return 0.28
    if char in _WIDE:
        return 0.82
    if char.isupper() or char.isdigit():
        return 0.64 if char.isupper() else 0.55
    return AVERAGE_ADVANCE


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float  # 0 means unbounded: nothing to wrap to
    transform: str


@dataclass(frozen=True)
class Piece:
    """A run of word characters with the span style it was written in (None: the paragraph's own)."""

    text: str
    font_size: float
    span_style: str | None


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def has_flowed_text(root: etree._Element) -> bool:
    return any(_local(e) == "flowRoot" for e in root.iter())


def convert_flowed_text(root: etree._Element) -> int:
    """Replace every flowRoot under `root` in place; return how many were converted (empty ones are removed)."""
    converted = 0
    for flow in [e for e in root.iter() if _local(e) == "flowRoot"]:
        parent = flow.getparent()
        if parent is None:
            continue
        text = _convert(flow)
        if text is None:
            parent.remove(flow)
        else:
            text.tail = flow.tail
            parent.replace(flow, text)
            converted += 1
    # Flow elements outside any flowRoot (stray flowPara etc.) mean nothing to a browser either.
    for stray in [e for e in root.iter() if _local(e) in _FLOW_TAGS]:
        if stray.getparent() is not None:
            stray.getparent().remove(stray)
    return converted


def _convert(flow: etree._Element) -> etree._Element | None:
    base = inherited(flow)
    box = _region_box(flow)
    text = etree.Element(f"{{{SVG_NS}}}text", nsmap={None: SVG_NS})
    for name, value in flow.attrib.items():
        if name in {"transform", "{http://www.w3.org/XML/1998/namespace}space"}:
            continue
        text.set(name, _clean_style(value) if name == "style" else value)
    if box.transform:
        text.set("transform", box.transform)
    top = box.y
    lines = 0
    for paragraph, style, para_style in _paragraphs(flow, base):
        words = _words(paragraph, style)
        for line in _wrap(words, box.width, style.font_size):
            size = max((piece.font_size for word in line for piece in word), default=style.font_size)
            advance_y = style.line_advance(size)
            baseline = top + (advance_y - size) / 2 + ASCENT * size
            if line:
                text.append(_line_element(line, box, style, para_style, baseline))
                lines += 1
            top += advance_y
    return text if lines else None


def _clean_style(value: str) -> str:
    declarations = {k: v for k, v in parse_style(value).items() if k not in _DROPPED_STYLE}
    return format_style(with_fallback_family(declarations))


def _region_box(flow: etree._Element) -> Box:
    """The first usable shape of the flowRegion, in flowRoot coordinates plus the transforms to apply."""
    transforms = [flow.get("transform", "")]
    for region in (c for c in flow if _local(c) == "flowRegion"):
        transforms.append(region.get("transform", ""))
        for shape in region:
            box = _shape_box(shape)
            if box is not None:
                x, y, width = box
                transforms.append(shape.get("transform", ""))
                return Box(x, y, width, " ".join(t.strip() for t in transforms if t.strip()))
    return Box(0.0, 0.0, 0.0, transforms[0].strip())


def _shape_box(shape: etree._Element) -> tuple[float, float, float] | None:
    kind = _local(shape)
    if kind == "rect":
        width = parse_length(shape.get("width")) or 0.0
        return parse_length(shape.get("x")) or 0.0, parse_length(shape.get("y")) or 0.0, max(0.0, width)
    if kind == "use":
        target_id = (shape.get(XLINK_HREF) or shape.get("href") or "").lstrip("#")
        matches = shape.getroottree().getroot().xpath("//*[@id=$i]", i=target_id) if target_id else []
        target = matches[0] if isinstance(matches, list) and matches else None
        if isinstance(target, etree._Element) and _local(target) == "rect":
            inner = _shape_box(target)
            if inner is not None:
                dx, dy = parse_length(shape.get("x")) or 0.0, parse_length(shape.get("y")) or 0.0
                return inner[0] + dx, inner[1] + dy, inner[2]
    if kind == "path":
        return _path_box(shape.get("d", ""))
    return None


_PATH_TOKEN = re.compile(r"[MmLlHhVvCcSsQqTtAaZz]|[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _path_box(d: str) -> tuple[float, float, float] | None:
    """Bounding box (x, y, width) of a path's points and control points: a region drawn as a path wraps to it."""
    tokens = _PATH_TOKEN.findall(d)
    xs: list[float] = []
    ys: list[float] = []
    x = y = 0.0
    command = ""
    index = 0
    arity = {"m": 2, "l": 2, "t": 2, "h": 1, "v": 1, "c": 6, "s": 4, "q": 4, "a": 7, "z": 0}
    while index < len(tokens):
        if tokens[index].isalpha():
            command = tokens[index]
            index += 1
            if command in "Zz":
                continue
        need = arity.get(command.lower(), 0)
        if need == 0 or index + need > len(tokens) or any(t.isalpha() for t in tokens[index : index + need]):
            index += 1
            continue
        values = [float(t) for t in tokens[index : index + need]]
        index += need
        relative = command.islower()
        low = command.lower()
        if low == "h":
            x = values[0] + (x if relative else 0.0)
        elif low == "v":
            y = values[0] + (y if relative else 0.0)
        elif low == "a":
            x, y = values[5] + (x if relative else 0.0), values[6] + (y if relative else 0.0)
        else:
            points = list(zip(values[0::2], values[1::2], strict=True))
            for px, py in points[:-1]:
                xs.append(px + (x if relative else 0.0))
                ys.append(py + (y if relative else 0.0))
            x, y = points[-1][0] + (x if relative else 0.0), points[-1][1] + (y if relative else 0.0)
        xs.append(x)
        ys.append(y)
        if command == "m":
            command = "l"
        elif command == "M":
            command = "L"
    if not xs:
        return None
    return min(xs), min(ys), max(xs) - min(xs)


def _paragraphs(
    container: etree._Element, style: TextStyle, inherited_style: str = ""
) -> Iterator[tuple[etree._Element | str, TextStyle, str]]:
    """(paragraph, its layout style, its copied style) in document order; a paragraph is an element or bare text."""
    for child in container:
        kind = _local(child)
        if kind not in {"flowPara", "flowDiv", "flowSpan"}:
            continue
        child_style = style.child(child)
        own = ";".join(s for s in (inherited_style, child.get("style", "")) if s)
        if kind == "flowDiv":
            if (child.text or "").strip():  # bare text in a flowDiv is a paragraph of its own
                yield child.text or "", child_style, own
            yield from _paragraphs(child, child_style, own)
        else:
            yield child, child_style, own


def _words(paragraph: etree._Element | str, style: TextStyle) -> list[list[Piece]]:
    """The paragraph's words; a word may mix spans (`S`,`PL`,`A` is one word, SPLA)."""
    words: list[list[Piece]] = []
    current: list[Piece] = []
    runs = [(paragraph, style.font_size, None)] if isinstance(paragraph, str) else _runs(paragraph, style, None)
    for text, size, span_style in runs:
        for part in _BREAKABLE.split(text):
            if not part:
                continue
            if _BREAKABLE.fullmatch(part):
                if current:
                    words.append(current)
                    current = []
            else:
                current.append(Piece(part, size, span_style))
    if current:
        words.append(current)
    return words


def _runs(element: etree._Element, style: TextStyle, span_style: str | None) -> Iterator[tuple[str, float, str | None]]:
    if element.text:
        yield element.text, style.font_size, span_style
    for child in element:
        if _local(child) in {"flowSpan", "flowPara", "flowDiv"}:
            child_style = style.child(child)
            own = ";".join(s for s in (span_style or "", child.get("style", "")) if s) or None
            yield from _runs(child, child_style, own)
        if child.tail:
            yield child.tail, style.font_size, span_style


def _word_width(word: list[Piece]) -> float:
    return sum(advance(char) * piece.font_size for piece in word for char in piece.text)


def _wrap(words: list[list[Piece]], width: float, font_size: float) -> list[list[list[Piece]]]:
    """Greedy line breaking; an empty paragraph is one empty line."""
    if not words:
        return [[]]
    lines: list[list[list[Piece]]] = [[]]
    used = 0.0
    for word in words:
        size = _word_width(word)
        space = SPACE_ADVANCE * font_size if lines[-1] else 0.0
        if lines[-1] and width > 0 and used + space + size > width:
            lines.append([])
            used, space = 0.0, 0.0
        lines[-1].append(word)
        used += space + size
    return lines


def _line_element(
    line: list[list[Piece]], box: Box, style: TextStyle, para_style: str, baseline: float
) -> etree._Element:
    tspan = etree.Element(f"{{{SVG_NS}}}tspan", nsmap={None: SVG_NS})
    fraction, anchor = style.placement()
    x = box.x + fraction * box.width
    tspan.set("x", _num(x))
    tspan.set("y", _num(baseline))
    tspan.set("text-anchor", anchor)
    if para_style:
        tspan.set("style", _clean_style(para_style))
    last: etree._Element | None = None
    for index, word in enumerate(line):
        for position, piece in enumerate(word):
            text = (" " if index and position == 0 else "") + piece.text
            if piece.span_style is None:
                if last is None:
                    tspan.text = (tspan.text or "") + text
                else:
                    last.tail = (last.tail or "") + text
                continue
            if last is not None and last.get("style") == _clean_style(piece.span_style) and not last.tail:
                last.text = (last.text or "") + text
                continue
            span = etree.SubElement(tspan, f"{{{SVG_NS}}}tspan")
            span.set("style", _clean_style(piece.span_style))
            span.text = text
            last = span
    return tspan


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")
