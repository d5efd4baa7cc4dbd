"""The offline answerer: an extractive answer built from the turn's passages, with page citations.

Three question shapes, tried in order (`select`):

1. "Who/what is X" (X closes the question: "Who's Saffron?", not "Who is Pepper talking to?"): the first sentences
   of X's card as of the cursor (already gated), then the best sentence of the story naming X.
2. Questions about the page itself ("what happens on page 3", "what does the sign say", "who is here"): the page
   read in order (cast, description, lettering), sign-like lettering quoted first for sign questions.
3. Anything else: every passage split into sentences (dialogue lines count as sentences), each scored against the
   question with BM25-style term weights (inverse sentence frequency, saturated term frequency, length
   normalisation), scaled by how much of the question it covers, with a bonus for the page on screen and for names
   the question mentions. A question word no sentence uses is bridged to the passages' lower-case words nearest it
   in the bundled static model (`semantic.py`: "contest" to "challenge"), weighted by their similarity, so a
   paraphrase is answered from the sentence it means instead of falling back to the page. The best two or three
   non-redundant sentences (each at least half as relevant as the best) are said in story order, each followed by
   its source, plus the balloon after the best line on screen (the reply often holds the fact). Cards and the
   page's cast sentence stay out of this ranking in page mode (the cast sentence names everyone, so it answers only
   "who"/"where").

When nothing matches what a page-mode question asks (at most a name in it), the answer says so and reads the page
on screen: a paraphrase no word neighbour bridges is beyond an extractive answerer, and the reader is most likely
asking about that page.
Otherwise, when nothing matches, it says so instead of guessing; in wiki mode a card that shares only a name
with the question is not a match (`covered`). Deterministic and instant, so it is also the
benchmark baseline (bench/companion_questions.py).
"""

from __future__ import annotations

import asyncio
import math
import re
from collections import Counter
from collections.abc import AsyncGenerator, Iterable, Sequence, Set
from dataclasses import dataclass
from functools import lru_cache

from scriptorium.companion.chat.semantic import expansion
from scriptorium.companion.chat.turn import Passage, Reply, Turn

MAX_SENTENCES = 3
MAX_WORDS = 90
REDUNDANT_JACCARD = 0.6
RELATIVE_FLOOR = 0.5
K1, B = 1.2, 0.75
BRIDGE_WEIGHT = 3.0
"""A word neighbour's weight is its similarity times this, capped at 1: from ~0.33 a neighbour on the page on screen
counts as the word itself ("How long..." meets "ten years ago", 0.54), never more. On batches 1-4 of the question
set 1.0-5.0 answer the same (137/152); without the cap 3.0-5.0 answered one more, but a stand-in outweighing the
word it stands for has no reason behind it."""

