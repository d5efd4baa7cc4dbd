"""Spoiler lint: warn when content names an entity before that entity's debut.

The boundary hides items by their debut, but an item's own text can still name something that debuts later
("...to keep the Undertow asleep" in a section shown three pages before the Undertow appears). Those are data
bugs the structure cannot see, so ingestion reports each one, naming the file, the item and the early name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from scriptorium.companion.ingest.bundle import Resolved, name_patterns


def _names(resolved: Resolved) -> list[tuple[int, str, re.Pattern[str]]]:
    return [
        (resolved.entity_debuts[entity.slug], name, pattern)
        for entity in resolved.bundle.entities
        for name, pattern in name_patterns([entity])
    ]


def _texts(resolved: Resolved) -> Iterator[tuple[int, Path, str, str]]:
    bundle = resolved.bundle
    for episode in bundle.episodes:
        start = resolved.starts[episode.number]
        for page in episode.pages:
            where = f"page {page.number} of {episode.slug!r}"
            yield start + page.number - 1, page.source, where, f"{page.text}\n{page.description}\n{page.recap}"
    for article in bundle.articles:
        for position, section in enumerate(article.sections):
            where = f"wiki section {article.slug!r} / {section.heading or position + 1!r}"
            yield resolved.section_debuts[(article.slug, position)], section.source, where, section.text
    for entity in bundle.entities:
        yield resolved.entity_debuts[entity.slug], entity.source, f"entity {entity.slug!r} summary", entity.summary
    for rel in bundle.relations:
        key = (rel.source_slug, rel.target_slug, rel.label)
        yield resolved.relation_debuts[key], rel.source, f"relation {rel.label!r} summary", rel.summary


def early_mentions(resolved: Resolved) -> list[str]:
    """One warning per (item, name) where the item's text names an entity that debuts after the item."""
    names = _names(resolved)
    warnings: list[str] = []
    for debut, source, where, text in _texts(resolved):
        if not text.strip():
            continue
        for name_debut, name, pattern in names:
            if name_debut > debut and pattern.search(text):
                warnings.append(f"{source}: {where} names {name!r} before its debut (possible spoiler)")
    return warnings
