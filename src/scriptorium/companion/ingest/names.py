"""Build the series-wide name index that the text gate (`companion/spoilers.py`) reads at serve time.

Which strings are names:
- every entity name and alias and every wiki article title, including entities and articles that
  `--skip-unreached` dropped (their names still must not appear early);
- proper names found in prose (wiki sections, entity and relation summaries, episode summaries, page
  descriptions and recaps): runs of capitalised words that are not all capitals. A run in mid-sentence is a name.
  A sentence's first word is capitalised anyway, so there it counts only when the same word (or the whole run) is
  also seen capitalised in mid-sentence somewhere, is a known name, or takes a possessive ("Seraphine's sister.").
  A single word is no name when the corpus also uses it in lower case ("Potion" in "Potion of Flight": the text
  says "potion" elsewhere). A plural of a known name is not a name of its own (the gate matches plurals);
- the capitalised words of an entity's multi-word name that the corpus never uses in lower case ("Marchetti" of
  "Zoë Marchetti"), with that entity's debut.
Names are compared folded (accents, apostrophes, hyphens: `spoilers.name_key`), so "Zoe" and "Zoë" are one name.

A single-word name the story uses as a lower-case word before the name debuts ("I will light the lantern" on page
1, Will met on page 8) is stored as a `word`: it is placed only where lettering plainly uses it as a name (a
speaker, or capitalised in mid-sentence) and the gate matches it only capitalised. Placement is strict (no
plurals): "the rooks" on page 1 does not introduce Rook.

Where a name debuts (the first page that shows it; None when nothing does):
- an entity's name and aliases: its world-graph debut, or an earlier page whose lettering names it;
- an entity's article title: that entity's debut;
- every name: the first page whose lettering (what the reader literally reads) names it, or the first page of an
  episode whose title names it, or page one if the series title does (titles are public); names that no declared
  debut covers (titles of topic articles, prose names) also by the first page whose description or recap does.
A declared debut beats a curator's prose, so a description that names an entity early does not move the entity;
the lint reports it and the gate withholds the sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from scriptorium.companion.content import STOPWORDS
from scriptorium.companion.ingest.bundle import Resolved
from scriptorium.companion.spoilers import (
    NameEntry,
    NameIndex,
    fold,
    is_short,
    name_key,
    normalize_name,
    split_sentences,
)

_WORD = re.compile(r"[^\W\d_][\w'’&-]*")
_POSSESSIVE = re.compile(r"['’]s?$")
_SPEAKER = re.compile(r"^\s*([^:\n]{1,40}):")
_GAP = re.compile(r"^[ \t]+$")
_OPENERS = "\"'“‘«([-–—…. \t*_"
COMMON_CAPITALISED = frozenset(
    """after again all also although always another any because before being besides both during each either
    even every finally first here however instead just later meanwhile most much never next now often once only
    other perhaps since some soon still such that then there these this those though thus together too until
    very when whenever where whereas while whilst yes yet episode episodes page pages chapter part book volume
    mr mrs ms dr today tonight tomorrow yesterday everyone everybody someone somebody anyone anybody nobody
    nothing something everything""".split()  # noqa: SIM905 (a word list reads better as prose)
)


def _prose(resolved: Resolved) -> Iterator[str]:
    """Every curated text that could carry a name the story has not shown yet."""
    bundle = resolved.bundle
    yield bundle.description
    for _, sections in resolved.every_article:
        for section in sections:
            yield section.text
    for entity in resolved.every_entity:
        yield entity.summary
        yield from (text for _, text in entity.summary_as_of)
    for relation in resolved.every_relation:
        yield relation.summary
    for episode in bundle.episodes:
        yield episode.summary
        for page in episode.pages:
            yield page.description
            yield page.recap


def _runs(sentence: str) -> Iterator[tuple[list[str], bool]]:
    """(capitalised words, starts the sentence) for each run of capitalised words in one sentence."""
    words = list(_WORD.finditer(sentence))
    run: list[str] = []
    initial = False
    previous_end = -1
    for number, match in enumerate(words):
        word = match.group(0).rstrip("-")
        capital = word[:1].isupper() and not (len(word) > 1 and word.isupper())
        joined = run and _GAP.match(sentence[previous_end : match.start()]) is not None
        if run and (not capital or not joined):
            yield run, initial
            run = []
        if capital:
            if not run:
                initial = number == 0
            run.append(word)
        previous_end = match.end()
    if run:
        yield run, initial


def _clean(words: list[str]) -> str:
    """The run as a name, a trailing possessive dropped ("Squirrel's End" stays, "Saffron's" is "Saffron")."""
    return _POSSESSIVE.sub("", " ".join(words))


def prose_names(texts: Iterable[str], known: set[str], *, vocabulary: Iterable[str] = ()) -> set[str]:
    """Proper names in free text (see the module docstring for the rules); `vocabulary` adds lower-case usage."""
    sentences = [s for text in texts if text for s, _ in split_sentences(text) if s]
    lower: set[str] = set()
    for sentence in [*sentences, *vocabulary]:
        lower.update(w for w in _WORD.findall(sentence) if w.islower())
    runs = [(words, initial) for sentence in sentences for words, initial in _runs(sentence)]
    mid_words = {w for words, initial in runs for w in (words[1:] if initial else words)}
    mid_phrases = {_clean(words) for words, initial in runs if not initial}
    names: set[str] = set()
    for words, initial in runs:
        common = words[0].lower() in STOPWORDS or words[0].lower() in COMMON_CAPITALISED
        # A possessive is evidence too: "Seraphine's sister." names Seraphine even if she only ever opens sentences.
        owned = _POSSESSIVE.search(words[-1]) is not None and not common
        evidence = _clean(words) in mid_phrases or (words[0] in mid_words and not common) or owned
        if initial and not (evidence or normalize_name(_clean(words)).lower() in known):
            words = words[1:]
        name = normalize_name(_clean(words)) if words else ""
        if " " not in name:
            bare = name.lower()
            if len(name) < 2 or bare in lower or bare in STOPWORDS or bare in COMMON_CAPITALISED:
                continue
        names.add(name)
    return names


def build_name_entries(resolved: Resolved) -> list[NameEntry]:
    """Every name of the series with its debut (None when no page places it)."""
    declared: dict[str, tuple[str, int | None]] = {}

    def declare(name: str, source: str, debut: int | None) -> None:
        name = normalize_name(name)
        if len(name) < 2:
            return
        old = declared.get(name)
        if old is None or (debut is not None and (old[1] is None or debut < old[1])):
            declared[name] = (old[0] if old else source, debut)

    for entity in resolved.every_entity:
        debut = resolved.entity_debuts.get(entity.slug)
        declare(entity.name, "entity", debut)
        for alias in entity.aliases:
            declare(alias, "alias", debut)
    for article, _ in resolved.every_article:
        owner = article.entity_slug
        declare(article.title, "title", resolved.entity_debuts.get(owner) if owner else None)
    lettering = [page.text for episode in resolved.bundle.episodes for page in episode.pages]
    texts = list(_prose(resolved))
    lower = _lower_words([*texts, *lettering])
    for name, (source, debut) in list(declared.items()):
        for part in _parts(name, lower) if source == "entity" else []:
            declare(part, "prose", debut)
    known = {name_key(name) for name in declared}
    found = prose_names(texts, known, vocabulary=lettering)
    # A plural of a known name is that name ("the Marchettis"); the gate matches plurals, so it needs no entry.
    placed_keys = [(f" {name_key(full)} ", debut) for full, (_, debut) in declared.items() if debut is not None]
    prose = {
        name: ("prose", _part_of(name, placed_keys))
        for name in found
        if not {name_key(name), _singular(name_key(name))} & known
    }
    candidates = {**prose, **declared}
    undeclared = {name for name, (_, debut) in candidates.items() if debut is None}
    early = _first_lower_use(resolved)
    words = {name for name, (_, debut) in candidates.items() if " " not in name and _is_word(name, debut, early)}
    placed = _placements(resolved, candidates, undeclared, words)
    entries: list[NameEntry] = []
    for name, (source, debut) in sorted(candidates.items()):
        first = placed.get(name_key(name, exact=source == "prose"))
        best = first if debut is None else (debut if first is None else min(debut, first))
        # A name that is also a word is matched only as written at serve time too ("I will" is not Will).
        entries.append(NameEntry(name, best, "word" if name in words and not is_short(name) else source))
    return entries


def _singular(key: str) -> str:
    return key[:-2] if key.endswith("es") else key[:-1] if key.endswith("s") else key


def _first_lower_use(resolved: Resolved) -> dict[str, int]:
    """Folded lower-case word -> the first page whose lettering, description or recap uses it."""
    first: dict[str, int] = {}
    for episode in resolved.bundle.episodes:
        start = resolved.starts[episode.number]
        for page in episode.pages:
            for word in _lower_words([page.text, page.description, page.recap]):
                first.setdefault(word, start + page.number - 1)
    return first


def _is_word(name: str, debut: int | None, early: dict[str, int]) -> bool:
    """True when the story uses this single-word name (or its plural) as a lower-case word before the name debuts.

    Why "before": "I will light the lantern" on page 1, with Will met on page 8, shows "will" is a word of the
    story's own, so only the capitalised form is the name. A word first used after its name debuted ("a phoenix
    will not give up its tears", once the Phoenix has been met) is the name's own noun and stays a name in any case.
    """
    word = fold(name).lower()
    uses = [early[w] for w in (word, f"{word}s", f"{word}es") if w in early]
    return bool(uses) and (debut is None or min(uses) < debut)


def _lower_words(texts: Iterable[str]) -> set[str]:
    """Every word the texts use in lower case (folded): such a word is a word first, and a name only capitalised."""
    return {fold(w) for w in {w for text in texts if text for w in _WORD.findall(text) if w.islower()}}


def _parts(name: str, lower: set[str]) -> list[str]:
    """The capitalised words of a declared multi-word name that stand for it alone ("Marchetti" of "Zoë Marchetti",
    "Ambrose-Kell" of "Brother Ambrose-Kell"): not function words, not words the text uses in lower case."""
    words = [_POSSESSIVE.sub("", w.rstrip("-")) for w in _WORD.findall(name)]
    if len(words) < 2:
        return []
    return [
        w
        for w in words
        if len(w) >= 2
        and w[:1].isupper()
        and fold(w).lower() not in lower
        and w.lower() not in STOPWORDS
        and w.lower() not in COMMON_CAPITALISED
    ]


def _part_of(name: str, placed: list[tuple[str, int]]) -> int | None:
    """A prose name that is part of a declared name ("Osric" of "Keeper Osric Vell") debuts with it.

    `placed` is (" key ", debut) of every declared name with a debut, built once per index."""
    words = f" {name_key(name)} "
    return min((debut for key, debut in placed if words in key), default=None)


def _placements(
    resolved: Resolved, candidates: dict[str, tuple[str, int | None]], undeclared: set[str], words: set[str]
) -> dict[str, int]:
    """Name key -> first page index whose lettering (or, for undeclared names, description or recap) shows it.

    A name that is also a word the text uses in lower case (`words`: a character called Will, a crow called Rook)
    is shown only where it is plainly a name: capitalised in mid-sentence, or as a speaker ("Will: Sister!"). "I will
    light the lantern" on page 1 does not introduce Will, and titles, capitalised throughout, introduce no such name.
    """

    def key(name: str) -> str:
        return name_key(name, exact=candidates[name][0] == "prose")

    everything = NameIndex(
        NameEntry(name, None, source) for name, (source, _) in candidates.items() if name not in words
    )
    loose = NameIndex(NameEntry(name, None, candidates[name][0]) for name in undeclared - words)
    first: dict[str, int] = {}
    # The series' title is on every screen and in every prompt: its names are shown from the first page.
    for name in everything.names_in(resolved.bundle.title):
        first.setdefault(key(name), 0)
    for episode in resolved.bundle.episodes:
        start = resolved.starts[episode.number]
        # Every episode's title is public (the picker lists them all), so it shows its names from its first page.
        for name in everything.names_in(episode.title):
            first.setdefault(key(name), start)
        for page in episode.pages:
            index = start + page.number - 1
            found = everything.names_in(page.text) + loose.names_in(f"{page.description}\n{page.recap}")
            found += [name for name in words if _plainly_named(page.text, name)]
            for name in found:
                first.setdefault(key(name), index)
    return first


def _plainly_named(text: str, word: str) -> bool:
    """True when lettering uses a word-like name as a name: a line spoken by it, or capitalised in mid-sentence."""
    pattern = re.compile(rf"(?<![^\W_]){re.escape(fold(word))}(?:['’]s)?(?![^\W_])")
    for line in fold(text).splitlines():
        speaker = _SPEAKER.match(line)
        if speaker is not None and speaker.group(1).strip() == fold(word):
            return True
        body = line[speaker.end() :] if speaker is not None else line
        for sentence, _ in split_sentences(body):
            if any(sentence[: m.start()].strip(_OPENERS) for m in pattern.finditer(sentence)):
                return True
    return False
