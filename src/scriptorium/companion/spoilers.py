"""The text-level spoiler gate: withhold every sentence that names something the reader has not met yet.

`boundary.py` gates rows by their debut, but a row's own text can still carry later knowledge (a card written
with the whole series in mind: "raised by her three godmothers near Squirrel's End" on page 1). Ingest therefore
builds a series-wide name index (`companion_names`: every entity name and alias, wiki title and proper name found
in prose, including content `--skip-unreached` dropped), each with the first page whose text or data shows it,
or NULL when nothing places it. At serve time every text goes through `NameIndex.gate(text, index)`: it is split
into sentences (and lines, so dialogue counts), and a sentence naming an entry whose debut is later than the
reader's page, or unknown, is withheld while the rest of the item stays. The rule is structural: it needs no list
of spoilery phrases, only the names and where the story first shows them.

Matching: whole words; names of up to three letters ("Ah", "Ko") case-sensitively, so "ah" in a sentence is not
the school of Ah; longer names case-insensitively, except names found only in prose (`exact`): those are names
because they are capitalised ("the Great War"), so only the capitalised form is one ("a great war" is not); a
possessive ("Saffron's") names Saffron. A short name that
opens a sentence and is followed by "!", "," or "?" is read as an interjection ("Ah! There you are."), not a name.

Text is matched in a folded form, because a name reaches the reader in more shapes than the index stores:
accents are dropped and Unicode is decomposed ("Zoe", "Zoë" typed either way), invisible format characters (soft
hyphens, zero-width spaces) are removed, every apostrophe is "'", and the words of a name may be joined by any
whitespace, a hyphen or an underscore ("Ambrose Kell", "zoe_marchetti" in a link). A plural ("the Marchettis")
names the family, and a prose-only name also counts in capitals ("THE EASTERN SPIRE" on a sign; names of up to
three letters do not, a lettered "AH!" is a sound). A name broken across two lines ("Old\nFen") withholds both
lines: a sentence check alone would see neither half.

`SentenceGate` is the streaming variant for a model's answer: text is held until its sentence ends, then
released or withheld whole.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.companion.models import Series, SpoilerName

SHORT_NAME = 3
"""Names this long or shorter are matched case-sensitively (whole words)."""

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'", "\u2010": "-", "\u2011": "-"})
_SPEAKER = re.compile(r"^[^:\n]{1,40}:\s")
"""A dialogue line ("Mira: ...") starts a new sentence even when the line before it did not end one."""
_TERMINAL = re.compile(r"[.!?…:;][\"'”’»)\]]*$")

_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
_LINE = re.compile(r"([^\n]*)(\n+|$)")
_SENTENCE = re.compile(r"(\S.*?(?:[.!?…]+[\"'”’»)\]]*(?=\s|$)|$))(\s*)")
_OPENERS = "\"'“‘«([-–—…. \t"
_INTERJECTION_AFTER = "!,?…"


def fold(text: str) -> str:
    """Text as names are matched in it: decomposed, accents and invisible format characters dropped, one apostrophe.

    Why: "Zoë" arrives precomposed, decomposed or typed as "Zoe", and a soft hyphen or zero-width space inside a
    name hides it from a plain regex; none of that changes which name a reader sees.
    """
    if "%" in text:
        text = unquote(text)  # a name inside a link: /wiki/Zo%C3%AB_Marchetti
    if text.isascii():
        return text.translate(_APOSTROPHES)
    decomposed = unicodedata.normalize("NFKD", text.replace("\u200b", " "))
    kept = "".join(c for c in decomposed if unicodedata.category(c) not in ("Mn", "Cf"))
    return kept.translate(_APOSTROPHES)


def normalize_name(name: str) -> str:
    """The form a name is indexed under: trimmed, inner spaces collapsed, ’ as ', a leading 'The' dropped."""
    return _LEADING_THE.sub("", " ".join(name.replace("’", "'").split()))


def is_short(name: str) -> bool:
    return len(name) <= SHORT_NAME


def name_key(name: str, *, exact: bool = False) -> str:
    """Lookup key: folded (see `fold`); short and exact names keep their case, others are lower-cased."""
    name = _words_key(fold(normalize_name(name)))
    return name if exact or is_short(name) else name.lower()


def _words_key(name: str) -> str:
    """A folded name with hyphens and underscores between words read as spaces ("Ambrose-Kell" is "Ambrose Kell")."""
    return " ".join(re.split(r"[\s_*-]+", name)).strip()


def bare_break(sentence: str, gap: str) -> bool:
    """True when a line ends without ending its sentence, so a name may run on into the next line."""
    return bool(sentence) and "\n" in gap and "\n\n" not in gap and not _TERMINAL.search(sentence)


