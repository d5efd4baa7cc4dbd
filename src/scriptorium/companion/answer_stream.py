"""What happens to answer text between the answerer and the wire: the leak guard and the pacer.

The leak guard is the output-side check the original lacked. A configured model may remember the comic beyond
the notes it was given; if the name of an entity the reader hasn't met is about to be sent, the guard stops the
answer there (the caller then says why). It holds back only the few characters that could be the start of such
a name, so a normal answer is not delayed.

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

_WORD_START = re.compile(r"(?<!\w)\w")
FRAME_SECONDS = 0.1


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
