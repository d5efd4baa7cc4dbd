"""The few CSS facts about SVG text that laying out flowed text needs: inline styles, lengths, inherited values.

Inkscape writes almost everything into `style="a:b;c:d"`, with the occasional presentation attribute
(`font-size="12"`). Only the properties that decide where a line goes are resolved here (font size, line height,
alignment); colours, strokes and fonts stay in the copied styles and the browser resolves them itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

DEFAULT_FONT_SIZE = 16.0  # CSS "medium", the SVG initial value
DEFAULT_LINE_HEIGHT = 1.25  # Inkscape's default for flowed text ("125%")
GENERIC_FAMILIES = {"serif", "sans-serif", "cursive", "fantasy", "monospace", "system-ui"}
_UNITS = {"": 1.0, "px": 1.0, "pt": 4 / 3, "pc": 16.0, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0, "q": 96 / 101.6}
_KEYWORD_SIZES = {
    "xx-small": 9.0,
    "x-small": 10.0,
    "small": 13.0,
    "medium": 16.0,
    "large": 18.0,
    "x-large": 24.0,
    "xx-large": 32.0,
}
_LENGTH = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([a-zA-Z%]*)\s*$")
_LAYOUT_PROPERTIES = ("font-size", "line-height", "text-align", "text-anchor", "direction")


def parse_style(value: str | None) -> dict[str, str]:
    """`a:b; c:d` as an ordered dict; later declarations win, as in CSS."""
    declarations: dict[str, str] = {}
    for part in (value or "").split(";"):
        name, sep, raw = part.partition(":")
        if sep and name.strip():
            declarations[name.strip().lower()] = raw.strip()
    return declarations


def format_style(declarations: dict[str, str]) -> str:
    return ";".join(f"{name}:{value}" for name, value in declarations.items())


def own_properties(element: etree._Element) -> dict[str, str]:
    """An element's layout properties: presentation attributes, overridden by its `style` (CSS precedence)."""
    found = {name: str(element.get(name)) for name in _LAYOUT_PROPERTIES if element.get(name) is not None}
    style = parse_style(element.get("style"))
    found.update({name: style[name] for name in _LAYOUT_PROPERTIES if name in style})
    return found


@dataclass(frozen=True)
class TextStyle:
    """Inherited layout values at one element. `line_height` is a factor of the font size unless `absolute`."""

    font_size: float = DEFAULT_FONT_SIZE
    line_height: float = DEFAULT_LINE_HEIGHT
    line_height_absolute: bool = False
    align: str = "start"  # logical start | middle | end, or physical left | right (text-align's own words)
    rtl: bool = False  # `direction: rtl`: a logical start is the right edge

    def line_advance(self, font_size: float) -> float:
        return self.line_height if self.line_height_absolute else self.line_height * font_size

    def child(self, element: etree._Element) -> TextStyle:
        """The values a child element sees: its own declarations over what it inherits."""
        props = own_properties(element)
        font_size = _font_size(props.get("font-size"), self.font_size)
        line_height, absolute = self.line_height, self.line_height_absolute
        if "line-height" in props:
            line_height, absolute = _line_height(props["line-height"], font_size, (line_height, absolute))
        align = self.align
        # Flowed text is aligned by text-align; text-anchor is its SVG 1.1 twin and is the fallback.
        if "text-anchor" in props:
            align = {"middle": "middle", "end": "end", "start": "start"}.get(props["text-anchor"].strip(), align)
        if "text-align" in props:
            value = props["text-align"].strip()
            align = {"center": "middle", "justify": "start"}.get(value, value)
            if align not in {"start", "middle", "end", "left", "right"}:
                align = self.align
        rtl = props["direction"].strip() == "rtl" if "direction" in props else self.rtl
        return TextStyle(font_size, line_height, absolute, align, rtl)

    def placement(self) -> tuple[float, str]:
        """(where the line is anchored, as a fraction of the box width from its left edge; the SVG text-anchor)."""
        if self.align == "middle":
            return 0.5, "middle"
        left = self.align == "left" or (self.align == "start") != self.rtl
        # An anchor's start is the left end of left-to-right text and the right end of right-to-left text.
        return (0.0, "end" if self.rtl else "start") if left else (1.0, "start" if self.rtl else "end")


def inherited(element: etree._Element) -> TextStyle:
    """The layout values an element sees, walking from the document root down to it."""
    style = TextStyle()
    for ancestor in reversed([element, *element.iterancestors()]):
        style = style.child(ancestor)
    return style


def parse_length(value: str | None, *, em: float = DEFAULT_FONT_SIZE) -> float | None:
    """A CSS/SVG length in user units (px); `em`/`ex`/`%` are relative to `em`. None when unreadable."""
    if value is None:
        return None
    match = _LENGTH.match(value)
    if not match:
        return None
    number, unit = float(match.group(1)), match.group(2).lower()
    if unit == "em":
        return number * em
    if unit == "ex":
        return number * em / 2
    if unit == "%":
        return number * em / 100
    return number * _UNITS[unit] if unit in _UNITS else None


def _font_size(value: str | None, parent: float) -> float:
    if value is None:
        return parent
    keyword = value.strip().lower()
    if keyword in _KEYWORD_SIZES:
        return _KEYWORD_SIZES[keyword]
    if keyword == "larger":
        return parent * 1.2
    if keyword == "smaller":
        return parent / 1.2
    size = parse_length(value, em=parent)
    return size if size is not None and size > 0 else parent


def _line_height(value: str, font_size: float, parent: tuple[float, bool]) -> tuple[float, bool]:
    """Inkscape 0.91 treats a percentage like a unitless factor of each line's own font size; so do we."""
    text = value.strip().lower()
    if text == "normal":
        return DEFAULT_LINE_HEIGHT, False
    match = _LENGTH.match(text)
    if not match:
        return parent
    number, unit = float(match.group(1)), match.group(2)
    if number <= 0:
        return parent
    if unit == "":
        return number, False
    if unit == "%":
        return number / 100, False
    absolute = parse_length(text, em=font_size)
    return (absolute, True) if absolute is not None else parent


def with_fallback_family(declarations: dict[str, str]) -> dict[str, str]:
    """Add a generic family so a reader without the comic's font (Lavi, ...) still gets a sans-serif, not nothing."""
    family = declarations.get("font-family")
    if family is None:
        return declarations
    names = {name.strip().strip("'\"").lower() for name in family.split(",")}
    if names & GENERIC_FAMILIES:
        return declarations
    return {**declarations, "font-family": f"{family},sans-serif"}
