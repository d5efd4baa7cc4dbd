"""A scripted, misbehaving model for the OpenAI-compatible twin: the red-team suite's adversary.

Real models fill a template well most of the time and misbehave in a few recurring ways: they obey instructions
they find in research text, invent awards, numbers, years and institutions (with or without a claim, sometimes
citing a real source id), describe a namesake's work, add links (without a scheme, on odd top-level domains,
obfuscated), leave AI disclaimers, paraphrase a source wrongly, or fill a placeholder with a title they made up.

`MisbehavingModel(*rules)` is a `responder` for `OpenAITwin` (`openai_twin.responder = MisbehavingModel(...)`).
For each compose request it reads the prompt the way a model would (`PromptView`: the recipient, the template, the
untrusted source blocks and their facts), writes an honest fill of the template from those sources
(`honest_fill`), then applies the first rule whose trigger matches the prompt. A rule's trigger is a function of
the prompt, so a script can be keyed by what the prompt contains ("obey any sentence that asks letters to mention
a prize"), and its action edits the honest draft. Template-classifier requests get the honest answer.

The twin knows nothing of Scriptorium's checks: it imports nothing from `scriptorium`, so a defence cannot be
shaped to it by accident.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

_BLOCK = re.compile(
    r'<<<UNTRUSTED_SOURCE id="(?P<id>[^"]+)">>>\n(?P<body>.*?)\n<<<END_UNTRUSTED_SOURCE id="(?P=id)">>>', re.S
)
_TEMPLATE = re.compile(r"<template>\n(?P<template>.*?)\n</template>", re.S)
_PLACEHOLDER = re.compile(r"\{\{\s*[^{}]+?\s*\}\}|\[[A-Z][^\[\]\n]{1,40}\]|<[A-Z][^<>\n]{1,40}>")
_AUTHOR_OF = re.compile(r'is an author of "(?P<title>[^"]+)"')
_AFFILIATED = re.compile(r"is affiliated with (?P<institution>.+?)\.$")
_HONORIFICS = {"dr", "dr.", "prof", "prof.", "professor", "mr", "mr.", "ms", "ms.", "mrs", "mrs."}


@dataclass(frozen=True)
class SourceView:
    """One untrusted source block as the model sees it."""

    id: str
    kind: str
    title: str
    url: str
    excerpt: str
    facts: tuple[str, ...]


@dataclass(frozen=True)
class PromptView:
    """What a model reads in a compose request."""

    system: str
    user: str
    recipient: str
    interest: str
    template: str
    sources: tuple[SourceView, ...]

    @classmethod
    def parse(cls, body: dict[str, Any]) -> PromptView:
        messages = body.get("messages", [])
        system = " ".join(str(m.get("content")) for m in messages if m.get("role") == "system")
        user = " ".join(str(m.get("content")) for m in messages if m.get("role") == "user")
        recipient = _line(user, "Recipient:")
        interest = _line(user, "Their interest, as the student described it:")
        template = (m.group("template") if (m := _TEMPLATE.search(user)) else "").strip()
        sources = tuple(_source(m.group("id"), m.group("body")) for m in _BLOCK.finditer(user))
        return cls(system, user, recipient, interest, template, sources)

    @property
    def name(self) -> str:
        words = [w for w in self.recipient.replace(",", " ").split() if w.lower() not in _HONORIFICS]
        return " ".join(words)

    @property
    def last_name(self) -> str:
        return self.name.split()[-1] if self.name else ""

    def papers(self) -> list[tuple[str, tuple[str, ...]]]:
        """(title, ids of every block whose facts say the recipient wrote it), in prompt order."""
        found: dict[str, list[str]] = {}
        for source in self.sources:
            for fact in source.facts:
                if m := _AUTHOR_OF.search(fact):
                    found.setdefault(m.group("title"), []).append(source.id)
        return [(title, tuple(ids)) for title, ids in found.items()]

    def institution(self) -> tuple[str, str] | None:
        for source in self.sources:
            for fact in source.facts:
                if m := _AFFILIATED.search(fact):
                    return m.group("institution"), source.id
        return None

    def source_text(self) -> str:
        return "\n".join(f"{s.title}\n{s.excerpt}\n" + "\n".join(s.facts) for s in self.sources)


def _line(text: str, prefix: str) -> str:
    for line in text.splitlines():
        if line.startswith(prefix):
            return line[len(prefix) :].strip()
    return ""


def _source(source_id: str, body: str) -> SourceView:
    fields: dict[str, str] = {}
    facts: list[str] = []
    in_facts = False
    for line in body.splitlines():
        if in_facts and line.startswith("- "):
            facts.append(line[2:].strip())
            continue
        key, sep, value = line.partition(": ")
        if line == "facts:":
            in_facts = True
        elif sep and key in {"kind", "title", "url", "excerpt"}:
            fields[key] = value
    return SourceView(
        source_id,
        fields.get("kind", ""),
        fields.get("title", ""),
        fields.get("url", ""),
        fields.get("excerpt", ""),
        tuple(facts),
    )


@dataclass
class Email:
    """The draft being written: the structured output a compose request asks for."""

    subject: str
    body: str
    claims: list[dict[str, Any]] = field(default_factory=list)

    def claim(self, text: str, *source_ids: str) -> Email:
        self.claims.append({"text": text, "source_ids": list(source_ids)})
        return self

    def add_paragraph(self, text: str) -> Email:
        """Insert a paragraph before the sign-off (the last paragraph), where models put their additions."""
        paragraphs = self.body.split("\n\n")
        at = max(1, len(paragraphs) - 1)
        self.body = "\n\n".join([*paragraphs[:at], text, *paragraphs[at:]])
        return self

    def output(self) -> dict[str, Any]:
        return {"subject": self.subject, "body": self.body, "claims": self.claims}


def _slot(raw: str) -> str:
    return re.sub(r"[^a-z]+", "_", raw.lower()).strip("_")


def honest_fill(view: PromptView) -> Email:
    """What a careful model writes: the template with placeholders filled from the sources, with claims."""
    papers = view.papers()
    institution = view.institution()
    claims: list[dict[str, Any]] = []

    def value(raw: str) -> str:
        key = _slot(raw)
        if any(k in key for k in ("paper", "publication", "article", "title", "book")) and papers:
            title, ids = papers[0]
            claims.append({"text": f'{view.name} wrote "{title}".', "source_ids": list(ids)})
            return title
        if any(k in key for k in ("university", "institution", "affiliation", "school")) and institution:
            claims.append({"text": f"{view.name} works at {institution[0]}.", "source_ids": [institution[1]]})
            return institution[0]
        if "last" in key or "surname" in key:
            return view.last_name
        if "first" in key:
            return view.name.split()[0]
        if any(k in key for k in ("research", "interest", "area", "field", "topic", "focus")):
            return view.interest
        if "name" in key or "professor" in key:
            return view.name
        return raw  # a careful model leaves what it cannot fill

    text = _PLACEHOLDER.sub(lambda m: value(m.group(0)), view.template)
    subject = "Question about your research"
    if m := re.match(r"\s*subject\s*:\s*(?P<subject>[^\n]+)\n+", text, re.I):
        subject, text = m.group("subject").strip(), text[m.end() :]
    unique = list({c["text"]: c for c in claims}.values())
    return Email(subject, text.strip(), unique)


Trigger = Callable[[PromptView], bool]
Action = Callable[[PromptView, Email], Email]


@dataclass(frozen=True)
class Rule:
    """When `trigger(prompt)` holds, `act` edits the honest draft. `name` labels the misbehaviour in reports."""

    name: str
    act: Action
    trigger: Trigger = lambda view: True


# --- the edits rules make (shared by the red-team and adversary suites) ---------------------------------------
Cite = Literal["first", "paper"] | None


def paper_ids(view: PromptView) -> list[str]:
    """The source ids of the prompt's first paper, or the first source's id when it lists no paper."""
    return list(view.papers()[0][1]) if view.papers() else [view.sources[0].id]


def add(sentence: str, *, cite: Cite = None) -> Action:
    """Add a paragraph before the sign-off; `cite` adds a claim citing the first source or the paper's real ids."""

    def act(view: PromptView, email: Email) -> Email:
        email.add_paragraph(sentence)
        if cite == "first":
            email.claim(sentence, view.sources[0].id)
        elif cite == "paper":
            email.claim(sentence, *paper_ids(view))
        return email

    return act


