"""Sentence-level attribution: every specific in a draft must come from the template, the user or a cited source.

A model that misbehaves writes fluent sentences with facts nobody gave it ("Congratulations on your 2023
Guggenheim Fellowship", citing a real source id), or describes a namesake's work in plain words. Checking that
claim ids exist catches none of that, so this module reads the finished text instead.

Each sentence of the subject and body is one of:

- template text: it reproduces a template sentence (most of its content words) once the placeholders are
  filled, and its specifics are that sentence's own words or what the user typed about the recipient (name,
  interest, affiliation, address). The sender's facts live in the template, so they pass where the template
  states them, and only there: "As a fellow Stanford alum" is new, whatever the template says of Stanford;
- a claim: its remaining specifics appear in the title, excerpt, URL or fact metadata of the sources cited by
  the claims tied to it (a claim is tied to a sentence when they share a specific or most content words);
  a sentence no claim ties to is held to the whole verified evidence instead;
- generic text: no specifics at all.

Specifics are found structurally, not from a phrase list: runs of capitalised words that do not start the
sentence (names, institutions, places, awards), acronyms and camel-case words anywhere, numbers and years,
quoted titles, and what follows "your work/paper/book on ...", "congratulations on ..." or "your recent ..."
(a description of work or of an event, the way a namesake's paper or an invented promotion slips in without a
single capital). Links and placeholders are left to their own checks. Known gap: a lone capitalised word that
opens a sentence ("Stanford has ...", "Nobel laureates ...") is not read as a name, because without a dictionary
it cannot be told from "Congratulations on ..."; a name of two words or more, or anywhere else, is.

Each claim is also checked on its own: its specifics must be in the sources it cites, so a real id cannot vouch
for an invented fact.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Literal

from scriptorium.scribe.pipeline.links import find_links
from scriptorium.scribe.pipeline.placeholders import find_placeholders
from scriptorium.scribe.pipeline.sentences import Sentence, split, split_draft
from scriptorium.scribe.pipeline.types import Addressee, Claim, Draft, Evidence, ResearchSource
from scriptorium.scribe.sources.text import fold, normalize_title
from scriptorium.scribe.sources.text import terms as _stems


@lru_cache(maxsize=512)
def terms(text: str) -> frozenset[str]:
    """Content-word stems (`sources.text.terms`), cached: each sentence and claim is compared many times."""
    return frozenset(_stems(text))


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


SpecificKind = Literal["name", "number", "title", "topic", "praise"]

QUOTED = re.compile(r"“([^”\n]{8,300})”|\"([^\"\n]{8,300})\"|\*([^*\n]{8,300})\*|(?<!\w)_([^_\n]{8,300})_(?!\w)")
_TOKEN = re.compile(r"(?:[^\W\d_]{1,2}\.){2,}|[^\W_][\w'’-]*")  # `Ph.D.`, `U.S.`, `M.Sc.` are one token
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?:st|nd|rd|th|s)?(?![\w])")
_TOPIC_END = (
    r"(?P<topic>[^,.;:!?()\n]{3,160}?)(?=\s*[,.;:!?()\n]|\s+(?:at|with|which|that|since|because|when|while|during|"
    r"and\s+(?:I|would|how|your|my|it|its|the\s+way))\b|\s*$)"
)
_TOPICS = (
    # A description of work: the way a namesake's paper is described without quotes.
    re.compile(
        r"(?i)\b(?:work|research|paper|papers|book|books|article|articles|study|studies|project|projects|findings|"
        r"thesis|preprint|talk|lecture|publications?|contributions?|writing)\s+(?:on|about|into|regarding|"
        r"concerning|exploring|examining|investigating)\s+" + _TOPIC_END
    ),
    # A personal event: "congratulations on your promotion", "your recent appointment", "your lab's new grant",
    # or a relationship: "as your former student".
    re.compile(
        r"(?i)(?:\b(?:congratulations|congrats)\s+(?:on|for)|\byour\s+(?:[^\W\d_]+['’]s\s+)?"
        r"(?:recent|new|latest|upcoming|former))\s+" + _TOPIC_END
    ),
    # What a work or its author showed: "your paper showed that ...", "you proved that ...". The finding is a fact
    # about the source, so it must be in it; a real title next to a reversed finding is a wrong paraphrase.
    re.compile(
        r"(?i)\b(?:you|your\s+(?:[\w-]+\s+){0,2}?(?:work|research|paper|papers|book|article|study|studies|"
        r"findings|results|thesis|preprint|analysis|experiments?|data|lab|group|team))\s+(?:\w+ly\s+)?"
        r"(?:showed|shows|show|found|finds|proved|proves|demonstrated|demonstrates|established|establishes|"
        r"argued|argues|revealed|reveals|suggested|suggests|concluded|concludes|confirmed|confirms|reported|"
        r"reports)\s+(?:that\s+)?" + _TOPIC_END
    ),
)
# An event told as something the recipient did: "you were promoted to ...", "you recently moved your lab to ...",
# "you won a grant from ...", or a history shared with the writer: "we met at ...", "we spoke after ...". Second
# person (or "we") + a past-tense verb is a statement about their life, whatever the words.
_YOU_DID = re.compile(
    r"(?i)\b(?:you|we)\s+(?:\w+ly\s+|just\s+|have\s+|had\s+|'ve\s+)?(?P<topic>(?:were|was|got|won|became|began|gave|led|"
    r"left|took|went|made|wrote|ran|built|held|met|spoke|saw|heard|told|said|sent|taught|[^\W\d_]{2,}ed)\s+[^,.;:!?()\n]{3,160}?)"
    r"(?=\s*[,.;:!?()\n]|\s+(?:which|that|since|because|when|while|and\s+(?:I|would|it))\b|\s*$)"
)
# Something the recipient did that the writer witnessed: "I loved your keynote at the biophysics meeting", "I saw
# your interview". What follows the possessive is an event only a source can vouch for (a verified paper's fact
# kind, `paper`, vouches for "your paper").
_WITNESSED = re.compile(
    r"(?i)\b(?:saw|seen|heard|attended|watched|caught|loved|enjoyed|admired|liked|followed|remember|read\s+about)"
    r"\s+(?:\w+\s+)?your\s+" + _TOPIC_END
)
# Praise is a claim too: a superlative ("the leading expert", "the most influential lab", "the world's best") says
# something about the recipient that a source must say. Superlatives are a grammatical class: `most`/`least` + a
# word, an `-est` adjective, or the few words English uses as superlatives without either.
_PRAISE = re.compile(
    r"(?i)(?:\b(?:the|your|their|its|his|her)|['’]s)\s+(?P<praise>(?P<word>most\s+[^\W\d_]{3,}|least\s+"
    r"[^\W\d_]{3,}|leading|foremost|preeminent|pre-eminent|premier|top|best|[^\W\d_]{2,}est)\s+[^\W\d_]{3,})"
)
# Reach claimed for someone: "world-renowned", "internationally recognised", "widely cited". The scope word makes
# it a claim about standing that a source must make, whatever adjective follows.
_REACH = re.compile(r"(?i)\b(?:world-|(?:internationally|globally|universally|widely)[- ])[^\W\d_]{3,}")
# Nouns and verbs that end in -est without being superlatives ("the latest" is an event, judged on its own).
_NOT_SUPERLATIVE = _words(
    """interest latest rest request test contest forest guest quest west harvest protest digest chest nest pest
    vest arrest invest manifest honest modest earnest suggest priest crest conquest behest bequest
    recent newest earliest oldest"""
)  # the last four order works in time ("your most recent paper"): not praise; the year, if any, is checked
# English number words: a count or a year spelled out ("nineteen papers", "twenty twenty-three", "three
# thousand") is as specific as its digits. `one` and `two` are left out: "one of", "a question or two" are idiom,
# and so is the length of the call a letter asks for ("fifteen minutes"): the writer's request, not a fact.
_NUMBER_WORDS = (
    "three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand thousands "
    "million millions billion dozen dozens"
)
_NUMBER_WORD = re.compile(
    rf"(?i)\b(?:{'|'.join(_NUMBER_WORDS.split())})(?:[\s-]+(?:and\s+)?(?:one|two|{'|'.join(_NUMBER_WORDS.split())}))*\b"
    r"(?!\s+(?:minutes?|mins?|hours?|seconds?)\b)"
)
_CONNECTORS = _words("of for and the de la le du des von van der den in on y di da del & at")
_HONORIFICS = _words("dr prof professor mr mrs ms mx dear sir madam dame hi hello hey")
_IGNORED = _words(
    """i i'm i'd i've i'll i’m i’d i’ve i’ll ok okay ps p.s re fwd phd msc bsc ma ba mba md ai cv pdf asap fyi
    monday tuesday wednesday thursday friday saturday sunday january february march april june july august
    september october november december
    you your yours we our ours us my mine me he him his she her hers they them their theirs it its this that
    these those is are am be was were hope well thank thanks many regards wishes best kind warm warmest warmly
    sincerely respectfully faithfully truly cordially cheers greetings all"""
)
_INITIAL_WORDS = _words(
    """a an the this that these those my our your his her their its i we you he she they it dear hello hi hey
    congratulations congrats thanks thank best kind warm warmest sincerely regards cheers yours respectfully in
    as at on since after before when while last next first also and but so if for with from to by of about
    after during recently having reading following given please would could should can may might will just
    what how why where who whom which there here professor dr prof"""
)


# What outreach subject lines and headings are made of, for lines written in Title Case (where a capital is style).
_SUBJECT_WORDS = _words(
    """a an the and or of for to from in on at by with about regarding re your my our you me question questions
    inquiry enquiry request requests interest interested prospective future potential student students
    undergraduate graduate doctoral postdoctoral postdoc phd research researcher work works paper papers
    publication publications article study project projects lab laboratory group opportunity opportunities
    position positions internship internships application applications advice guidance mentorship meeting
    call chat conversation collaboration collaborating introduction intro follow up follow-up thanks thank
    quick brief short note hello greetings admission admissions program programme summer fall spring winter
    help query queries possible possibility joining join supervision supervisor reading recent new latest
    seeking looking asking hoping applying inquiring exploring discuss discussing connect connecting learn learning
    visit visiting ideas idea feedback time minutes"""
)


@dataclass(frozen=True)
class Specific:
    """A name, number, title or work description as written in a sentence."""

    text: str
    kind: SpecificKind


@dataclass(frozen=True)
class Finding:
    """A sentence with specifics nothing supports, and the reason in words."""

    sentence: Sentence
    unsupported: tuple[Specific, ...]
    reason: str


def _mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        for i in range(start, min(end, len(chars))):
            chars[i] = " "
    return "".join(chars)


def _is_cap(token: str) -> bool:
    return token[0].isupper()


def _is_strong(token: str) -> bool:
    """Acronyms (`MIT`, `NSF`) and camel case (`AlphaFold`, `DeepMind`): names wherever they stand."""
    letters = [c for c in token if c.isalpha()]
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        return _lower(token) not in _IGNORED
    return any(c.isupper() for c in token[1:]) and any(c.islower() for c in token)


def _name_runs(text: str) -> list[str]:
    """Runs of capitalised words (with `of`, `for`, `de` ... inside), skipping the sentence's opening word."""
    tokens = list(_TOKEN.finditer(text))
    runs: list[str] = []
    current: list[re.Match[str]] = []
    initial_index = 0

    def close() -> None:
        while current and _lower(current[-1].group(0)) in _CONNECTORS:
            current.pop()
        while current and (_lower(current[0].group(0)).rstrip(".") in _HONORIFICS or _is_ignored(current[0])):
            current.pop(0)
        if current:
            runs.append(text[current[0].start() : current[-1].end()])
        current.clear()

    for index, match in enumerate(tokens):
        token = match.group(0)
        gap = text[tokens[index - 1].end() : match.start()] if index else ""
        if index and not re.fullmatch(r"[ \t]+|-", gap):
            close()
            if re.search(r"[:!?]|—", gap):
                initial_index = index  # a clause after a colon, "!" "?" or a dash starts like a sentence
        initial = index == initial_index or (index and re.search(r"[\"“(‘']\s*$", gap) is not None)
        if _is_ignored(match):
            close()
            continue
        if _is_cap(token):
            if initial and not _is_strong(token) and _lower(token) in _INITIAL_WORDS:
                close()
                continue
            if initial and not _is_strong(token) and _next_is_lower(tokens, index):
                close()  # `Congratulations on ...`, `Stanford has ...`: one capitalised opener says nothing
                continue
            current.append(match)
        elif current and _lower(token) in _CONNECTORS:
            current.append(match)
        else:
            close()
    close()
    return runs