def split_sentences(text: str) -> list[tuple[str, str]]:
    """(sentence, following whitespace) pairs that join back to `text`; every line is at least one sentence.

    Leading whitespace comes back as a ("", whitespace) pair so nothing is lost.
    """
    pieces: list[tuple[str, str]] = []
    lead = len(text) - len(text.lstrip())
    if lead:
        pieces.append(("", text[:lead]))
    for line in _LINE.finditer(text[lead:]):
        body, newline = line.group(1), line.group(2)
        if not body and not newline:
            continue
        found = list(_SENTENCE.finditer(body))
        if not found:
            pieces.append(("", body + newline))
            continue
        for i, match in enumerate(found):
            gap = match.group(2) + (newline if i == len(found) - 1 else "")
            pieces.append((match.group(1), gap))
    return pieces


@dataclass(frozen=True, slots=True)
class NameEntry:
    """One indexed name: its text, its debut (global page index, None when nothing places it) and its origin."""

    name: str
    debut_index: int | None
    source: str = ""

    @property
    def exact(self) -> bool:
        """Matched only as written: a proper name known only from capitalised prose, or a name that is also a word
        the text uses in lower case (`word`: "I will" is not Will)."""
        return self.source in ("prose", "word")


def _pattern(names: Iterable[str], flags: int, plurals: bool = True) -> re.Pattern[str] | None:
    """One pattern for many folded names: whole words (an underscore is a separator), plural "s"/"es" allowed
    unless `plurals` is off (ingest places names strictly: "the rooks" on page 1 does not introduce Rook)."""
    ordered = sorted(set(names), key=lambda n: (-len(n), n))
    if not ordered:
        return None
    alternatives = "|".join(_flexible(n) for n in ordered)
    plural = "(?:e?s)?" if plurals else ""
    return re.compile(rf"(?<![^\W_])(?<!&)(?P<name>{alternatives}){plural}(?![^\W_])(?!&)", flags)


def _flexible(name: str) -> str:
    """A folded name as a pattern: its words joined by any run of whitespace, hyphens, underscores or markdown
    asterisks ("**Old** **Fen**")."""
    return r"[\s_*-]+".join(re.escape(word) for word in name.split())


