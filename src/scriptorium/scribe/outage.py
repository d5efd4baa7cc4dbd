"""Which research sources were unreachable during a run, read from the notes the research step left.

A source that times out or breaks never fails an email: `pipeline.research.bounded` records a note and the run goes
on with less evidence, so an outage of OpenAlex shows up as emails that need review with the cause buried in each.
This module turns those notes back into "which sources could not be reached", so a batch can say it once and offer
one retry. The note shapes read here are the ones `research.bounded` and `sources.http.request` write
("openalex: timed out after 10 s", "arxiv: HTTP 503 after 3 attempts", "search: exa: connection failed after 3
attempts", "semantic_scholar: failed (ReadError)") and the safe fetcher writes for pages ("profile: 'https://…'
answered HTTP 503"). tests/scribe/api/test_review_batches.py runs the real pipeline against a failing twin, so a
change of shape there breaks a test instead of hiding outages.

Only transient failures count: a 4xx such as a refused API key is a configuration problem that a retry cannot fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SOURCE_LABELS: dict[str, str] = {
    "openalex": "OpenAlex",
    "semantic_scholar": "Semantic Scholar",
    "arxiv": "arXiv",
    "profile": "their profile pages",
    "web": "their profile pages",
    "search": "web search",
    "exa": "Exa",
    "searxng": "SearXNG",
}
# "<role>: [<service>: ]<what happened>", where what happened is a transient failure.
_NOTE = re.compile(r"^(?P<role>[a-z][a-z_]*): (?:(?P<service>[a-z][a-z_]*): )?(?P<what>.+)$", re.DOTALL)
_TRANSIENT = re.compile(
    r"^(?:timed out after\b"
    r"|connection failed\b"
    r"|HTTP (?:429|5\d\d) after\b"
    r"|failed \([A-Za-z]+\)$"
    r"|\S+ could not be read \([A-Za-z]+\)$"  # a page, from sources.pages
    r"|'[^']*' answered HTTP (?:408|429|5\d\d)$"  # a page, from core.web.fetch
    r"|could not connect to\b"
    r"|fetching '[^']*' failed: [A-Za-z]+$)"
)


def unreachable(notes: Iterable[object]) -> list[str]:
    """The research roles (`openalex`, `arxiv`, ...) that failed transiently, each once, in a fixed order.

    The order is `SOURCE_LABELS`' (unknown roles after it), not the notes': sources are asked in parallel, so the
    notes' order is whichever failed first, and the same outage must read the same every time.
    """
    found: list[str] = []
    for note in notes:
        match = _NOTE.match(str(note))
        if match is None or not _TRANSIENT.match(match.group("what")):
            continue
        role = match.group("role")
        if role not in found:
            found.append(role)
    return sorted(found, key=rank)


def rank(role: str) -> int:
    order = list(SOURCE_LABELS)
    return order.index(role) if role in order else len(order)


def label(role: str) -> str:
    return SOURCE_LABELS.get(role, role)


def sentence(roles: list[str]) -> str:
    """ "Couldn't reach OpenAlex and arXiv": the list in words."""
    names = [label(role) for role in roles] or ["a research source"]
    joined = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"Couldn't reach {joined}"


NOTE_LABELS: dict[str, str] = SOURCE_LABELS | {"profile": "Profile page", "web": "Profile page", "search": "Web search"}


_NOTE_WITH_KIND = re.compile(r"^(?P<role>[a-z][a-z_]*) \((?P<service>[a-z][a-z_]*)\): (?P<what>.+)$", re.DOTALL)


def readable(note: object) -> str:
    """A research note as a person reads it: "arXiv: HTTP 503 after 3 attempts", not "arxiv: HTTP 503 …"."""
    text = str(note)
    match = _NOTE.match(text) or _NOTE_WITH_KIND.match(text)
    if match is None:
        return text
    who = NOTE_LABELS.get(match.group("role"), match.group("role"))
    service = match.group("service")
    if service and NOTE_LABELS.get(service, service) != who:
        who = f"{who} ({NOTE_LABELS.get(service, service)})"
    return f"{who}: {match.group('what')}"
