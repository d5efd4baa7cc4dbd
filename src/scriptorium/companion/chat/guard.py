"""What happens to answer text between the answerer and the wire: the answer guards and the pacer.

The guards are the output-side check the original lacked. A configured model may remember the comic beyond the
notes it was given. `SentenceGuard` (what the chat uses) holds each sentence until it ends and withholds a
sentence that names anything the reader has not met (every late or unplaced entry of the series' name index,
with the text gate's matching rules: whole words, case for short and prose-only names, possessives), then stops
the answer there (the caller says why). `LeakGuard` is the older token-level guard: it holds back only the few
characters that could start a hidden name and stops before the name, so it adds no delay, but the words before
the name in that sentence are already out.

The pacer batches deltas into frames: the first text goes out at once (time to first token is what readers
notice), later text at most once per `window`. A model streams a delta every few milliseconds; sending each as its
own SSE frame (a socket write each) costs more server time than preparing the turn, and text appearing ten times
a second reads as smoothly as text appearing fifty times.
"""

from __future__ import annotations

import bisect
import re
import time
from dataclasses import dataclass, field

from scriptorium.companion.spoilers import NameIndex, open_from, split_sentences

_WORD_START = re.compile(r"(?<!\w)\w")
FRAME_SECONDS = 0.1
MAX_HOLD = 240
"""Characters of one open sentence a `SentenceGuard` holds before it starts releasing its safe beginning."""


@dataclass
class LeakGuard:
    """Hold back only a tail that could still grow into a hidden name, so a name is always seen whole.

    Text flows through untouched unless its last characters start a word that begins some hidden name; those
    few characters wait for the next delta. So the guard adds no delay to a normal answer, and a name the reader
    hasn't reached can never be sent, not even split across deltas.
    """

    names: frozenset[str]
    pending: str = ""
    tripped: bool = False
    _pattern: re.Pattern[str] | None = field(default=None, init=False)
    _sorted: list[str] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        if self.names:
            alternatives = "|".join(re.escape(n) for n in sorted(self.names, key=len, reverse=True))
            self._pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
        self._sorted = sorted(self.names)
        self._hold = max((len(n) for n in self.names), default=0)

    def _starts_a_name(self, fragment: str) -> bool:
        at = bisect.bisect_left(self._sorted, fragment)
        return at < len(self._sorted) and self._sorted[at].startswith(fragment)

    def feed(self, delta: str) -> str:
        """Text that is safe to send now (empty once tripped)."""
        if self.tripped:
            return ""
        self.pending += delta
        if self._pattern is None:
            out, self.pending = self.pending, ""
            return out
        match = self._pattern.search(self.pending)
        if match is not None:
            self.tripped = True
            out, self.pending = self.pending[: match.start()], ""
            return out
        cut = len(self.pending)
        tail_start = max(0, cut - self._hold)
        for word in _WORD_START.finditer(self.pending, tail_start):
            if self._starts_a_name(self.pending[word.start() :]):
                cut = word.start()
                break
        out, self.pending = self.pending[:cut], self.pending[cut:]
        return out

    def flush(self) -> str:
        out, self.pending = ("" if self.tripped else self.pending), ""
        return out


@dataclass
class SentenceGuard:
    """Release an answer sentence by sentence; at the first sentence naming a hidden name, withhold it and trip.

    Same interface as `LeakGuard` (`feed`, `flush`, `tripped`), so the chat stops there and says why. The text
    before the withheld sentence is sent; nothing of that sentence or after it is. The open sentence is checked on
    every delta, so the guard trips as soon as a hidden name appears. A run-on sentence is not held forever: past
    `MAX_HOLD` characters its beginning goes out, up to a word boundary at least one longest-hidden-name short of
    the end, so a name can never be split across what was sent and what is held.
    """

    names: frozenset[str]
    pending: str = ""
    tripped: bool = False
    _index: NameIndex = field(init=False, repr=False)
    _at: int = field(default=0, init=False, repr=False)
    _longest: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        self._index, self._at = NameIndex.for_hidden(self.names)
        self._longest = max((len(n) for n in self.names), default=0)

    def feed(self, delta: str) -> str:
        """Complete sentences that are safe to send now ("" while one is still open, and once tripped)."""
        if self.tripped:
            return ""
        self.pending += delta
        pieces = split_sentences(self.pending)
        cut = open_from(pieces)
        out = self._release(pieces[:cut])
        if self.tripped:
            return out
        self.pending = "".join(sentence + gap for sentence, gap in pieces[cut:])
        if self._index.sentence_late(self.pending, self._at):
            # The open text already names a hidden entry: it will be withheld whatever follows, so stop now.
            self.tripped, self.pending = True, ""
        elif len(self.pending) > MAX_HOLD:
            cut_at = self.pending.rfind(" ", 0, len(self.pending) - self._longest)
            if cut_at > 0:
                out += self.pending[:cut_at]
                self.pending = self.pending[cut_at:]
        return out

    def flush(self) -> str:
        """The last sentence at the end of the stream, if it is safe."""
        if self.tripped:
            return ""
        pieces, self.pending = split_sentences(self.pending), ""
        return self._release(pieces)

    def _release(self, pieces: list[tuple[str, str]]) -> str:
        """The pieces before the first one to withhold; from there on nothing (the guard trips)."""
        late = self._index.late_pieces(pieces, self._at)
        if not late:
            return "".join(sentence + gap for sentence, gap in pieces)
        self.tripped, self.pending = True, ""
        return "".join(sentence + gap for sentence, gap in pieces[: min(late)])


@dataclass
class Pacer:
    """Collect text and release it as the first frame immediately, then at most one frame per `window` seconds."""

    window: float = FRAME_SECONDS
    buffer: str = ""
    last: float = float("-inf")

    def feed(self, text: str) -> str:
        """What to send now ("" while the window is still open)."""
        self.buffer += text
        now = time.monotonic()
        if not self.buffer or now - self.last < self.window:
            return ""
        self.last = now
        return self.flush()

    def flush(self) -> str:
        out, self.buffer = self.buffer, ""
        return out