def _lower(token: str) -> str:
    return token.lower() if token.isascii() else fold(token)


def _is_ignored(match: re.Match[str]) -> bool:
    """Pronouns, courtesy words, degrees, months, and initials (`M.` in `M. Chen`: the name is the next word)."""
    token = _lower(match.group(0)).replace(".", "").replace("’", "'")
    return len(token) == 1 or token in _IGNORED


def _next_is_lower(tokens: list[re.Match[str]], index: int) -> bool:
    if index + 1 >= len(tokens):
        return True
    nxt = tokens[index + 1].group(0)
    return not _is_cap(nxt) or _lower(nxt) in _IGNORED


def _is_title_case(text: str) -> bool:
    """`Prospective PhD Student Inquiry About Your Research`: capitals that mark style, not names."""
    words = [w for w in re.findall(r"[^\W\d_]{4,}", text)]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) * 10 >= len(words) * 7


def _without_subject_words(run: str) -> list[str]:
    """The parts of a title-case run left once the words subject lines are made of are taken out."""
    parts: list[str] = []
    current: list[str] = []
    for word in run.split():
        if fold(word).strip(".,:;!?'’") in _SUBJECT_WORDS:
            if current:
                parts.append(" ".join(current))
            current = []
        else:
            current.append(word)
    if current:
        parts.append(" ".join(current))
    return [p for p in parts if fold(p) not in _CONNECTORS]


