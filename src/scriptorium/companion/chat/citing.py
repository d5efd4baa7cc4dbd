"""Which of a turn's passages a model's answer actually used, for the `done` frame's citations.

A model is asked to cite notes as `[page 3]`, `[episode 1, page 3]` or `[<wiki title>]` (the passage labels the
prompt shows it). Citing every retrieved passage, as the chat did before, told the reader an answer rested on
pages it never touched. The rule, decided here and documented in docs/companion.md's chat section:

1. Markers present: the passages whose label a bracket names, in the order the answer names them. A bracket that
   names no passage (a model inventing `[page 99]`) cites nothing.
2. No markers: the passages whose words the answer shares most. A passage counts when the answer uses at least
   `MIN_SHARED` of its distinctive terms (stop words and one-letter tokens excluded) and at least half as many as
   the best passage; at most `MAX_UNMARKED`. Shared words are a weak signal, so the bar is deliberately high:
   an answer that overlaps no passage ("I don't know yet") cites none, which is honest.

Only text the reader was shown is passed in (after the leak guard), so a cut-off sentence cannot add a citation.
"""

from __future__ import annotations

import re

from scriptorium.companion.chat.offline import terms
from scriptorium.companion.chat.turn import Passage, Turn

MARKER = re.compile(r"\[([^\[\]\n]{1,160})\]")
MIN_SHARED = 3
MAX_UNMARKED = 3


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _names(bracket: str, label: str) -> bool:
    """Whether a bracket's text names a label as a whole phrase (`[page 3; page 4]` names `page 3`, not `page 30`)."""
    return re.search(rf"(?<![a-z0-9]){re.escape(_norm(label))}(?![a-z0-9])", _norm(bracket)) is not None


def marked(turn: Turn, text: str) -> list[Passage]:
    """Passages named by the answer's `[...]` markers, first mention first, each once."""
    labelled = [(p, p.label(turn.episode_number)) for p in turn.passages]
    used: list[Passage] = []
    for bracket in MARKER.findall(text):
        # Longest label first, so `episode 1, page 3` claims the bracket before a bare `page 3` could.
        for passage, label in sorted(labelled, key=lambda pair: -len(pair[1])):
            if passage not in used and _names(bracket, label):
                used.append(passage)
    return used


def overlapping(turn: Turn, text: str) -> list[Passage]:
    """Passages the answer shares the most distinctive words with, under the rule in the module docstring."""
    said = set(terms(text))
    shared = [(len(said & set(terms(p.text))), i, p) for i, p in enumerate(turn.passages)]
    best = max((n for n, _, _ in shared), default=0)
    if best < MIN_SHARED:
        return []
    kept = sorted((s for s in shared if s[0] >= max(MIN_SHARED, best / 2)), key=lambda s: (-s[0], s[1]))
    return [p for _, _, p in kept[:MAX_UNMARKED]]


def cited(turn: Turn, text: str) -> list[Passage]:
    """What the shown answer used: its markers when it has any, else its overlap (possibly nothing)."""
    if MARKER.search(text):
        return marked(turn, text)
    return overlapping(turn, text)
