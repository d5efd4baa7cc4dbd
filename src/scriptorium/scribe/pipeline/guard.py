"""The homonym guard: which author profile is the recipient, and which papers are citable.

Two researchers can share a name (a computational biologist and a medieval historian both called Maria Chen).
A name search alone returns both, and the original system cited whichever it found first. Here a profile is
accepted only when its ORCID, affiliation or topics agree with what the user told us, and a paper is citable only
when it is tied to the recipient's identity: listed under the accepted OpenAlex author id, carrying the
recipient's ORCID, listed on a profile page the user gave, under a Semantic Scholar profile whose affiliation
agrees, or with the same title as one of those. Topic agreement never makes a paper citable: a namesake in the
same field writes on the same topic, so the topic cannot tell them apart. Everything else is kept out of the
email and only mentioned in the evidence notes.
"""

from __future__ import annotations

from dataclasses import dataclass

from scriptorium.scribe.sources.base import AuthorRecord, PaperRecord, ResearchQuery
from scriptorium.scribe.sources.text import (
    institution_matches,
    normalize_title,
    orcid_ids,
    text_mentions_institution,
    topic_overlap,
)

AFFILIATION_WEIGHT = 3
ORCID_WEIGHT = 10  # an ORCID on the user's own profile page is identity, not a hint: it outweighs everything
MIN_LISTED_TITLE_WORDS = 4  # a profile page "lists" a title only when the whole title appears, and it is not a phrase


@dataclass(frozen=True)
class AuthorChoice:
    """The accepted profile (or None) and why; `others` are the same-name profiles that were not accepted."""

    author: AuthorRecord | None
    reason: str
    others: tuple[AuthorRecord, ...] = ()
    ambiguous: bool = False

    @property
    def verified(self) -> bool:
        return self.author is not None


def judge_author(author: AuthorRecord, query: ResearchQuery, profile_texts: list[str]) -> tuple[int, list[str]]:
    """A score (>0 means accepted) with the reasons a reviewer can check."""
    score, reasons = 0, []
    if author.orcid and any(author.orcid in orcid_ids(text) for text in profile_texts):
        score += ORCID_WEIGHT
        reasons.append(f"the profile page gives its ORCID ({author.orcid})")
    if query.affiliation and author.institutions:
        agreeing = [i for i in author.institutions if institution_matches(i, query.affiliation)]
        if agreeing:
            score += AFFILIATION_WEIGHT
            reasons.append(f"affiliation agrees ({agreeing[0]})")
        else:
            score -= AFFILIATION_WEIGHT
            reasons.append(f"affiliation differs ({author.institutions[0]})")
    named = [i for i in author.institutions if any(text_mentions_institution(t, i) for t in profile_texts)]
    if named:
        score += AFFILIATION_WEIGHT
        reasons.append(f"the profile page names {named[0]}")
    shared = topic_overlap(query.interest, " ".join(author.topics))
    if shared:
        score += len(shared)
        reasons.append(f"topics agree ({', '.join(sorted(shared))})")
    return score, reasons


