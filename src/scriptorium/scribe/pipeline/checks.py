"""Step 5: deterministic checks on the draft. A draft is confident only when every check passes.

Each check returns a `CheckResult` whose message is written for the person reviewing the draft. The checks do
not trust the composer (model or mail merge): they compare the finished text with the template, the recipient
and the stored sources.
"""

from __future__ import annotations

import difflib
import re
from urllib.parse import urlsplit

from scriptorium.scribe.pipeline.placeholders import find_placeholders
from scriptorium.scribe.pipeline.style import new_tells
from scriptorium.scribe.pipeline.types import CheckResult, Draft, Evidence, Recipient
from scriptorium.scribe.sources.text import fold, last_name, normalize_title

SUBJECT_MAX_CHARS = 200
BODY_MAX_CHARS = 8000
_QUOTED = re.compile(r"“([^”\n]{8,300})”|\"([^\"\n]{8,300})\"|\*([^*\n]{8,300})\*|(?<!\w)_([^_\n]{8,300})_(?!\w)")
_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>()\"'\]]+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DOMAIN = re.compile(r"(?i)\b(?:[a-z0-9-]+\.)+(?:com|org|net|edu|gov|io|ai|co|uk|de|fr|example|info|biz|xyz)\b")


def _text(draft: Draft) -> str:
    return f"{draft.subject}\n{draft.body}"


def check_placeholders(draft: Draft, template_raws: tuple[str, ...]) -> CheckResult:
    left = [raw for raw in template_raws if raw in _text(draft)]
    left += [p.raw for p in find_placeholders(_text(draft))[0] if p.raw not in left]
    if left:
        return CheckResult("placeholders", False, f"Placeholders left to fill: {', '.join(left)}.")
    return CheckResult("placeholders", True, "Every placeholder is filled.")


def check_recipient_name(draft: Draft, recipient: Recipient) -> CheckResult:
    surname = last_name(recipient.name)
    if re.search(rf"\b{re.escape(fold(surname))}\b", fold(draft.body)):
        return CheckResult("recipient_name", True, f"The email addresses {surname}.")
    return CheckResult("recipient_name", False, f"The email never names the recipient ({surname}).")


def _title_known(span: str, titles: list[str]) -> bool:
    wanted = normalize_title(span)
    for title in titles:
        if wanted == title or (len(wanted) >= 12 and (wanted in title or title in wanted)):
            return True
        if difflib.SequenceMatcher(None, wanted, title).ratio() >= 0.9:
            return True
    return False


def cited_titles(text: str) -> list[str]:
    """Quoted or emphasised spans of at least two words: how titles are cited in prose."""
    spans = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(text)]
    return [s.strip() for s in spans if len(s.split()) >= 2]


def check_titles(draft: Draft, evidence: Evidence, template: str) -> CheckResult:
    titles = [normalize_title(s.title) for s in evidence.sources]
    spans = cited_titles(draft.body) + [t for c in draft.claims for t in cited_titles(c.text)]
    unknown = [s for s in dict.fromkeys(spans) if s not in template and not _title_known(s, titles)]
    if unknown:
        listed = "; ".join(f'"{s}"' for s in unknown[:3])
        return CheckResult("titles", False, f"Cited title(s) not found in any source: {listed}.")
    return CheckResult("titles", True, f"{len(set(spans))} cited title(s), all found in the sources.")


def check_claims(draft: Draft, evidence: Evidence) -> CheckResult:
    known = {s.id for s in evidence.sources}
    bad = [c.text for c in draft.claims if not c.source_ids or not set(c.source_ids) <= known]
    if bad:
        return CheckResult("claims", False, f"Claim(s) without a valid source: {'; '.join(t[:80] for t in bad[:3])}.")
    return CheckResult("claims", True, f"{len(draft.claims)} claim(s), each backed by a source.")


def _url_key(url: str) -> str:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    host = (parts.hostname or "").removeprefix("www.")
    path = re.sub(r"v\d+$", "", parts.path.rstrip("/")) if "arxiv" in host else parts.path.rstrip("/")
    return f"{host}{path}{'?' + parts.query if parts.query else ''}".lower()


def check_links(draft: Draft, evidence: Evidence, template: str, recipient: Recipient) -> CheckResult:
    """Every URL, domain and email address must come from the template, a source URL or the recipient."""
    text = _text(draft)
    source_keys = {_url_key(s.url) for s in evidence.sources}
    source_hosts = {_url_key(s.url).split("/")[0] for s in evidence.sources}
    strays = []
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?")
        if url not in template and _url_key(url) not in source_keys:
            strays.append(url)
    allowed_emails = {e.lower() for e in _EMAIL.findall(template)} | {(recipient.email or "").lower()}
    without_urls = _URL.sub(" ", text)
    strays += [e for e in _EMAIL.findall(without_urls) if e.lower() not in allowed_emails]
    for domain in _DOMAIN.findall(_EMAIL.sub(" ", without_urls)):
        if domain.lower() not in template.lower() and domain.lower().removeprefix("www.") not in source_hosts:
            strays.append(domain)
    if strays:
        return CheckResult("links", False, f"Link or address not in the template or sources: {', '.join(strays[:3])}.")
    return CheckResult("links", True, "No link or address beyond the template and sources.")


def check_style(draft: Draft, template: str, evidence: Evidence, recipient: Recipient) -> CheckResult:
    protected = [s.title for s in evidence.sources] + [recipient.interest, recipient.affiliation or ""]
    found = new_tells(_text(draft), template, protected)
    if found:
        listed = ", ".join(f"{name} ×{count}" for name, count in found.items())
        return CheckResult("style", False, f"Phrases or punctuation that read as machine-written: {listed}.")
    return CheckResult("style", True, "No AI-tell words, phrases or punctuation beyond the template's own.")


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


def run_checks(draft: Draft, *, template: str, template_raws: tuple[str, ...], recipient: Recipient,
               evidence: Evidence) -> list[CheckResult]:  # fmt: skip
    """All content checks in a stable order (the runner adds the evidence and composer checks)."""
    return [
        check_placeholders(draft, template_raws),
        check_recipient_name(draft, recipient),
        check_titles(draft, evidence, template),
        check_claims(draft, evidence),
        check_links(draft, evidence, template, recipient),
        check_style(draft, template, evidence, recipient),
        check_length(draft, template, template_raws),
    ]