def specifics(text: str) -> list[Specific]:
    """The specifics of one sentence (links and placeholders excluded: their own checks judge them)."""
    hidden = [(link.start, link.end) for link in find_links(text)]
    hidden += [(m.start(), m.end()) for p in find_placeholders(text)[0] for m in re.finditer(re.escape(p.raw), text)]
    masked = _mask(text, hidden)
    found: list[Specific] = []
    title_spans = []
    for match in QUOTED.finditer(masked):
        title = next(g for g in match.groups() if g).strip()
        if len(title.split()) >= 2:
            found.append(Specific(title, "title"))
            title_spans.append((match.start(), match.end()))
    masked = _mask(masked, title_spans)
    for pattern in (*_TOPICS, _WITNESSED, _YOU_DID):
        for match in pattern.finditer(masked):
            if terms(match.group("topic")):
                found.append(Specific(match.group("topic").strip(), "topic"))
    runs = _name_runs(masked)
    if _is_title_case(masked):
        runs = [part for run in runs for part in _without_subject_words(run)]
    found += [Specific(run, "name") for run in runs]
    found += [Specific(m.group(0), "number") for m in _NUMBER.finditer(masked)]
    found += [Specific(m.group(0), "number") for m in _NUMBER_WORD.finditer(masked)]
    found += [Specific(m.group(0), "praise") for m in _REACH.finditer(masked)]
    found += [
        Specific(m.group("praise"), "praise")
        for m in _PRAISE.finditer(masked)
        if m.group("word").lower().split()[-1] not in _NOT_SUPERLATIVE
    ]
    return list(dict.fromkeys(found))