def choose_author(candidates: list[AuthorRecord], query: ResearchQuery, profile_texts: list[str]) -> AuthorChoice:
    """The best-agreeing profile; none when nothing agrees or two different people agree equally well."""
    if not candidates:
        return AuthorChoice(None, "no profile under this name")
    page_orcids = set().union(*(orcid_ids(t) for t in profile_texts)) if profile_texts else set()
    by_orcid = [a for a in candidates if a.orcid and a.orcid in page_orcids]
    if len(by_orcid) == 1:  # the user's own page names this profile's ORCID: no topic or place can outvote it
        best = by_orcid[0]
        reasons = judge_author(best, query, profile_texts)[1]
        return AuthorChoice(best, "; ".join(reasons), tuple(a for a in candidates if a is not best))
    judged = [(*judge_author(a, query, profile_texts), a) for a in candidates]
    accepted = sorted((j for j in judged if j[0] > 0), key=lambda j: (j[0], j[2].works_count), reverse=True)
    if not accepted:
        return AuthorChoice(None, "no profile's affiliation or topics agree", tuple(candidates))
    best_score, best_reasons, best = accepted[0]
    if len(accepted) > 1 and accepted[1][0] == best_score and not _same_place(best, accepted[1][2]):
        return AuthorChoice(None, "two different profiles agree equally well", tuple(candidates), ambiguous=True)
    on_topic = [a for a in candidates if topic_overlap(query.interest, " ".join(a.topics))]
    if on_topic and best not in on_topic:
        reason = "the affiliation points to one profile and the interest to another"
        return AuthorChoice(None, reason, tuple(candidates), ambiguous=True)
    others = tuple(a for a in candidates if a is not best)
    return AuthorChoice(best, "; ".join(best_reasons), others)


def _same_place(a: AuthorRecord, b: AuthorRecord) -> bool:
    return any(institution_matches(x, y) for x in a.institutions[:1] for y in b.institutions[:1])


def directory_picks(
    candidates: list[AuthorRecord], query: ResearchQuery, profile_texts: list[str]
) -> list[AuthorRecord]:
    """Semantic Scholar profiles worth listing papers for: agreeing ones, else up to two with no contrary sign."""
    judged = [(judge_author(a, query, profile_texts)[0], a) for a in candidates]
    agreeing = [a for score, a in sorted(judged, key=lambda j: j[0], reverse=True) if score > 0]
    if agreeing:
        return agreeing[:1]
    return [a for score, a in judged if score == 0][:2]


@dataclass(frozen=True)
class PaperVerdict:
    paper: PaperRecord
    reason: str | None

    @property
    def citable(self) -> bool:
        return self.reason is not None


class PaperGuard:
    """Citable papers are the ones tied to the recipient's identity; the topic is never enough."""

    def __init__(
        self,
        query: ResearchQuery,
        openalex: AuthorChoice,
        s2_verified: AuthorRecord | None,
        profile_texts: list[str] | None = None,
    ) -> None:
        self._query = query
        self._openalex = openalex
        self._s2 = s2_verified
        self._verified_titles: set[str] = set()
        texts = profile_texts or []
        self._orcids = set().union(*(orcid_ids(t) for t in texts)) if texts else set()
        if openalex.author is not None and openalex.author.orcid:
            self._orcids.add(openalex.author.orcid)
        self._page_text = " ".join(normalize_title(t) for t in texts)

    def remember(self, verdicts: list[PaperVerdict]) -> None:
        """Titles of already verified papers vouch for the same paper found elsewhere."""
        self._verified_titles.update(normalize_title(v.paper.title) for v in verdicts if v.citable)

    def _listed_on_profile_page(self, title: str) -> bool:
        normalized = normalize_title(title)
        if len(normalized.split()) < MIN_LISTED_TITLE_WORDS or not self._page_text:
            return False
        return f" {normalized} " in f" {self._page_text} "

    def verify(self, paper: PaperRecord) -> PaperVerdict:
        author = self._openalex.author
        if paper.kind == "openalex" and author is not None and author.author_id in paper.author_ids:
            return PaperVerdict(paper, "listed under the verified OpenAlex author")
        if self._orcids & set(paper.author_orcids):
            return PaperVerdict(paper, "an author carries the recipient's ORCID")
        if paper.kind == "semantic_scholar" and self._s2 is not None and self._s2.author_id in paper.author_ids:
            return PaperVerdict(paper, "listed under the Semantic Scholar profile whose affiliation agrees")
        if normalize_title(paper.title) in self._verified_titles:
            return PaperVerdict(paper, "same title as a verified work")
        if self._listed_on_profile_page(paper.title):
            return PaperVerdict(paper, "listed on the recipient's own profile page")
        return PaperVerdict(paper, None)
