"""Offline composition: a research-backed mail merge.

With no model configured, Scribe still does the useful part honestly: it fills each placeholder the evidence
supports (the recipient's name, their interest as the user gave it, a verified paper or book title, their
institution), records a claim with source ids for every researched value, and leaves every other placeholder in
place with a reason. It never writes sentences of its own beyond a plain subject line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scriptorium.scribe.pipeline.links import carries_link
from scriptorium.scribe.pipeline.placeholders import fill
from scriptorium.scribe.pipeline.template import is_sender_placeholder
from scriptorium.scribe.pipeline.types import Addressee, Claim, Draft, Evidence, Fact, Placeholder, TemplateAnalysis
from scriptorium.scribe.sources.text import clean_name, first_name, last_name

_SUBJECT_LINE = re.compile(r"\A\s*subject\s*:\s*(?P<subject>[^\n]+)\n+", re.IGNORECASE)


def slot_for(placeholder: Placeholder) -> str | None:
    """Which researched or given value a placeholder asks for, by the words in its name."""
    if is_sender_placeholder(placeholder):
        return None
    words = set(placeholder.key.split("_"))
    if words & {"book", "novel", "monograph", "memoir"}:
        return "book"
    if words & {"paper", "publication", "article", "preprint", "study"}:
        return "paper"
    if words & {"university", "institution", "school", "college", "affiliation", "uni"}:
        return "institution"
    if words & {"surname", "lastname"} or ("name" in words and words & {"last", "family"}):
        return "last_name"
    if "firstname" in words or ("name" in words and words & {"first", "given"}):
        return "first_name"
    if "name" in words:
        return "name"
    if words & {"research", "interest", "interests", "area", "field", "topic", "focus", "specialty", "subject"}:
        return "interest"
    if words & {"professor", "prof", "recipient", "researcher", "dr", "doctor"}:
        return "name"
    return None


@dataclass
class _Slots:
    values: dict[str, str]
    facts: dict[str, Fact]
    why_missing: dict[str, str]


def _slots(recipient: Addressee, evidence: Evidence) -> _Slots:
    name = clean_name(recipient.name)
    values = {
        "name": name,
        "last_name": last_name(name),
        "first_name": first_name(name),
        "interest": recipient.interest,
    }
    facts: dict[str, Fact] = {}
    why: dict[str, str] = {}
    why["paper"] = "no paper could be verified as theirs"
    why["book"] = "no book could be verified as theirs"
    why["institution"] = "no affiliation was found or given"
    for slot, kind in (("paper", "paper"), ("book", "book"), ("institution", "affiliation")):
        found = [f for f in evidence.facts if f.kind == kind and f.value]
        # A title is text from a source, not a link the user allowed: one carrying a URL, domain or address
        # (`... data at soildata.ru/samples`) would paste that link into the email, so the next one is used.
        fact = next((f for f in found if not carries_link(f.value)), None)
        if fact is not None:
            values[slot], facts[slot] = fact.value, fact
        elif found:
            why[slot] = f"the only verified {kind} {'title' if kind != 'affiliation' else 'name'} carries a link"
    if "institution" not in values and recipient.affiliation:
        values["institution"] = recipient.affiliation
    return _Slots(values, facts, why)


def split_subject(template: str) -> tuple[str | None, str]:
    """A leading `Subject: ...` line is the subject; the rest is the body."""
    match = _SUBJECT_LINE.match(template)
    if not match:
        return None, template
    return match.group("subject").strip(), template[match.end() :]


def default_subject(analysis: TemplateAnalysis, recipient: Addressee, evidence: Evidence) -> str:
    if analysis.template_type == "book":
        book = next((f.value for f in evidence.facts if f.kind == "book"), None)
        return f"Your book {book}" if book else f"Your writing on {recipient.interest}"
    if analysis.template_type == "research":
        return f"Question about your research on {recipient.interest}"
    return f"A question about {recipient.interest}"


def compose_offline(
    template: str, analysis: TemplateAnalysis, recipient: Addressee, evidence: Evidence
) -> tuple[Draft, list[str]]:
    """Fill what the evidence supports; return the draft and one note per placeholder left for the user."""
    slots = _slots(recipient, evidence)
    replacements: dict[str, str] = {}
    claims: list[Claim] = []
    notes: list[str] = []
    for placeholder in analysis.placeholders:
        slot = slot_for(placeholder)
        if slot is None:
            reason = "it is your own detail" if is_sender_placeholder(placeholder) else "Scribe cannot research it"
            notes.append(f"{placeholder.raw} was left for you to fill: {reason}.")
        elif slot in slots.values:
            replacements[placeholder.raw] = slots.values[slot]
            fact = slots.facts.get(slot)
            if fact is not None and all(c.text != fact.text for c in claims):
                claims.append(Claim(text=fact.text, source_ids=fact.source_ids))
        else:
            notes.append(f"{placeholder.raw} was left for you to fill: {slots.why_missing[slot]}.")
    subject, body = split_subject(template)
    subject = fill(subject, replacements) if subject else default_subject(analysis, recipient, evidence)
    return Draft(subject=subject, body=fill(body, replacements), claims=claims, composer="offline"), notes
