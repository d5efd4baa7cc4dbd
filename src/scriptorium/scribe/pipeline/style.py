"""The "AI tell" list the original composer was told to avoid, applied here as a deterministic check.

Upstream put these rules in the prompt only, so nothing caught a draft that broke them. The list is the
original's: em dashes, semicolons and ellipses; a set of words readers associate with machine-written prose; and
two stock openers. A tell is allowed when the template itself uses it (the author's voice wins), and text that
comes from sources (a paper titled "A novel ...") or from the user (their interest) never counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

PUNCTUATION: dict[str, re.Pattern[str]] = {
    "em dash": re.compile(r"—|(?<=\s)–(?=\s)|(?<=\w)--(?=\w)|\s--\s"),
    "semicolon": re.compile(r";"),
    "ellipsis": re.compile(r"…|\.\.\."),
}
WORDS = (
    "delve", "leverage", "utilize", "harness", "facilitate", "transformative", "groundbreaking", "cutting-edge",
    "innovative", "novel", "pioneering", "robust", "comprehensive", "extensive",
)  # fmt: skip
PHRASES = (
    "I hope this email finds you well",
    "I hope this message finds you well",
    "I am reaching out to",
    "I'm reaching out to",
)


def _word_pattern(word: str) -> re.Pattern[str]:
    """The word and its inflections: `leverage` also matches `leverages`, `leveraged`, `leveraging`."""
    stem = word[:-1] if word.endswith("e") else word
    return re.compile(rf"(?i)\b{re.escape(stem)}(?:e|es|ed|ing|s|d|ly|ity)?\b")


_WORD_PATTERNS = {word: _word_pattern(word) for word in WORDS}
_PHRASE_PATTERNS = {
    phrase: re.compile(r"(?i)" + r"\s+".join(re.escape(w) for w in phrase.replace("’", "'").split()))
    for phrase in PHRASES
}


def _without(text: str, protected: Iterable[str]) -> str:
    for span in sorted({p for p in protected if p and len(p) >= 3}, key=len, reverse=True):
        text = re.sub(re.escape(span), " ", text, flags=re.IGNORECASE)
    return text.replace("’", "'")


def tells(text: str) -> dict[str, int]:
    """How often each tell occurs in `text`."""
    counts: dict[str, int] = {}
    for name, pattern in PUNCTUATION.items():
        counts[name] = len(pattern.findall(text))
    for word, pattern in _WORD_PATTERNS.items():
        counts[f'"{word}"'] = len(pattern.findall(text))
    for phrase, pattern in _PHRASE_PATTERNS.items():
        counts[f'"{phrase}"'] = len(pattern.findall(text))
    return {name: count for name, count in counts.items() if count}


def new_tells(draft: str, template: str, protected: Iterable[str]) -> dict[str, int]:
    """Tells the draft uses more often than the template does, ignoring protected spans (titles, the interest)."""
    spans = list(protected)
    found = tells(_without(draft, spans))
    allowed = tells(_without(template, spans))
    return {name: count - allowed.get(name, 0) for name, count in found.items() if count > allowed.get(name, 0)}
