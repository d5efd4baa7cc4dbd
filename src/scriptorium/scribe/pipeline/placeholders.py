"""Finding placeholders in `{{x}}`, `[x]` and `<x>` form without mistaking markup, links or addresses for them.

Templates are pasted from mail clients and editors, so they carry things that look like placeholders but are not:
HTML tags (`<br>`, `<a href=...>`, `</p>`), autolinks and addresses (`<https://...>`, `<a@b.c>`), Markdown links
(`[text](url)`), citation marks (`[1]`), editorial marks (`[sic]`, `[...]`) and comparisons (`a < b > c`).
Each rule below exists for one of those.
"""

from __future__ import annotations

import re

from scriptorium.scribe.pipeline.types import Placeholder

_CURLY = re.compile(r"\{\{([^{}\n]*)\}\}")
_SQUARE = re.compile(r"\[([^\[\]\n]{1,80})\](?!\()")
_ANGLE = re.compile(r"<([^<>\n]{1,80})>")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9 _'’./-]*")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Elements that are never placeholders: formatting and structure tags people paste from rich-text editors.
_HTML_ELEMENTS = _words(
    "a abbr b blockquote body br center code col div dl dt dd em font h1 h2 h3 h4 h5 h6 head hr html i img "
    "li link meta ol p pre q s script small span strike strong style sub sup table tbody td th thead tr tt u ul wbr"
)
# Element names that are also natural placeholder words: placeholders unless the template contains HTML.
_AMBIGUOUS_ELEMENTS = _words(
    "address article aside caption cite data footer form header label main mark nav section summary time title"
)
_HTML_CONTEXT = re.compile(r"</[A-Za-z][A-Za-z0-9]*\s*>|<[A-Za-z][A-Za-z0-9]*(?:\s+[^<>]*)?/?>")
_EDITORIAL = frozenset({"sic", "sic!", "emphasis added", "emphasis mine", "citation needed", "redacted", "etc"})


def find_placeholders(text: str) -> tuple[tuple[Placeholder, ...], tuple[str, ...]]:
    """Placeholders in order of first appearance (each distinct `raw` once), plus warnings about odd ones."""
    found: list[tuple[int, Placeholder]] = []
    warnings: list[str] = []
    has_html = _template_has_html(text)

    for match in _CURLY.finditer(text):
        inner = match.group(1).strip()
        if not inner:
            warnings.append(f"Empty placeholder {match.group(0)!r} ignored.")
            continue
        found.append((match.start(), Placeholder(name=inner, raw=match.group(0), form="curly")))

    for match in _SQUARE.finditer(text):
        inner = match.group(1)
        if _is_square_placeholder(inner):
            found.append((match.start(), Placeholder(name=inner.strip(), raw=match.group(0), form="square")))

    for match in _ANGLE.finditer(text):
        inner = match.group(1)
        if _is_angle_placeholder(inner, has_html=has_html):
            found.append((match.start(), Placeholder(name=inner, raw=match.group(0), form="angle")))

    if text.count("{{") != len(_CURLY.findall(text)) or text.count("}}") != len(_CURLY.findall(text)):
        warnings.append("Unbalanced '{{' or '}}': a placeholder may be missing a brace.")

    seen: set[str] = set()
    ordered: list[Placeholder] = []
    for _, placeholder in sorted(found, key=lambda item: item[0]):
        if placeholder.raw not in seen:
            seen.add(placeholder.raw)
            ordered.append(placeholder)
    return tuple(ordered), tuple(warnings)


def _is_square_placeholder(inner: str) -> bool:
    """`[Professor Name]` yes; `[1]`, `[ ]`, `[x]`, `[sic]`, `[...]`, `[a@b.c]`, `[https://...]` no."""
    candidate = inner.strip()
    if len(candidate) < 2 or candidate.lower() in _EDITORIAL:
        return False
    if "@" in candidate or "://" in candidate or "{" in candidate:
        return False
    return _NAME.fullmatch(candidate) is not None


def _is_angle_placeholder(inner: str, *, has_html: bool) -> bool:
    """`<Professor Name>` yes; tags, closing tags, comments, autolinks, addresses and comparisons no."""
    if inner != inner.strip() or len(inner) < 2:
        return False  # `a < b > c` and `< x >` are prose, not placeholders
    if "@" in inner or ":" in inner or "=" in inner or inner.endswith("/"):
        return False  # addresses, URLs, attributes, self-closing tags
    if _NAME.fullmatch(inner) is None:
        return False  # `</p>`, `<!-- -->`, `<3`, `<?xml ?>`
    first_word = inner.split()[0].lower()
    if first_word in _HTML_ELEMENTS:
        return False
    return not (first_word in _AMBIGUOUS_ELEMENTS and has_html and " " not in inner)


def _template_has_html(text: str) -> bool:
    """True when the text contains a real tag: a closing tag or an opening tag naming a known element."""
    for match in _HTML_CONTEXT.finditer(text):
        tag = match.group(0)
        if tag.startswith("</"):
            return True
        name = re.match(r"<([A-Za-z][A-Za-z0-9]*)", tag)
        if name and name.group(1).lower() in _HTML_ELEMENTS:
            return True
    return False


def fill(text: str, values: dict[str, str]) -> str:
    """Replace each placeholder `raw` in `values` with its value, leaving every other character as written."""
    for raw, value in values.items():
        text = text.replace(raw, value)
    return text
