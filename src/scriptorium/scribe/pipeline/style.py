"""The "AI tell" list the original composer was told to avoid, applied here as a deterministic check.

Upstream put these rules in the prompt only, so nothing caught a draft that broke them. The list is the
original's: em dashes, semicolons and ellipses; a set of words readers associate with machine-written prose; and
two stock openers. A tell is allowed when the template itself uses it (the author's voice wins), and text that
comes from sources (a paper titled "A novel ...") or from the user (their interest) never counts.

Models add one family the original's list never needed: the assistant talking about itself ("As an AI language
model, I do not have personal opinions", "as of my last knowledge update", "I cannot browse the internet") and
chat framing around the letter ("Here is a draft...", "Feel free to adjust"). These are matched by their
structure, a first-person statement about being an AI, a model or an assistant, or about what the writer cannot
access or hold, so a reworded disclaimer is caught as well as the stock one.
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
_CANNOT = (
    r"\bI\s*(?:do\s+not|don't|don’t|cannot|can't|can’t|can\s+not|am\s+(?:not\s+able|unable)\s+to|"
    r"(?:'m|’m)\s+(?:not\s+able|unable)\s+to|have\s+no|lack)"
)
FAMILIES: dict[str, re.Pattern[str]] = {
    # A first-person statement that the writer is an AI, a (language) model or a chat assistant.
    "model disclaimer": re.compile(
        r"(?i)\b(?:as|being|I\s+am|I'm|I’m)\s+(?:an?\s+)?(?:\w+\s+){0,2}?"
        r"(?:AI(?=\s*[,.;:!)]|\s+(?:language|model|assistant|system|chatbot|I|and|developed|trained|created)\b)"
        r"|artificial\s+intelligence|(?:large\s+)?language\s+model|LLM|chatbot|(?:AI|virtual|digital)\s+assistant)"
    ),
    # The writer denying what a model lacks: opinions, feelings, browsing, access, real-time information.
    "capability disclaimer": re.compile(
        rf"(?i){_CANNOT}\s+(?:\w+\s+){{0,3}}?(?:personal\s+(?:opinions?|views?|feelings?|experiences?|beliefs?|"
        r"preferences?)|opinions|feelings|emotions|consciousness|brows\w*|the\s+internet|internet|real[- ]time|"
        r"access\b|up[- ]to[- ]date|current\s+(?:information|events|data))"
    ),
    # Knowledge-cutoff talk: "as of my last update", "my training data", "my knowledge cutoff".
    "knowledge cutoff": re.compile(
        r"(?i)\bas\s+of\s+my\s+(?:last|latest|most\s+recent)\s+(?:knowledge\s+|training\s+)?(?:update|training|"
        r"cut-?off)|\bmy\s+(?:knowledge|training)\s+(?:cut-?off|data)\b"
    ),
    # Chat framing around the letter instead of the letter itself.
    "assistant chatter": re.compile(
        r"(?i)\bhere\s+(?:is|'s|’s)\s+(?:a|the|your)\s+(?:\w+\s+){0,2}?(?:draft|email|e-mail|version|message)\b"
        r"|\bfeel\s+free\s+to\s+(?:adjust|modify|customi[sz]e|tweak|edit|change)\b|\bI\s+hope\s+this\s+helps\b"
        r"|\blet\s+me\s+know\s+if\s+you(?:'d|’d|\s+would)\s+like\s+(?:any\s+)?(?:changes|adjustments|me\s+to)\b"
        r"|\A\s*(?:sure|certainly|of\s+course|absolutely)\s*[!,.]"
    ),
    # Stock openers of the same kind as the original's list, reworded.
    "stock opener": re.compile(
        r"(?i)\bI\s+hope\s+(?:this|my|the)\s+(?:e-?mail|message|note|letter)\s+(?:finds|reaches)\s+you\b"
        r"|\bI\s+(?:am|'m|’m)\s+(?:writing|reaching)\s+out\s+to\s+(?:you\s+)?(?:today\s+)?(?:to\s+)?"
        r"(?:express|inquire|introduce)\b"
    ),
}


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
    for name, _, _ in tell_spans(text):
        counts[name] = counts.get(name, 0) + 1
    return counts


def tell_spans(text: str) -> list[tuple[str, int, int]]:
    """Each tell in `text` with its span, so the check can name the sentence it stands in.

    A reworded-opener match that covers one of the original's stock phrases is that phrase, counted once.
    """
    found = [(name, m.start(), m.end()) for name, pattern in PUNCTUATION.items() for m in pattern.finditer(text)]
    found += [(f'"{w}"', m.start(), m.end()) for w, p in _WORD_PATTERNS.items() for m in p.finditer(text)]
    phrases = [(f'"{p}"', m.start(), m.end()) for p, pat in _PHRASE_PATTERNS.items() for m in pat.finditer(text)]
    found += phrases
    for family, pattern in FAMILIES.items():
        for m in pattern.finditer(text):
            if not any(m.start() < end and start < m.end() for _, start, end in phrases):
                found.append((family, m.start(), m.end()))
    return found


def new_tells(draft: str, template: str, protected: Iterable[str]) -> dict[str, int]:
    """Tells the draft uses more often than the template does, ignoring protected spans (titles, the interest)."""
    spans = list(protected)
    found = tells(_without(draft, spans))
    allowed = tells(_without(template, spans))
    return {name: count - allowed.get(name, 0) for name, count in found.items() if count > allowed.get(name, 0)}