def _inner_names(keys: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Key -> the other keys whose words run inside it ("Marchetti" in "Marchetti Crow"), case and possessives
    ignored: a regex finds only the longest name at a place, so a name inside an earlier one would go unseen."""

    def words(key: str) -> tuple[str, ...]:
        return tuple(re.sub(r"'s?$", "", word) for word in key.lower().split())

    by_words: dict[tuple[str, ...], list[str]] = {}
    for key in keys:
        by_words.setdefault(words(key), []).append(key)
    inner: dict[str, tuple[str, ...]] = {}
    for own, owners in by_words.items():
        found = [
            key
            for start in range(len(own))
            for end in range(start + 1, len(own) + 1)
            if end - start < len(own)
            for key in by_words.get(own[start:end], ())
        ]
        for owner in owners:
            if found:
                inner[owner] = tuple(dict.fromkeys(found))
    return inner


def _mixed_case(sentence: str) -> bool:
    """True when the sentence (after a "Speaker:" label) has lower-case letters, so capitals in it are emphasis."""
    label = _SPEAKER.match(sentence)
    return any(c.islower() for c in sentence[label.end() if label else 0 :])


def _interjection(sentence: str, start: int, end: int) -> bool:
    before = sentence[:start]
    return all(c in _OPENERS for c in before) and end < len(sentence) and sentence[end] in _INTERJECTION_AFTER


class NameIndex:
    """Every name of a series with its debut; gates text at a reader's page."""

    def __init__(self, entries: Iterable[NameEntry], *, version: tuple[object, ...] = (), plurals: bool = True) -> None:
        self.version = version
        debuts: dict[str, int | None] = {}
        shown: dict[str, str] = {}
        exact: set[str] = set()
        words: set[str] = set()
        for entry in entries:
            name = normalize_name(entry.name)
            if len(name) < 2:
                continue
            key = name_key(name, exact=entry.exact)
            if len(key) < 2:
                continue
            if entry.exact or is_short(key):
                exact.add(key)
            if entry.source == "word":
                words.add(key)
            shown.setdefault(key, name)
            if key not in debuts:
                debuts[key] = entry.debut_index
            elif entry.debut_index is not None:
                old = debuts[key]
                debuts[key] = entry.debut_index if old is None else min(old, entry.debut_index)
        self._debuts = debuts
        self._shown = shown
        # A prose-only name written in capitals is still that name (a sign, a shout); a short one is not ("AH!").
        # A word-like name in capitals counts only inside a sentence that is not all capitals: lettering shouts whole
        # lines ("I WILL GO!" is not Will), prose shouts a name ("the BRIDGE's rails").
        self._capitals = {k.upper(): k for k in exact if not is_short(k) and k.upper() not in exact}
        self._long = _pattern((k for k in debuts if k not in exact), re.IGNORECASE, plurals)
        self._short = _pattern([*exact, *self._capitals], 0, plurals)
        self._exact = exact
        self._words = words
        self._inner = _inner_names(debuts)

    def __len__(self) -> int:
        return len(self._debuts)

    def entries(self) -> list[NameEntry]:
        return [
            NameEntry(
                self._shown[k],
                d,
                "word" if k in self._words else "prose" if k in self._exact and not is_short(k) else "",
            )
            for k, d in sorted(self._debuts.items())
        ]

    def _key(self, name: str) -> str | None:
        exact = name_key(name, exact=True)
        if exact in self._exact and exact in self._debuts:
            return exact
        lower = exact.lower()
        return lower if lower in self._debuts and lower not in self._exact else None

    def debut_of(self, name: str) -> int | None:
        """The debut of an indexed name (None for unknown or not indexed)."""
        key = self._key(name)
        return None if key is None else self._debuts[key]

    def is_late(self, name: str, index: int) -> bool:
        """True when the reader at `index` may not see this name: it debuts later, or nothing places it."""
        key = self._key(name)
        return key is not None and self._late_key(key, index)

    def _late_key(self, key: str, index: int) -> bool:
        debut = self._debuts[key]
        return debut is None or debut > index

    def names_in(self, text: str) -> list[str]:
        """Indexed names the text mentions (matched form, in order of appearance, once each)."""
        found: dict[str, str] = {}
        for sentence, _ in split_sentences(text):
            for key in self._keys_in(sentence):
                found.setdefault(key, self._shown[key])
        return list(found.values())

    def _keys_in(self, sentence: str) -> list[str]:
        folded = fold(sentence)
        keys: list[str] = []
        if self._long is not None:
            keys += [_words_key(m.group("name")).lower() for m in self._long.finditer(folded)]
        if self._short is not None:
            for m in self._short.finditer(folded):
                matched = _words_key(m.group("name"))
                if is_short(matched) and _interjection(folded, m.start(), m.end()):
                    continue
                key = self._capitals.get(matched, matched)
                if key in self._words and key != matched and not _mixed_case(folded):
                    continue
                keys.append(key)
        # A match is the longest name at its place; the names inside it are named too ("the Marchetti Crow").
        keys += [inner for key in keys for inner in self._inner.get(key, ())]
        return [k for k in keys if k in self._debuts]

    def sentence_late(self, sentence: str, index: int) -> list[str]:
        """Names in one sentence that the reader at `index` may not see yet."""
        return [self._shown[k] for k in dict.fromkeys(self._keys_in(sentence)) if self._late_key(k, index)]

    def late_names(self, text: str, index: int) -> list[str]:
        """Every name in `text` that debuts after `index` or has no known debut (for reports and tests)."""
        late: dict[str, None] = {}
        for sentence, _ in split_sentences(text):
            late.update(dict.fromkeys(self.sentence_late(sentence, index)))
        return list(late)

    def gate(self, text: str, index: int) -> str:
        """`text` without the sentences that name anything the reader at page `index` has not met."""
        if not text or not self._debuts:
            return text
        pieces = split_sentences(text)
        late = self.late_pieces(pieces, index)
        if not late:
            return text
        kept = [sentence + gap for i, (sentence, gap) in enumerate(pieces) if i not in late]
        joined = re.sub(r"[ \t]+\n", "\n", "".join(kept))
        return re.sub(r"\n{3,}", "\n\n", joined).strip()

    def late_pieces(self, pieces: list[tuple[str, str]], index: int) -> set[int]:
        """Positions of the pieces to withhold: each naming a late entry, and every line of a sentence that line
        breaks split, when one line of it is withheld or a late name runs across two (neither half names it)."""
        late = {i for i, (sentence, _) in enumerate(pieces) if sentence and self.sentence_late(sentence, index)}
        group: list[int] = []
        for i, (sentence, gap) in enumerate(pieces):
            group.append(i)
            following = pieces[i + 1][0] if i + 1 < len(pieces) else ""
            if following and bare_break(sentence, gap) and not _SPEAKER.match(following):
                continue
            if len(group) > 1:
                joined = " ".join(pieces[j][0] for j in group)
                if late.intersection(group) or self.sentence_late(joined, index):
                    late.update(group)
            group = []
        return late

    def hidden_at(self, index: int) -> HiddenNames:
        """Every name the reader at `index` may not see (what a streamed answer must not say)."""
        late = [k for k, d in self._debuts.items() if d is None or d > index]
        hidden = HiddenNames(
            (self._shown[k] for k in late),
            exact=(self._shown[k] for k in late if k in self._exact),
            words=(self._shown[k] for k in late if k in self._words),
        )
        hidden.source = (self, index)
        return hidden

    def stream(self, index: int) -> SentenceGate:
        """A streaming gate for a model's answer at `index`."""
        return SentenceGate(self, index)

    @classmethod
    def hiding(cls, names: Iterable[str]) -> NameIndex:
        """An index where every given name is hidden (no known debut): what a turn's hidden-name set becomes.

        Names a `HiddenNames` marks exact keep their case rule (a prose name counts only as written).
        """
        exact = names.exact if isinstance(names, HiddenNames) else frozenset()
        words = names.words if isinstance(names, HiddenNames) else frozenset()
        return cls(
            NameEntry(name, None, "word" if name in words else "prose" if name in exact else "hidden") for name in names
        )

    @staticmethod
    def for_hidden(names: Iterable[str]) -> tuple[NameIndex, int]:
        """(index, position) that hides exactly `names`: the series' own index when the set is exactly what it hides
        at a position (compiled once per content version), else a new index of just these names."""
        if isinstance(names, HiddenNames) and names.source is not None:
            return names.source
        return NameIndex.hiding(names), 0


class HiddenNames(frozenset[str]):
    """A set of names an answer must not say, remembering which count only as written (`exact`) and which of those
    are also words (`words`: never counted in an all-capitals sentence)."""

    exact: frozenset[str]
    words: frozenset[str]
    source: tuple[NameIndex, int] | None
    """The index and position this set is exactly `hidden_at` of, if it is (lets a guard reuse that index)."""

    def __new__(cls, names: Iterable[str] = (), exact: Iterable[str] = (), words: Iterable[str] = ()) -> HiddenNames:
        made = super().__new__(cls, names)
        made.exact = frozenset(exact) & made
        made.words = frozenset(words) & made.exact
        made.source = None
        return made

    def keep(self, predicate: Callable[[str], bool]) -> HiddenNames:
        """The names `predicate` accepts, with their case rules (the same set, source kept, if all are)."""
        kept = [name for name in self if predicate(name)]
        if len(kept) == len(self):
            return self
        return HiddenNames(
            kept,
            exact=(name for name in kept if name in self.exact),
            words=(name for name in kept if name in self.words),
        )


@dataclass
class SentenceGate:
    """Hold streamed text until its sentence ends, then release it, or withhold it if it names a hidden entry."""

    names: NameIndex
    index: int
    pending: str = ""
    withheld: int = 0

    def feed(self, delta: str) -> str:
        """Text whose sentences are complete and safe ("" while a sentence is still open)."""
        self.pending += delta
        pieces = split_sentences(self.pending)
        cut = open_from(pieces)
        if cut == 0:
            return ""
        self.pending = "".join(sentence + gap for sentence, gap in pieces[cut:])
        return self._release(pieces[:cut])

    def flush(self) -> str:
        """The rest, at the end of the stream (gated like any sentence)."""
        pieces = split_sentences(self.pending)
        self.pending = ""
        return self._release(pieces)

    def _release(self, pieces: list[tuple[str, str]]) -> str:
        late = self.names.late_pieces(pieces, self.index)
        self.withheld += len(late)
        return "".join(sentence + gap for i, (sentence, gap) in enumerate(pieces) if i not in late)


def open_from(pieces: list[tuple[str, str]]) -> int:
    """Where the still-open part of streamed text starts: the last piece, and the lines a bare line break joins to
    it (a name may run on from one line into the next, so those lines are not released alone)."""
    cut = len(pieces) - 1
    while cut > 0 and bare_break(*pieces[cut - 1]):
        cut -= 1
    return max(cut, 0)


async def load_name_index(db: AsyncSession, series_id: str, *, version: tuple[object, ...] = ()) -> NameIndex:
    rows = await db.execute(
        select(SpoilerName.name, SpoilerName.debut_index, SpoilerName.source).where(SpoilerName.series_id == series_id)
    )
    return NameIndex((NameEntry(name, debut, source) for name, debut, source in rows), version=version)


_CACHE: dict[str, NameIndex] = {}
_CACHE_LIMIT = 32


async def name_index(db: AsyncSession, series_id: str) -> NameIndex:
    """The series' name index, cached per process and reloaded when the series' content changes.

    The key is (content_version, updated_at): the version moves on every ingest, and the timestamp tells apart two
    databases that hold copies of one series (tests, a restored backup) at the same version.
    """
    row = (await db.execute(select(Series.content_version, Series.updated_at).where(Series.id == series_id))).first()
    version: tuple[object, ...] = (row[0], row[1]) if row is not None else (None, None)
    hit = _CACHE.get(series_id)
    if hit is not None and hit.version == version:
        return hit
    loaded = await load_name_index(db, series_id, version=version)
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[series_id] = loaded
    return loaded