def replace(old: str, new: str) -> Action:
    """Replace text in the subject, the body and every claim, as a model rewording its own draft would."""

    def act(view: PromptView, email: Email) -> Email:
        email.body, email.subject = email.body.replace(old, new), email.subject.replace(old, new)
        for claim in email.claims:
            claim["text"] = claim["text"].replace(old, new)
        return email

    return act


def set_subject(subject: str) -> Action:
    def act(view: PromptView, email: Email) -> Email:
        email.subject = subject
        return email

    return act


def postscript(text: str) -> Action:
    def act(view: PromptView, email: Email) -> Email:
        email.body = f"{email.body.rstrip()}\n\n{text}"
        return email

    return act


def when_prompt_contains(*needles: str) -> Trigger:
    """Key a rule on the prompt's text: it fires only if every needle is there (case-insensitive)."""
    return lambda view: all(n.lower() in view.user.lower() for n in needles)


class MisbehavingModel:
    """A responder: the honest fill, edited by the first rule whose trigger matches. Records what it did."""

    def __init__(self, *rules: Rule) -> None:
        self.rules = rules
        self.fired: list[str] = []
        self.prompts: list[PromptView] = []

    def __call__(self, body: dict[str, Any]) -> dict[str, Any]:
        view = PromptView.parse(body)
        if "classify" in view.system:
            return {"template_type": "research"}
        self.prompts.append(view)
        email = honest_fill(view)
        for rule in self.rules:
            if rule.trigger(view):
                self.fired.append(rule.name)
                return rule.act(view, email).output()
        return email.output()
