"""Name and topic matching shared by the sources and the homonym guard.

Everything here is deterministic and explainable: a paper is "about the interest" when it shares a content word
stem with it, an institution "agrees" when its distinctive words or acronym agree. Crude on purpose: the guard
must say *why* it trusted a paper, and a reviewer must be able to check that reason by eye.
"""

from __future__ import annotations

import re
import unicodedata


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_HONORIFICS = _words(
    "dr dr. doctor prof prof. professor mr mr. mrs mrs. ms ms. mx mx. sir dame assoc assoc. asst asst."
)
_SUFFIXES = _words("phd ph.d ph.d. md m.d. m.d jr jr. sr sr. ii iii iv frs dphil msc ma bsc")
_STOPWORDS = _words(
    """a an and are as at be by for from has have in into is it its of on or that the their this to was were
    with without within over under between about across after before during toward towards via using use used
    based new novel study studies analysis approach approaches method methods research work works paper papers
    results result case role effect effects application applications problem problems theory
    university institute college school department dept center centre laboratory lab faculty professor
    associate assistant interest interests area areas field fields topic topics"""
)
_STEM_SUFFIXES = (
    "izations", "ization", "ications", "ication", "ational", "ations", "ation", "ically", "ical", "ities", "ity",
    "ians", "ian", "ings", "ing", "ists", "ist", "isms", "ism", "ness", "ers", "er", "ies", "ied", "ed", "es",
    "al", "ic", "s", "y",
)  # fmt: skip
_GENERIC_INSTITUTION_WORDS = _words(
    "the of at and for in university universität université universidad universita college institute school "
    "department dept faculty campus center centre"
)


def fold(text: str) -> str:
    """Lower-case ASCII: accents removed, so `José` and `Jose` compare equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def clean_name(raw: str) -> str:
    """Strip honorifics and degrees: `Prof. Dr. María Chen, PhD` -> `María Chen`. `Chen, Maria` -> `Maria Chen`."""
    text = " ".join(raw.replace("\u00a0", " ").split())
    if text.count(",") == 1:
        head, tail = (part.strip() for part in text.split(","))
        tail_words = tail.lower().split()
        if tail_words and all(word in _SUFFIXES for word in tail_words):
            text = head
        elif head and tail and " " not in head:
            text = f"{tail} {head}"
    words = [w for w in text.replace(",", " ").split() if w]
    while words and words[0].lower() in _HONORIFICS:
        words.pop(0)
    while words and words[-1].lower() in _SUFFIXES:
        words.pop()
    return " ".join(words) or text


def _name_tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[^a-z]+", fold(clean_name(name))) if t]


def last_name(name: str) -> str:
    """The family name as written (last word after cleaning)."""
    words = clean_name(name).split()
    return words[-1] if words else name.strip()


def first_name(name: str) -> str:
    words = clean_name(name).split()
    return words[0] if words else name.strip()


def name_matches(candidate: str, target: str, *, initials: bool = True) -> bool:
    """Same family name and a compatible first name: `M. Chen` ~ `Maria Chen`, `Mario Chen` !~ `Maria Chen`.

    With `initials=False` an initial never matches (for alternative spellings, where `M. Chen` says nothing).
    """
    a, b = _name_tokens(candidate), _name_tokens(target)
    if not a or not b or a[-1] != b[-1]:
        return False
    if len(a) == 1 or len(b) == 1:
        return False
    first_a, first_b = a[0], b[0]
    if len(first_a) == 1 or len(first_b) == 1:
        return initials and first_a[0] == first_b[0]
    return first_a == first_b


def mentions_name(text: str, name: str) -> bool:
    """True when `text` contains the full cleaned name (middle initials allowed between the parts)."""
    tokens = _name_tokens(name)
    if len(tokens) < 2:
        return False
    pattern = re.escape(tokens[0]) + r"(?:\s+[a-z]\.?)*\s+" + re.escape(tokens[-1])
    return re.search(rf"\b{pattern}\b", fold(text)) is not None


def stem(word: str) -> str:
    for suffix in _STEM_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def terms(text: str) -> set[str]:
    """Content-word stems: `Computational biology of protein folding` -> {comput, biolog, protein, fold}."""
    words = re.findall(r"[a-z][a-z0-9]+", fold(text))
    return {stem(w) for w in words if len(w) >= 3 and w not in _STOPWORDS}


def topic_overlap(interest: str, text: str) -> set[str]:
    """Stems the interest shares with `text`; non-empty means the text is on the recipient's topic."""
    return terms(interest) & terms(text)


def _institution_words(name: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", fold(name))]


def _acronym(words: list[str]) -> str:
    return "".join(w[0] for w in words if w not in {"of", "the", "at", "and", "for", "in"})


def institution_matches(a: str, b: str) -> bool:
    """`University of Northbridge` ~ `Northbridge University`; `MIT` ~ `Massachusetts Institute of Technology`."""
    words_a, words_b = _institution_words(a), _institution_words(b)
    if not words_a or not words_b:
        return False
    if words_a == words_b:
        return True
    for short, long in ((words_a, words_b), (words_b, words_a)):
        if len(short) == 1 and len(short[0]) >= 2 and short[0] == _acronym(long):
            return True
    key_a = set(words_a) - _GENERIC_INSTITUTION_WORDS
    key_b = set(words_b) - _GENERIC_INSTITUTION_WORDS
    if not key_a or not key_b:
        return False
    shared = key_a & key_b
    return len(shared) * 2 >= min(len(key_a), len(key_b))


def normalize_title(title: str) -> str:
    """Titles compared loosely: case, accents, punctuation and spacing ignored."""
    return " ".join(re.findall(r"[a-z0-9]+", fold(title)))


def text_mentions_institution(text: str, institution: str) -> bool:
    """True when the institution's distinctive words all appear in `text` (a profile page's prose)."""
    key = set(_institution_words(institution)) - _GENERIC_INSTITUTION_WORDS
    if not key:
        return False
    words = set(re.findall(r"[a-z0-9]+", fold(text)))
    return key <= words


_ORCID = re.compile(r"\b(\d{4}-\d{4}-\d{4}-\d{3}[\dX])\b")


def orcid_ids(text: str | None) -> set[str]:
    """Bare ORCID iDs in `text`: `https://orcid.org/0000-0002-1825-0097` or `ORCID 0000-0002-1825-0097`."""
    return set(_ORCID.findall(text or ""))