class _Corpus:
    """A body of text specifics are looked up in. Each view (words, stems, acronyms...) is built on first use:
    most drafts never ask for an acronym, and the sources' text is the bulk of a check's time."""

    def __init__(self, texts: Iterable[str], titles: Iterable[str] = ()) -> None:
        self._text = "\n".join(t for t in texts if t)
        self._titles = tuple(t for t in titles if t)

    @classmethod
    def of(cls, texts: Iterable[str], titles: Iterable[str] = ()) -> _Corpus:
        return cls(texts, titles)

    @cached_property
    def folded(self) -> str:
        return fold(self._text)

    @cached_property
    def words(self) -> frozenset[str]:
        return frozenset(re.findall(r"[a-z0-9]+", self.folded))

    @cached_property
    def acronyms(self) -> frozenset[str]:
        return frozenset(_acronym(run) for run in _name_runs(self._text) if len(run.split()) >= 2)

    @cached_property
    def normalized(self) -> str:
        return " ".join(re.findall(r"[a-z0-9]+", self.folded))

    @cached_property
    def titles(self) -> tuple[str, ...]:
        return tuple(normalize_title(t) for t in self._titles)

    @cached_property
    def stems(self) -> frozenset[str]:
        return terms(self._text)

    def supports(self, specific: Specific) -> bool:
        if specific.kind == "topic":
            stems = terms(specific.text)
            return len(stems - self.stems) * 2 <= len(stems)
        if specific.kind == "title":
            wanted = normalize_title(specific.text)
            if wanted and f" {wanted} " in f" {self.normalized} ":
                return True
            return any(near_title(wanted, title) for title in self.titles)
        words = [w for w in re.findall(r"[a-z0-9]+", fold(re.sub(r"['’]s\b", "", specific.text)))]
        words = [w for w in words if w not in _CONNECTORS] or words
        if specific.kind == "number":
            words = [re.sub(r"(?<=\d)(?:st|nd|rd|th|s)$", "", w) for w in words]
        if words and all(w in self.words for w in words):
            return True
        token = specific.text.strip()
        letters = fold(token).replace(".", "")
        return token.isupper() and 2 <= len(letters) <= 8 and letters in self.acronyms


