"""Official Pepper & Carrot transcripts (`ep01_en_transcript.md`): speaker-attributed page text in reading order.

Each `### P01` heading starts a page; rows of its pipe table are `Name|Position|Concatenate|Text[|nowhitespace]`.
`Position` is the reading order, `Concatenate=True` glues the next segment onto this one (with no space when the
row says `nowhitespace`), `<hidden>` rows are dropped and `<unknown>` speakers are left unnamed. Rows that do not
have that shape are ignored, as the official tooling does.
"""

from __future__ import annotations

import re
from pathlib import Path

_PAGE = re.compile(r"^###\s*P(\d+)\s*$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
UNNAMED = {"<unknown>", ""}


def read_transcript(path: Path) -> dict[int, list[str]]:
    """Page number -> lines (`Speaker: text`, or bare text for unnamed segments) in reading order."""
    pages: dict[int, list[tuple[int, int, str, bool, bool, str]]] = {}
    current: int | None = None
    order = 0
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if match := _PAGE.match(line):
            current = int(match.group(1))
            pages.setdefault(current, [])
            continue
        if line.startswith("#"):
            current = None if line.startswith("## ") else current
            continue
        if current is None or "|" not in line:
            continue
        cells = [cell.strip().replace("\\|", "|") for cell in _CELL_SPLIT.split(line)]
        if len(cells) not in (4, 5) or not cells[1].isdigit() or cells[2] not in {"True", "False"}:
            continue
        no_space = len(cells) == 5 and cells[4] == "nowhitespace"
        order += 1
        pages[current].append((int(cells[1]), order, cells[0], cells[2] == "True", no_space, cells[3]))
    return {number: _assemble(rows) for number, rows in pages.items()}


def _assemble(rows: list[tuple[int, int, str, bool, bool, str]]) -> list[str]:
    lines: list[str] = []
    pending_speaker: str | None = None
    pending_text = ""
    glue = False
    glue_no_space = False
    for _position, _order, speaker, concatenate, no_space, text in sorted(rows):
        if speaker == "<hidden>":
            continue
        if glue:
            pending_text += ("" if glue_no_space else " ") + text
        else:
            pending_speaker, pending_text = speaker, text
        glue, glue_no_space = concatenate, no_space
        if not concatenate:
            lines.append(_line(pending_speaker, pending_text))
    if glue and pending_text:
        lines.append(_line(pending_speaker, pending_text))
    return lines


def _line(speaker: str | None, text: str) -> str:
    return text if speaker is None or speaker in UNNAMED else f"{speaker}: {text}"
