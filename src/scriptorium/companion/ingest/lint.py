"""Spoiler lint: report every sentence the text gate will withhold, with its file, item and the names that gate it.

The boundary hides items by their debut, but an item's own text can still name something that debuts later
("...to keep the Undertow asleep" in a section shown three pages before the Undertow appears). The text gate
(`companion/spoilers.py`) withholds such sentences at serve time; this lint runs the same gate over the same name
index (every name, including entities `--skip-unreached` dropped and two-letter names like "Ah") at each item's
own debut, so what it reports is exactly what a reader at that debut will not be shown until the names debut.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from scriptorium.companion.ingest.bundle import Resolved
from scriptorium.companion.ingest.names import build_name_entries
from scriptorium.companion.spoilers import NameEntry, NameIndex, bare_break, split_sentences

QUOTE_CHARS = 80


def served_texts(resolved: Resolved) -> Iterator[tuple[int, Path, str, str]]:
    """(debut, file, what, text) for every text a reader is served, at the debut it is first served."""
    bundle = resolved.bundle
    for episode in bundle.episodes:
        start = resolved.starts[episode.number]
        yield start, episode.source, f"summary of episode {episode.slug!r}", episode.summary
        for page in episode.pages:
            where = f"page {page.number} of {episode.slug!r}"
            index = start + page.number - 1
            yield index, page.source, f"{where} text", page.text
            yield index, page.source, f"{where} description", page.description
            yield index, page.source, f"{where} recap", page.recap
    for article in bundle.articles:
        for position, section in enumerate(article.sections):
            where = f"wiki section {article.slug!r} / {section.heading or position + 1!r}"
            yield resolved.section_debuts[(article.slug, position)], section.source, where, section.text
    for entity in bundle.entities:
        yield resolved.entity_debuts[entity.slug], entity.source, f"entity {entity.slug!r} summary", entity.summary
        for index, text in resolved.summary_versions.get(entity.slug, []):
            yield index, entity.source, f"entity {entity.slug!r} summary as of page index {index}", text
    for rel in bundle.relations:
        key = (rel.source_slug, rel.target_slug, rel.label)
        yield resolved.relation_debuts[key], rel.source, f"relation {rel.label!r} summary", rel.summary


def _position(resolved: Resolved, index: int) -> str:
    for number, start in sorted(resolved.starts.items(), key=lambda item: -item[1]):
        if index >= start:
            return f"episode {number} page {index - start + 1}"
    return f"page index {index}"


def _when(resolved: Resolved, index: NameIndex, name: str) -> str:
    debut = index.debut_of(name)
    where = "unknown debut: never shown" if debut is None else f"debuts at {_position(resolved, debut)}"
    return f"{name!r} ({where})"


def _sentence_of(pieces: list[tuple[str, str]], position: int) -> str:
    """The whole sentence a line belongs to: the lines around it that bare line breaks join to it."""
    start = position
    while start > 0 and bare_break(*pieces[start - 1]):
        start -= 1
    end = position
    while end + 1 < len(pieces) and bare_break(*pieces[end]):
        end += 1
    return " ".join(sentence for sentence, _ in pieces[start : end + 1])


def early_mentions(resolved: Resolved, names: list[NameEntry] | None = None) -> list[str]:
    """One warning per withheld sentence: file, item, the gating names with their debuts, and the sentence."""
    index = NameIndex(names if names is not None else build_name_entries(resolved))
    warnings: list[str] = []
    for debut, source, where, text in served_texts(resolved):
        # An item's debut is at most the last page; the gate at that index is what a reader there is served.
        if not text.strip():
            continue
        pieces = split_sentences(text)
        withheld = index.late_pieces(pieces, debut)
        for position in sorted(withheld):
            sentence = pieces[position][0]
            # A line withheld with the rest of its line-broken sentence names what the whole sentence names.
            late = index.sentence_late(sentence, debut) or index.sentence_late(_sentence_of(pieces, position), debut)
            quoted = sentence if len(sentence) <= QUOTE_CHARS else sentence[: QUOTE_CHARS - 1] + "…"
            named = ", ".join(_when(resolved, index, name) for name in late)
            warnings.append(f"{source}: {where} names {named} before its debut; sentence withheld: {quoted!r}")
    return warnings