def near_title(wanted: str, title: str) -> bool:
    """`wanted` is `title` as a writer may quote it: 90% alike in spelling AND the same content words.

    Spelling alone is not enough: "protein unfolding intermediates" is 97% alike to "protein folding
    intermediates" and says the opposite. Both are normalised titles (`sources.text.normalize_title`).
    """
    return difflib.SequenceMatcher(None, wanted, title).ratio() >= 0.9 and terms(wanted) == terms(title)


def _narrowest(found: list[Specific]) -> list[Specific]:
    """Drop a work or event description that holds another unsupported specific: the inner one says it better."""
    return [s for s in found if s.kind != "topic" or not any(o != s and o.text in s.text for o in found)]


def _acronym(run: str) -> str:
    return "".join(w[0] for w in fold(run).split() if w not in _CONNECTORS)


def _source_texts(source: ResearchSource, evidence: Evidence) -> list[str]:
    facts = [f"{f.kind} {f.text} {f.value}" for f in evidence.facts if source.id in f.source_ids]
    return [source.kind.replace("_", " "), source.title, source.excerpt, source.url, *facts]  # what the prompt shows


def _quote(sentence: str, limit: int = 70) -> str:
    return f"“{sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + '…'}”"


def _listed(items: list[str]) -> str:
    quoted = [f"'{i}'" for i in items]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"


