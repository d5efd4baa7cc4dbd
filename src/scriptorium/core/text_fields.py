"""Text that may be stored: no control characters, checked at the request boundary for every database alike.

PostgreSQL refuses a NUL byte in a text column (SQLite stores it), and a lone surrogate cannot be encoded to
UTF-8 at all, so either would surface as a 500 deep inside a request instead of a 422 naming the field. Other
control characters (escape sequences, backspace, C1 codes) are never meaningful in a name, a template or a
chat message and can hide text from the person reading it. Multi-line fields keep tab, newline and carriage
return; single-line fields refuse those too.

Use the markers inside `Annotated` next to the field's other constraints, so the check runs after stripping:

    Name = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255), SINGLE_LINE]
    Body = Annotated[str, StringConstraints(max_length=20_000), MULTI_LINE]
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator

MULTI_LINE_ALLOWED = frozenset("\t\n\r")


def control_character(value: str, allowed: frozenset[str] = frozenset()) -> tuple[int, str] | None:
    """The first control character (Unicode Cc) or lone surrogate (Cs) in `value` and its index, if any."""
    for index, char in enumerate(value):
        if char in allowed:
            continue
        if unicodedata.category(char) in {"Cc", "Cs"}:
            return index, char
    return None


def _refuse(value: str, allowed: frozenset[str]) -> str:
    found = control_character(value, allowed)
    if found is not None:
        index, char = found
        kind = "a NUL byte" if char == "\x00" else f"a control character (U+{ord(char):04X})"
        raise ValueError(f"must not contain {kind}; found at position {index + 1}")
    return value


def _single_line(value: str) -> str:
    return _refuse(value, frozenset())


def _multi_line(value: str) -> str:
    return _refuse(value, MULTI_LINE_ALLOWED)


SINGLE_LINE = AfterValidator(_single_line)
"""No control characters at all (names, titles, subjects, search terms)."""

MULTI_LINE = AfterValidator(_multi_line)
"""No control characters except tab, newline and carriage return (templates, email bodies, messages)."""

SingleLineText = Annotated[str, SINGLE_LINE]
MultiLineText = Annotated[str, MULTI_LINE]