_STOPWORD_TEXT = """a an the and or but if then so of to in on at by for with from into onto about as is are was
    were be been
    being am do does did doing have has had having i me my we our you your he him his she her it its they them
    their this that these those there here what which who whom whose when where why how can could would should
    will shall may might must not no yes just also very too than more most some any all each both either neither
    tell show explain describe please know think happen happens happened happening going go goes went get gets
    got one ones thing things much many like really now again ever still only even out up down over under"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
DEICTIC = re.compile(r"\b(this|current|these)\s+(page|spread|panel|scene)s?\b|\bright now\b|\bgoing on\b|\bhappening\b")
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
LOWER_WORD = re.compile(r"(?<![\w'’-])[a-z]+(?![\w'’-])")
FIRST_WORDS = frozenset({"Who", "What", "When", "Where", "Why", "How", "Which", "Whose", "Is", "Are", "Does", "Do",
                         "Did", "Can", "Could", "Will", "Would", "So", "And", "Tell"})  # fmt: skip
SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’)]*\s+(?=[\"“‘(]*[A-Z0-9])")
SPEAKER_LINE = re.compile(r"^\s*([A-Z][\w .'-]{0,40}?)\s*:\s*(.+)$")
IDENTITY = re.compile(
    r"^(?:so|and|ok|okay|wait|hey|remind me)?[\s,]*(?:(?:who|what)(?:'s|’s|\s+(?:is|are|was|were))\s+(?!.*\b(?:doing|"
    r"saying|holding|wearing|on this page|on the page|here|happen\w*)\b)|(?:what kind of \w+|what sort of \w+)\s+"
    r"(?:is|are)\s+|tell me (?:more )?about\s|what do (?:we|you|i) know about\s)",
    re.IGNORECASE,
)
DESCRIBE = re.compile(
    r"\bwhat(?:'s|’s| is| are)?\s+(?:\w+\s+){0,2}(?:happen\w*|going on|doing|saying)\b"
    r"|\bwhat (?:does|do) (?:it|this|that|they|the \w+|this \w+|that \w+) say\b"
    r"|\bwho(?:'s|’s| is| are)? (?:on|in) (?:this|the) (?:page|panel|picture|scene)\b"
    r"|\bwho(?:'s|’s| is| are) here\b|\bwhat(?:'s|’s| is) (?:written|on (?:this|the) (?:page|sign|poster))\b"
    r"|\b(?:summari[sz]e|describe) (?:this|the) page\b|\bwho (?:appears|shows up)\b|\bwhat do(?:es)? (?:the )?"
    r"(?:sign|poster|notice|banner)s? (?:say|read)\b",
    re.IGNORECASE,
)
SIGNAGE = re.compile(r"\b(?:sign|poster|notice|placard|banner|label|written|writing|board|announcement)s?\b", re.I)
PAGE_NUMBER = re.compile(r"\bpage\s+(\d{1,4})\b", re.IGNORECASE)
CAST_QUESTION = re.compile(r"^\W*(?:so |and |then )?(?:who|where)\b", re.IGNORECASE)
CAST_SENTENCE = re.compile(r"^(?:On this page (?:is|are) |No one is named on this page; |This takes place in )")
"""The sentences `cast.Cast.sentence` writes (kept in step with it)."""
CARD_SENTENCES = 2
NOT_FOUND_INTRO = "I can't find that exactly in the pages you've read so far; this page shows:"
DESCRIBE_WORDS = 110


def stem(word: str) -> str:
    """A light suffix stripper: enough to match `flies`/`flying`/`flew`-less variants without a dictionary."""
    word = word.removesuffix("'s")
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + keep
            break
    # A silent final e goes too, so "prepare", "prepared" and "preparing" (and "fire"/"fires") meet.
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def terms(text: str) -> list[str]:
    return [stem(w) for w in WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1]


def sentences(text: str) -> list[str]:
    """Split prose into sentences and render dialogue lines (`Name: words`) as reported speech."""
    out: list[str] = []
    for raw_line in text.splitlines():
        line = raw_line.strip().strip("-•*").strip()
        if not line:
            continue
        speaker = SPEAKER_LINE.match(line)
        if speaker and len(speaker.group(2)) > 1:
            words = speaker.group(2).strip().strip('"“”')
            out.append(f"{speaker.group(1).strip()} says: “{words}”")
            continue
        out.extend(part.strip() for part in SENTENCE_END.split(line) if len(part.strip()) > 1)
    return out


@dataclass
class Candidate:
    text: str
    passage: Passage
    order: int
    terms: list[str]
    score: float = 0.0
    bridged: bool = False
    """Scored through a word neighbour of a question word no passage uses (see `semantic.py`)."""


@lru_cache(maxsize=512)
def _split_with_terms(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """A passage's sentences with their terms. Pure and asked again and again (every question re-reads the page on
    screen, and each chip re-reads it once more), so it is remembered by text."""
    return tuple((sentence, tuple(terms(sentence))) for sentence in sentences(text))


def _candidates(turn: Turn) -> list[Candidate]:
    found: list[Candidate] = []
    for passage in turn.passages:
        for sentence, words in _split_with_terms(passage.text):
            found.append(Candidate(sentence, passage, len(found), list(words)))
    return found


def _score(question: str, candidates: list[Candidate], turn: Turn) -> None:
    asked = set(terms(question))
    if not candidates:
        return
    df: Counter[str] = Counter()
    for candidate in candidates:
        df.update(set(candidate.terms))
    n = len(candidates)
    avg_len = sum(len(c.terms) for c in candidates) / n or 1.0
    names = _question_names(question)
    bridges = _bridges(question, candidates, turn, df.keys())
    for candidate in candidates:
        tf = Counter(candidate.terms)
        norm = K1 * (1 - B + B * len(candidate.terms) / avg_len)
        score = 0.0
        for term in asked & tf.keys():
            idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
            score += idf * tf[term] * (K1 + 1) / (tf[term] + norm)
            if term in names:
                score += idf * 0.5
        # A neighbour stands in for a question word no passage uses, at the weight of its similarity.
        covered = float(len(asked & tf.keys()))
        stood_in: dict[str, float] = {}
        # In page mode a neighbour counts only on the page on screen: a weak match on an earlier page would pull
        # the answer away from the page the reader is asking about (measured on batch 4 of the question set).
        bridging = turn.mode != "page" or candidate.passage.role == "visible"
        for term in bridges.keys() & tf.keys() if bridging else ():
            meant, weight = bridges[term]
            idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
            score += min(1.0, weight * BRIDGE_WEIGHT) * idf * tf[term] * (K1 + 1) / (tf[term] + norm)
            stood_in[meant] = max(stood_in.get(meant, 0.0), min(1.0, weight * BRIDGE_WEIGHT))
        candidate.bridged = bool(stood_in)
        covered += sum(stood_in.values())
        if score > 0 and asked:
            # Covering more of the question beats repeating one of its words (often just a name).
            score *= math.sqrt(min(1.0, covered / len(asked)))
        if score > 0 and candidate.passage.role == "visible" and turn.mode == "page":
            score *= 1.25
        candidate.score = score + (0.05 * candidate.passage.score if score > 0 else 0.0)


def _bridges(
    question: str, candidates: list[Candidate], turn: Turn, known: Iterable[str]
) -> dict[str, tuple[str, float]]:
    """Candidate term -> (question term, similarity) for question words that no candidate sentence contains.

    Only lower-case words of the passages can stand in (names match exactly or not at all), and only when the turn
    carries the offline model's neighbours; see `semantic.py` for why words rather than sentences.
    """
    if turn.neighbours is None:
        return {}
    present = set(known)
    unmatched = {
        word
        for word in WORD.findall(question.lower())
        if word not in STOPWORDS and len(word) > 2 and word.isalpha() and stem(word) not in present
    }
    unmatched -= {w.lower() for w in re.findall(r"\b[A-Z]\w*", question) if w not in FIRST_WORDS}
    if not unmatched:
        return {}
    vocabulary = {
        word
        for candidate in candidates
        for word in LOWER_WORD.findall(candidate.text)
        if word not in STOPWORDS and len(word) > 2
    }
    return expansion(turn.neighbours.near(unmatched, vocabulary), stem)


def _question_names(question: str) -> set[str]:
    """Stemmed capitalised words of the question (names, mostly; a leading "What" too, which is a stop word)."""
    return {stem(w) for w in WORD.findall(" ".join(re.findall(r"\b[A-Z][a-z]+\b", question)).lower())}


def _jaccard(a: list[str], b: list[str]) -> float:
    left, right = set(a), set(b)
    return len(left & right) / len(left | right) if left and right else 0.0


def select(turn: Turn) -> list[Candidate]:
    """The sentences the answer will quote, in the order they will be said.

    Two question shapes get a direct answer before sentence scoring, because scoring words cannot answer them:
    "who/what is X" (X's card as of the cursor, then one sentence of the story about X) and questions about the
    page itself ("what happens on page 3", "what does the sign say", "who is here": the visible page, read in
    order). Everything else is ranked sentence by sentence.
    """
    return identity(turn) or describe(turn) or on_screen(turn, covered(turn, ranked(turn)))


def on_screen(turn: Turn, found: list[Candidate]) -> list[Candidate]:
    """When no sentence matched what the question asks (at most a name in it), say so and read the visible page.

    In page mode the reader is asking about the page in front of them ("What's Pepper's plan?" on a page whose
    lettering says "we'll hunt the ingredients"), and an extractive answerer cannot bridge a paraphrase; the page is
    the best it can offer, introduced as what it is rather than passed off as the answer. A match through a word
    neighbour alone does not count as found (on blind questions it lost more answers than it won: the neighbour
    picked one balloon where the fact sat in the next); it only puts its sentences first in the page read out.
    """
    if turn.mode != "page" or not turn.visible or _answers_what_is_asked(turn, found):
        return found
    page = turn.visible[-1]
    intro = Candidate(NOT_FOUND_INTRO, page, -1, [])
    bridged = {c.text for c in found if c.bridged and c.passage is page}
    return [intro, *_read_pages([page], turn.question, first=bridged)]


def covered(turn: Turn, found: list[Candidate]) -> list[Candidate]:
    """In wiki mode, sentences that share only a name with the question do not answer it: nothing is said then.

    "Does Pepper win the potion contest?" at episode 1 matches Carrot's card on "Pepper" alone; the card is true
    but it is not an answer, and the honest reply is that the wiki unlocked so far does not cover the question.
    A sentence found through a word neighbour of a question word counts here ("fruit" finds the berries' section):
    in wiki mode there is no page to fall back on. (Page mode has a better fallback, the page on screen:
    `on_screen`.)
    """
    if turn.mode != "wiki" or any(c.bridged for c in found) or _answers_what_is_asked(turn, found):
        return found
    return []


def _answers_what_is_asked(turn: Turn, found: list[Candidate]) -> bool:
    """Whether a found sentence uses a word the question asks about beyond its names (or the question has none)."""
    content = set(terms(turn.question)) - _question_names(turn.question)
    return not content or any(set(c.terms) & content for c in found)


def _variants(name: str) -> list[str]:
    first = name.split()[0] if " " in name else ""
    return [v for v in (name, first) if len(v) >= 3 and v.lower() not in {"the", "keeper", "miss", "sir", "old"}]


def _card_names(card: Passage) -> tuple[str, ...]:
    return card.names or tuple(_variants(card.title))


def _names(text: str, names: Sequence[str]) -> bool:
    """Whether `text` names any of `names` (whole words, any case)."""
    return any(re.search(rf"(?<![\w-]){re.escape(v)}(?![\w-])", text, re.IGNORECASE) for v in names)


def _is_subject(question: str, card: Passage) -> bool:
    """Whether the question asks about the card's entity itself: a name of it closes the question, give or take one
    word ("Who is the Fog Thief really?"), so "Who is Pepper talking to?" or "Who are Pepper's godmothers?" do not
    count."""
    tail = r"(?![\w-])\W*(?:\w+\W*)?$"
    names = _card_names(card)
    return any(re.search(rf"(?<![\w-]){re.escape(v)}{tail}", question, re.IGNORECASE) for v in names)


def identity(turn: Turn) -> list[Candidate]:
    """X's card (its first sentences) and the best sentence of the story naming X, for "who/what is X"."""
    question = turn.question.strip()
    if not IDENTITY.search(question):
        return []
    cards = [p for p in turn.passages if p.is_card]
    named = sorted((c for c in cards if _is_subject(question, c)), key=lambda c: -len(c.title))
    if not named and turn.mode == "page" and not any(_names(question, _card_names(c)) for c in cards):
        named = cards  # page mode carries only the cards the question named (an alias, say)
    if not named:
        return []
    card = named[0]
    chosen = [Candidate(text, card, i, terms(text)) for i, text in enumerate(sentences(card.text)[:CARD_SENTENCES])]
    stories = [c for c in _scored(turn) if not c.passage.is_card and c.score > 0 and _names(c.text, _card_names(card))]
    if stories:
        chosen.append(max(stories, key=lambda c: (c.score, c.passage.global_index)))
    return chosen


def _sign_lines(text: str) -> list[str]:
    """Lines that read like lettering on a sign or poster: no closing punctuation, mostly capitalised, not repeated."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    counts = Counter(lines)
    found = []
    for line in lines:
        words = re.findall(r"[^\W\d_][\w'’]*", line)
        if not words or counts[line] > 1 or line[-1] in ".!?…:" or SPEAKER_LINE.match(line) or len(line) < 4:
            continue
        if sum(w[0].isupper() for w in words) * 2 >= len(words):
            found.append(line)
    return found


def describe(turn: Turn) -> list[Candidate]:
    """A page question answered from the page itself: its cast, description and lettering, in reading order."""
    question = turn.question.strip()
    if turn.mode != "page" or not DESCRIBE.search(question):
        return []
    targets = list(turn.visible)
    if asked := PAGE_NUMBER.search(question):
        number = int(asked.group(1))
        same_episode = (None, turn.episode_number)
        targets = [p for p in turn.passages if p.kind == "page" and p.page_number == number]
        targets = [p for p in targets if p.episode_number in same_episode] or targets
    return _read_pages(targets[:2], question)


def _read_pages(targets: list[Passage], question: str, first: Set[str] = frozenset()) -> list[Candidate]:
    """The pages' sentences in reading order within `DESCRIBE_WORDS`, sign-like lettering first for sign questions
    and the sentences in `first` (what a word neighbour pointed at) before the rest."""
    chosen: list[Candidate] = []
    for passage in targets:
        signs = _sign_lines(passage.text) if SIGNAGE.search(question) else []
        if signs:
            quoted = [f"“{line}”" for line in signs]
            listed = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"
            chosen.append(Candidate(f"The lettering reads {listed}.", passage, len(chosen), terms(" ".join(signs))))
        chosen.extend(
            Candidate(text, passage, len(chosen) + i, terms(text))
            for i, text in enumerate(sentences(passage.text))
            if text.strip() not in signs
        )
    chosen.sort(key=lambda c: c.text not in first)  # stable: reading order otherwise
    kept: list[Candidate] = []
    words = 0
    for candidate in chosen:
        length = len(candidate.text.split())
        if kept and words + length > DESCRIBE_WORDS:
            break
        kept.append(candidate)
        words += length
    return kept


def _scored(turn: Turn) -> list[Candidate]:
    candidates = _candidates(turn)
    _score(turn.question, candidates, turn)
    return candidates


def _rankable(candidate: Candidate, turn: Turn) -> bool:
    """Cards answer "who is X" (see `identity`); in page mode a story question is answered from the story. The
    sentence listing who is on the page names everyone, so it would win every question that names anyone: it
    answers "who" and "where" questions only."""
    if candidate.passage.is_card and turn.mode == "page":
        return False
    return not CAST_SENTENCE.match(candidate.text) or CAST_QUESTION.match(turn.question) is not None


def _reply(best: Candidate, candidates: list[Candidate], chosen: list[Candidate]) -> Candidate | None:
    """The line right after the best one on the same page: in a comic the next balloon is often the answer
    ("I would like eight pumpkinstars" / "Here you are, that's 60Ko")."""
    if best.passage.kind != "page":
        return None
    following = next((c for c in candidates if c.order == best.order + 1), None)
    if following is None or following.passage is not best.passage or following in chosen:
        return None
    return None if CAST_SENTENCE.match(following.text) else following


def ranked(turn: Turn) -> list[Candidate]:
    """The best-scoring sentences, non-redundant, within the word budget, in story order."""
    candidates = _scored(turn)
    ranked = sorted((c for c in candidates if c.score > 0 and _rankable(c, turn)), key=lambda c: (-c.score, c.order))
    # Supporting sentences must be at least half as relevant as the best one, or they only dilute it.
    ranked = [c for c in ranked if c.score >= RELATIVE_FLOOR * ranked[0].score] if ranked else ranked
    if not ranked and turn.mode == "page" and (DEICTIC.search(turn.question.lower()) or not terms(turn.question)):
        ranked = [c for c in candidates if c.passage.role == "visible"]
    chosen: list[Candidate] = []
    words = 0
    for candidate in ranked:
        if any(_jaccard(candidate.terms, other.terms) > REDUNDANT_JACCARD for other in chosen):
            continue
        length = len(candidate.text.split())
        if chosen and words + length > MAX_WORDS:
            continue
        chosen.append(candidate)
        words += length
        if len(chosen) == MAX_SENTENCES:
            break
    on_screen = [c for c in chosen if c.passage.role == "visible"]
    reply = _reply(on_screen[0], candidates, chosen) if on_screen else None
    if reply is not None and words + len(reply.text.split()) <= MAX_WORDS:
        chosen.append(reply)
    return sorted(chosen, key=lambda c: (c.passage.global_index, c.order))


def compose(turn: Turn, chosen: list[Candidate]) -> str:
    """Join the chosen sentences in story order, each followed by its source in brackets."""
    if not chosen:
        if turn.mode == "wiki":
            return "The wiki entries you have unlocked so far don't cover that."
        return "I can't find that in the pages you've read so far."
    parts: list[str] = []
    for i, candidate in enumerate(chosen):
        text = _continue_speech(chosen[i - 1].text if i else "", candidate.text.rstrip())
        if text[-1] not in ".!?…”\"':":
            text += "."
        following = chosen[i + 1] if i + 1 < len(chosen) else None
        # Consecutive sentences from one source share a single citation, placed after the last of them.
        if following is None or following.passage.doc_id != candidate.passage.doc_id:
            text += f" [{candidate.passage.label(turn.episode_number)}]"
        parts.append(text)
    return " ".join(parts)


def _continue_speech(previous: str, text: str) -> str:
    """A second line by the same speaker reads as a continuation, not another "X says:"."""
    speaker = text.split(" says: ", 1)
    if len(speaker) == 2 and previous.startswith(f"{speaker[0]} says: "):
        return f"Then: {speaker[1]}"
    return text


def chunk_words(text: str) -> list[str]:
    """Word-sized deltas with their trailing whitespace, so a client can render them as they come."""
    return re.findall(r"\S+\s*", text)


class OfflineAnswerer:
    """Extractive answers, streamed word by word; yields to the event loop between words."""

    provider = "offline"
    pace = 0.0  # words are produced instantly: send each, so the answer visibly streams
    uses_history = False

    async def stream(self, turn: Turn, reply: Reply) -> AsyncGenerator[str]:
        chosen = select(turn)
        seen: set[str] = set()
        for candidate in chosen:
            if candidate.passage.doc_id not in seen:
                seen.add(candidate.passage.doc_id)
                reply.used.append(candidate.passage)
        text = compose(turn, chosen)
        reply.output_tokens = len(chunk_words(text))
        for piece in chunk_words(text):
            yield piece
            await asyncio.sleep(0)
