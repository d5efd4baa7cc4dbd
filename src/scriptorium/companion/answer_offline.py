"""The offline answerer: an extractive answer built from the turn's passages, with page citations.

Algorithm: split every passage into sentences (dialogue lines count as sentences) and score each against the
question with BM25-style term weights (inverse sentence frequency, saturated term frequency, length
normalisation), scaled by how much of the question the sentence covers, with a bonus for the page the reader is
looking at and for names the question mentions. Then pick the best two or three non-redundant sentences (each at
least half as relevant as the best) and print them in story order, each followed by its source. A question about
"this page" that shares no words with anything falls back to describing the visible page. When nothing matches,
it says so instead of guessing. Deterministic and instant, so it is also the benchmark baseline.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections import Counter
from collections.abc import AsyncGenerator
from dataclasses import dataclass

from scriptorium.companion.answer import Passage, Reply, Turn

MAX_SENTENCES = 3
MAX_WORDS = 90
REDUNDANT_JACCARD = 0.6
RELATIVE_FLOOR = 0.5
K1, B = 1.2, 0.75

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
SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’)]*\s+(?=[\"“‘(]*[A-Z0-9])")
SPEAKER_LINE = re.compile(r"^\s*([A-Z][\w .'-]{0,40}?)\s*:\s*(.+)$")


def stem(word: str) -> str:
    """A light suffix stripper: enough to match `flies`/`flying`/`flew`-less variants without a dictionary."""
    word = word.removesuffix("'s")
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + keep
    return word


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


def _candidates(turn: Turn) -> list[Candidate]:
    found: list[Candidate] = []
    for passage in turn.passages:
        for sentence in sentences(passage.text):
            found.append(Candidate(sentence, passage, len(found), terms(sentence)))
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
    names = {stem(w) for w in WORD.findall(" ".join(re.findall(r"\b[A-Z][a-z]+\b", question)).lower())}
    for candidate in candidates:
        tf = Counter(candidate.terms)
        norm = K1 * (1 - B + B * len(candidate.terms) / avg_len)
        score = 0.0
        for term in asked & tf.keys():
            idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
            score += idf * tf[term] * (K1 + 1) / (tf[term] + norm)
            if term in names:
                score += idf * 0.5
        if score > 0 and asked:
            # Covering more of the question beats repeating one of its words (often just a name).
            score *= math.sqrt(len(asked & tf.keys()) / len(asked))
        if score > 0 and candidate.passage.role == "visible" and turn.mode == "page":
            score *= 1.25
        candidate.score = score + (0.05 * candidate.passage.score if score > 0 else 0.0)


def _jaccard(a: list[str], b: list[str]) -> float:
    left, right = set(a), set(b)
    return len(left & right) / len(left | right) if left and right else 0.0


def select(turn: Turn) -> list[Candidate]:
    """The sentences the answer will quote, best first, non-redundant, within the word budget."""
    candidates = _candidates(turn)
    _score(turn.question, candidates, turn)
    ranked = sorted((c for c in candidates if c.score > 0), key=lambda c: (-c.score, c.order))
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
        if text[-1] not in ".!?…”\"'":
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