@dataclass(frozen=True)
class Attribution:
    """The inputs an attribution needs, digested once per draft."""

    given: _Corpus
    template: tuple[tuple[frozenset[str], _Corpus], ...]
    everything: _Corpus
    per_source: dict[str, _Corpus]
    evidence: Evidence
    _cited: dict[tuple[str, ...], _Corpus] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def build(
        cls, template: str, template_raws: tuple[str, ...], recipient: Addressee, evidence: Evidence
    ) -> Attribution:
        static = template
        for raw in template_raws:
            static = static.replace(raw, " ")
        given = [recipient.name, recipient.interest, recipient.affiliation or "", recipient.email or ""]
        sentences = tuple((terms(s.text), _Corpus.of([s.text])) for s in split(static, "template"))
        per_source = {s.id: _Corpus.of(_source_texts(s, evidence), [s.title]) for s in evidence.sources}
        everything = _Corpus.of(
            [t for s in evidence.sources for t in _source_texts(s, evidence)], [s.title for s in evidence.sources]
        )
        return cls(_Corpus.of(given), sentences, everything, per_source, evidence)

    def reproduced(self, text: str) -> list[_Corpus]:
        """The template sentences `text` reproduces: most of their content words, or mostly theirs.

        The sender's facts are allowed where the template states them, not anywhere: "I am a student at
        Stanford" may stay, "As a fellow Stanford alum, ..." says something new about the recipient.
        """
        wanted = terms(text)
        found = []
        for words, corpus in self.template:
            shared = len(words & wanted)
            if words and (shared * 2 >= len(words) or (shared >= 2 and shared * 2 >= len(wanted))):
                found.append(corpus)
        return found

    def needed(self, text: str, *, as_claim: bool = False) -> list[Specific]:
        """Specifics of `text` that neither the user's own input nor the template sentence it reproduces holds.

        A claim is a statement about the recipient, so the template (the sender's words) never backs one.
        """
        template = [] if as_claim else self.reproduced(text)
        return [s for s in specifics(text) if not self.given.supports(s) and not any(t.supports(s) for t in template)]

    def tied(self, sentence: str, needed: list[Specific], claims: list[Claim]) -> list[Claim]:
        """Claims about this sentence: they state one of its specifics, or share most of its content words."""
        sentence_terms = terms(sentence)
        tied = []
        for claim in claims:
            claim_corpus = _Corpus.of([claim.text])
            shared = sentence_terms & terms(claim.text)
            smaller = min(len(sentence_terms), len(terms(claim.text)))
            if any(claim_corpus.supports(s) for s in needed) or (smaller >= 2 and len(shared) * 2 >= smaller):
                tied.append(claim)
        return tied

    def cited(self, claims: list[Claim]) -> tuple[list[str], _Corpus]:
        ids = list(dict.fromkeys(i for c in claims for i in c.source_ids if i in self.per_source))
        key = tuple(ids)
        if key not in self._cited:
            sources = [s for s in self.evidence.sources if s.id in ids]
            texts = [t for s in sources for t in _source_texts(s, self.evidence)]
            self._cited[key] = _Corpus.of(texts, [s.title for s in sources])
        return ids, self._cited[key]

    def judge(self, sentence: Sentence, claims: list[Claim]) -> Finding | None:
        needed = self.needed(sentence.text)
        if not needed:
            return None
        tied = [c for c in self.tied(sentence.text, needed, claims) if set(c.source_ids) & set(self.per_source)]
        if not tied:  # held to the whole verified evidence (a claim with unknown ids is the `claims` check's)
            missing = _narrowest([s for s in needed if not self.everything.supports(s)])
            if not missing:
                return None
            reason = f"{_listed([s.text for s in missing])} {'is' if len(missing) == 1 else 'are'} in no source"
            return Finding(sentence, tuple(missing), reason)
        ids, corpus = self.cited(tied)
        missing = _narrowest([s for s in needed if not corpus.supports(s)])
        if not missing:
            return None
        elsewhere = [s.text for s in missing if self.everything.supports(s)]
        where = ", ".join(ids)
        reason = f"{_listed([s.text for s in missing])} {'is' if len(missing) == 1 else 'are'} not in {where}, "
        reason += "the source its claim cites" if len(ids) <= 1 else "the sources its claims cite"
        if elsewhere:
            reason += f" ({_listed(elsewhere)} appear{'s' if len(elsewhere) == 1 else ''} in another source)"
        return Finding(sentence, tuple(missing), reason)

    def judge_claim(self, claim: Claim) -> tuple[str, list[str]] | None:
        """A claim's own specifics must be in the sources it cites: a real id cannot vouch for an invented fact."""
        needed = self.needed(claim.text, as_claim=True)
        ids, corpus = self.cited([claim])
        missing = [s.text for s in needed if not corpus.supports(s)]
        if not missing or not ids:
            return None  # no valid id at all is the `claims` check's reason
        verb = "never mentions" if len(ids) == 1 else "never mention"
        return f"the claim {_quote(claim.text)} cites {', '.join(ids)}, which {verb} {_listed(missing)}", missing


@dataclass(frozen=True)
class Attributed:
    """What `attribute` found: unsupported sentences, and claims whose sources lack their specifics."""

    findings: list[Finding]
    claim_reasons: list[str]
    claim_sentences: list[Sentence]  # where the draft states what those claims cannot back

    @property
    def sentences(self) -> list[Sentence]:
        return [f.sentence for f in self.findings] + self.claim_sentences


def attribute(
    draft: Draft, *, template: str, template_raws: tuple[str, ...], recipient: Addressee, evidence: Evidence
) -> Attributed:
    """Unsupported sentences of the draft, and reasons about claims whose own specifics their sources lack."""
    attribution = Attribution.build(template, template_raws, recipient, evidence)
    sentences = split_draft(draft.subject, draft.body)
    findings = [f for sentence in sentences if (f := attribution.judge(sentence, draft.claims)) is not None]
    reasons: list[str] = []
    stating: list[Sentence] = []
    for claim in draft.claims:
        judged = attribution.judge_claim(claim)
        if judged is None:
            continue
        reasons.append(judged[0])
        wanted = [fold(m) for m in judged[1]]
        stating += [s for s in sentences if any(w in fold(s.text) for w in wanted) and s not in stating]
    return Attributed(findings, reasons, stating)
