"""Step 5: deterministic checks on the draft. A draft is confident only when every check passes.

Each check returns a `CheckResult` whose message is written for the person reviewing the draft. The checks do
not trust the composer (model or mail merge): they compare the finished text with the template, the recipient
and the stored sources.
"""

from __future__ import annotations

import re

from scriptorium.scribe.pipeline.attribution import QUOTED, attribute, near_title
from scriptorium.scribe.pipeline.links import Allowed, Link, find_links, stray_links
from scriptorium.scribe.pipeline.placeholders import find_placeholders
from scriptorium.scribe.pipeline.sentences import Sentence, containing, split_draft
from scriptorium.scribe.pipeline.style import new_tells, tell_spans
from scriptorium.scribe.pipeline.types import Addressee, CheckResult, Draft, Evidence
from scriptorium.scribe.sources.text import fold, last_name, normalize_title

SUBJECT_MAX_CHARS = 200
BODY_MAX_CHARS = 8000


def _text(draft: Draft) -> str:
    return f"{draft.subject}\n{draft.body}"


def _outside_links(text: str, raw: str) -> bool:
    """False when every occurrence of `raw` is part of a link: `[at]` in `name [at] host (dot) edu` is no slot."""
    links = [(link.start, link.end) for link in find_links(text)]
    spans = [(m.start(), m.end()) for m in re.finditer(re.escape(raw), text)]
    return any(not any(a <= start and end <= b for a, b in links) for start, end in spans)


def check_placeholders(draft: Draft, template_raws: tuple[str, ...]) -> CheckResult:
    text = _text(draft)
    left = [raw for raw in template_raws if raw in text]
    left += [p.raw for p in find_placeholders(text)[0] if p.raw not in left and _outside_links(text, p.raw)]
    if left:
        spans = [
            (part, m.start(), m.end())
            for raw in left
            for part, t in _parts(draft)
            for m in re.finditer(re.escape(raw), t)
        ]
        message = f"Placeholders left to fill: {', '.join(left)}."
        return CheckResult("placeholders", False, message, _verbatim(_located(draft, spans)))
    return CheckResult("placeholders", True, "Every placeholder is filled.")


def _parts(draft: Draft) -> tuple[tuple[str, str], tuple[str, str]]:
    return (("subject", draft.subject), ("body", draft.body))


def check_recipient_name(draft: Draft, recipient: Addressee) -> CheckResult:
    surname = last_name(recipient.name)
    if re.search(rf"\b{re.escape(fold(surname))}\b", fold(draft.body)):
        return CheckResult("recipient_name", True, f"The email addresses {surname}.")
    return CheckResult("recipient_name", False, f"The email never names the recipient ({surname}).")


def _title_known(span: str, titles: list[str]) -> bool:
    wanted = normalize_title(span)
    for title in titles:
        if wanted == title or (len(wanted) >= 12 and (wanted in title or title in wanted)):
            return True
        if near_title(wanted, title):
            return True
    return False


def cited_titles(text: str) -> list[str]:
    """Quoted or emphasised spans of at least two words: how titles are cited in prose."""
    spans = [next(g for g in m.groups() if g) for m in QUOTED.finditer(text)]
    return [s.strip() for s in spans if len(s.split()) >= 2]


def check_titles(draft: Draft, evidence: Evidence, template: str) -> CheckResult:
    titles = [normalize_title(s.title) for s in evidence.sources]
    spans = cited_titles(draft.body) + [t for c in draft.claims for t in cited_titles(c.text)]
    unknown = [s for s in dict.fromkeys(spans) if s not in template and not _title_known(s, titles)]
    if unknown:
        listed = "; ".join(f'"{s}"' for s in unknown[:3])
        places = [(part, m.start(), m.end()) for span in unknown for part, text in _parts(draft)
                  for m in re.finditer(re.escape(span), text)]  # fmt: skip
        message = f"Cited title(s) not found in any source: {listed}."
        return CheckResult("titles", False, message, _verbatim(_located(draft, places)))
    return CheckResult("titles", True, f"{len(set(spans))} cited title(s), all found in the sources.")


def check_claims(draft: Draft, evidence: Evidence) -> CheckResult:
    known = {s.id for s in evidence.sources}
    bad = [c.text for c in draft.claims if not c.source_ids or not set(c.source_ids) <= known]
    if bad:
        return CheckResult("claims", False, f"Claim(s) without a valid source: {'; '.join(t[:80] for t in bad[:3])}.")
    return CheckResult("claims", True, f"{len(draft.claims)} claim(s), each backed by a source.")


def _short(sentence: str, limit: int = 80) -> str:
    return f"“{sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + '…'}”"


def _verbatim(sentences: list[Sentence]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(s.text for s in sentences))


def _located(draft: Draft, spans: list[tuple[str, int, int]]) -> list[Sentence]:
    """The sentences of the draft holding each `(part, start, end)` span."""
    sentences = split_draft(draft.subject, draft.body)
    found = [containing(sentences, part, start, end) for part, start, end in spans]
    return [s for s in found if s is not None]


def check_links(draft: Draft, evidence: Evidence, template: str, recipient: Addressee) -> CheckResult:
    """Every URL, bare domain and address (plain or obfuscated) must come from the template, a source or the user."""
    allowed = Allowed.build(template, [s.url for s in evidence.sources], recipient.email)
    strays: list[tuple[str, Link]] = [
        (part, link) for part, text in _parts(draft)
        for link in stray_links(text, allowed)
    ]  # fmt: skip
    if strays:
        listed = ", ".join(dict.fromkeys(link.text for _, link in strays[:3]))
        sentences = _located(draft, [(part, link.start, link.end) for part, link in strays])
        message = f"Link or address not in the template or sources: {listed}."
        return CheckResult("links", False, message, _verbatim(sentences))
    return CheckResult("links", True, "No link or address beyond the template and sources.")


def check_attribution(
    draft: Draft, *, template: str, template_raws: tuple[str, ...], recipient: Addressee, evidence: Evidence
) -> CheckResult:
    """Every name, number, title or work description must be the template's, the user's or a cited source's."""
    found = attribute(draft, template=template, template_raws=template_raws, recipient=recipient, evidence=evidence)
    if not found.findings and not found.claim_reasons:
        return CheckResult("attribution", True, "Every specific is in the template, your input or a cited source.")
    parts = [f"in {_short(f.sentence.text)}, {f.reason}" for f in found.findings[:3]]
    if len(found.findings) > 3:
        parts.append(f"and {len(found.findings) - 3} more sentence(s)")
    parts += found.claim_reasons[:3]
    message = f"Facts no source supports: {'; '.join(parts)}."
    return CheckResult("attribution", False, message, _verbatim(found.sentences))


def _protected_spans(text: str, protected: list[str]) -> list[tuple[int, int]]:
    spans = []
    for span in {p for p in protected if p and len(p) >= 3}:
        spans += [(m.start(), m.end()) for m in re.finditer(re.escape(span), text, flags=re.IGNORECASE)]
    return spans


def check_style(draft: Draft, template: str, evidence: Evidence, recipient: Addressee) -> CheckResult:
    protected = [s.title for s in evidence.sources] + [recipient.interest, recipient.affiliation or ""]
    found = new_tells(_text(draft), template, protected)
    if not found:
        return CheckResult("style", True, "No AI-tell words, phrases or punctuation beyond the template's own.")
    listed = ", ".join(f"{name} ×{count}" for name, count in found.items())
    spans: list[tuple[str, int, int]] = []
    for part, text in _parts(draft):
        shielded = _protected_spans(text, protected)
        for name, start, end in tell_spans(text):
            if name in found and not any(start < b and a < end for a, b in shielded):
                spans.append((part, start, end))
    sentences = [s for s in _located(draft, spans) if s.text not in template]  # the template's own stay unmarked
    message = f"Phrases or punctuation that read as machine-written: {listed}."
    return CheckResult("style", False, message, _verbatim(sentences))


def check_length(draft: Draft, template: str, template_raws: tuple[str, ...]) -> CheckResult:
    static = template
    for raw in template_raws:
        static = static.replace(raw, "")
    low, high = int(len(static.strip()) * 0.6), min(BODY_MAX_CHARS, 2 * len(template) + 800)
    body, subject = draft.body.strip(), draft.subject.strip()
    if not subject or len(subject) > SUBJECT_MAX_CHARS or "\n" in subject:
        return CheckResult("length", False, f"The subject must be one line of 1–{SUBJECT_MAX_CHARS} characters.")
    if not low <= len(body) <= high:
        return CheckResult("length", False, f"The body has {len(body)} characters; expected {low}–{high}.")
    return CheckResult("length", True, f"The body has {len(body)} characters ({low}–{high} expected).")


def run_checks(draft: Draft, *, template: str, template_raws: tuple[str, ...], recipient: Addressee,
               evidence: Evidence) -> list[CheckResult]:  # fmt: skip
    """All content checks in a stable order (the runner adds the evidence and composer checks)."""
    return [
        check_placeholders(draft, template_raws),
        check_recipient_name(draft, recipient),
        check_titles(draft, evidence, template),
        check_claims(draft, evidence),
        check_links(draft, evidence, template, recipient),
        check_attribution(
            draft, template=template, template_raws=template_raws, recipient=recipient, evidence=evidence
        ),
        check_style(draft, template, evidence, recipient),
        check_length(draft, template, template_raws),
    ]
