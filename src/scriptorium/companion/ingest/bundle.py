"""The format-neutral shape every reader produces, and the checks that run before anything is written.

Readers (our folder format, the official Pepper & Carrot layout, the original companion's files) turn files into a
`Bundle`; `resolve` checks it as a whole (page gaps, missing images, debuts past the end, dangling references) and
turns every (episode, page) debut into a global page index. Problems are collected and reported together, each
naming the file it came from, so one run shows everything to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from scriptorium.companion.models import ENTITY_KINDS
from scriptorium.core.errors import ValidationFailed

KIND_ALIASES = {"coven": "faction", "school": "faction", "group": "faction", "location": "place", "item": "object"}


class IngestError(ValidationFailed):
    """Bad input. The message lists every problem found, each prefixed with the file it is in."""

    def __init__(self, problems: list[str]) -> None:
        shown = problems[:25]
        more = f"\n... and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        super().__init__("cannot ingest:\n- " + "\n- ".join(shown) + more, field="path")
        self.problems = problems


@dataclass(frozen=True)
class Debut:
    """A first appearance as (episode number, page number), or `END`: no page places it, so it is never shown.

    A debut nothing places is unknown, and unknown is hidden: putting it on the last ingested page instead would
    reveal later lore there whenever only part of a series is imported.
    """

    episode: int
    page: int

    def __str__(self) -> str:
        return "unknown" if self == END else f"episode {self.episode} page {self.page}"


END = Debut(-1, -1)
LAST_PAGE = 1_000_000
"""Page number meaning "the last page of that episode" (for debuts derived from an episode reference)."""


@dataclass
class PageSpec:
    number: int
    source: Path
    image: Path | None = None
    text: str = ""
    description: str = ""
    recap: str = ""
    characters: list[str] = field(default_factory=list)


@dataclass
class EpisodeSpec:
    slug: str
    number: int
    title: str
    source: Path
    summary: str = ""
    credits_url: str | None = None
    cover_page: int | None = None
    pages: list[PageSpec] = field(default_factory=list)


@dataclass
class SectionSpec:
    heading: str
    text: str
    debut: Debut | None
    source: Path
    derived: bool = False
    """True when the reader guessed the debut (no explicit one); past-the-end then means skip, not error."""
    not_before: Debut | None = None
    """A floor from the text itself (it mentions episode N): never shown earlier, skipped if N is not ingested."""


@dataclass
class ArticleSpec:
    slug: str
    title: str
    source: Path
    category: str = ""
    entity_slug: str | None = None
    sections: list[SectionSpec] = field(default_factory=list)


@dataclass
class EntitySpec:
    slug: str
    name: str
    kind: str
    debut: Debut
    source: Path
    summary: str = ""
    aliases: list[str] = field(default_factory=list)
    x: float | None = None
    y: float | None = None
    image: Path | None = None
    summary_as_of: list[tuple[Debut, str]] = field(default_factory=list)
    """Later versions of the summary, each shown from its debut on (the X-Ray model: a card "as of" a page)."""


@dataclass
class RelationSpec:
    source_slug: str
    target_slug: str
    label: str
    debut: Debut
    source: Path
    summary: str = ""


@dataclass
class Bundle:
    slug: str
    title: str
    description: str = ""
    language: str = "en"
    credits: str = ""
    episodes: list[EpisodeSpec] = field(default_factory=list)
    articles: list[ArticleSpec] = field(default_factory=list)
    entities: list[EntitySpec] = field(default_factory=list)
    relations: list[RelationSpec] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _IndexOf(Protocol):
    def __call__(self, debut: Debut, where: str, source: Path, *, derived: bool = False) -> int | None: ...


@dataclass
class Resolved:
    """A checked bundle: episodes sorted, every debut a global index, everything unreachable already dropped."""

    bundle: Bundle
    starts: dict[int, int]
    page_total: int
    section_debuts: dict[tuple[str, int], int]
    entity_debuts: dict[str, int]
    relation_debuts: dict[tuple[str, str, str], int]
    warnings: list[str]
    every_entity: list[EntitySpec] = field(default_factory=list)
    """Every entity read, including those dropped as unreached: the name index must know them all."""
    every_relation: list[RelationSpec] = field(default_factory=list)
    every_article: list[tuple[ArticleSpec, list[SectionSpec]]] = field(default_factory=list)
    """Every article with every section read (before unreached or unplaceable ones were dropped)."""
    summary_versions: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    """Entity slug -> [(debut index, summary)] for versions after the debut, oldest first."""


def normalize_kind(kind: str) -> str | None:
    value = KIND_ALIASES.get(kind.strip().lower(), kind.strip().lower())
    return value if value in ENTITY_KINDS else None


def resolve(bundle: Bundle, *, skip_unreached: bool = False) -> Resolved:
    """Check the whole bundle and compute global indexes; raise `IngestError` listing every problem."""
    problems: list[str] = []
    warnings = list(bundle.warnings)
    starts, page_counts, total = _check_episodes(bundle, problems)

    def index_of(debut: Debut, where: str, source: Path, *, derived: bool = False) -> int | None:
        if debut == END:
            warnings.append(f"{source}: skipped {where}: no page places it (debut unknown), so it is never shown")
            return None
        count = page_counts.get(debut.episode)
        if count is not None and debut.page == LAST_PAGE:
            return starts[debut.episode] + count - 1
        if count is not None and 1 <= debut.page <= count:
            return starts[debut.episode] + debut.page - 1
        if debut.page < 1 or debut.episode < 1:
            problems.append(f"{source}: {where} has an invalid debut ({debut.episode}, {debut.page})")
        elif derived or skip_unreached:
            warnings.append(f"{source}: skipped {where}: debuts at {debut}, past the last ingested page")
        else:
            problems.append(
                f"{source}: {where} debuts at {debut}, past the end of the ingested content "
                f"({_last_position(page_counts)}); fix the debut or use --skip-unreached"
            )
        return None

    every_entity = list(bundle.entities)
    every_relation = list(bundle.relations)
    every_article = [(article, list(article.sections)) for article in bundle.articles]
    defined = {e.slug for e in every_entity}
    entity_debuts = _resolve_entities(bundle, index_of, problems)
    relation_debuts = _resolve_relations(bundle, entity_debuts, defined, index_of, problems, warnings)
    unreached = [e for e in every_entity if e.slug not in entity_debuts]
    section_debuts = _resolve_wiki(
        bundle, entity_debuts, defined, index_of, problems, warnings, name_patterns(unreached)
    )
    _check_page_characters(bundle, starts, entity_debuts, warnings)
    versions = _resolve_versions(bundle, entity_debuts, index_of)
    if problems:
        raise IngestError(problems)
    return Resolved(
        bundle,
        starts,
        total,
        section_debuts,
        entity_debuts,
        relation_debuts,
        warnings,
        every_entity=every_entity,
        every_relation=every_relation,
        every_article=every_article,
        summary_versions=versions,
    )


def _resolve_versions(bundle: Bundle, debuts: dict[str, int], index_of: _IndexOf) -> dict[str, list[tuple[int, str]]]:
    """Each kept entity's later summaries as (index, text), oldest first; versions past the content are skipped."""
    out: dict[str, list[tuple[int, str]]] = {}
    for entity in bundle.entities:
        versions: dict[int, str] = {}
        for debut, text in entity.summary_as_of:
            where = f"summary of {entity.slug!r} as of {debut}"
            index = index_of(debut, where, entity.source, derived=True)
            if index is not None:
                versions[max(index, debuts[entity.slug])] = text
        if versions:
            out[entity.slug] = sorted(versions.items())
    return out


def _check_page_characters(bundle: Bundle, starts: dict[int, int], debuts: dict[str, int], warnings: list[str]) -> None:
    """A page may only list entities that exist and have debuted by that page (else the list itself spoils)."""
    for episode in bundle.episodes:
        for page in episode.pages:
            index = starts.get(episode.number, 0) + page.number - 1
            unknown = [slug for slug in page.characters if slug not in debuts]
            if unknown and debuts:
                warnings.append(f"{page.source}: page {page.number} names unknown characters {unknown}; ignored")
            early = [slug for slug in page.characters if debuts.get(slug, -1) > index]
            if early:
                warnings.append(f"{page.source}: page {page.number} lists {early} before their debut; ignored")
            page.characters = [s for s in dict.fromkeys(page.characters) if -1 < debuts.get(s, -1) <= index]


def _last_position(page_counts: dict[int, int]) -> str:
    if not page_counts:
        return "no pages"
    last = max(page_counts)
    return f"episode {last} page {page_counts[last]}"


def _check_episodes(bundle: Bundle, problems: list[str]) -> tuple[dict[int, int], dict[int, int], int]:
    bundle.episodes.sort(key=lambda e: e.number)
    seen_slugs: dict[str, Path] = {}
    seen_numbers: dict[int, Path] = {}
    starts: dict[int, int] = {}
    counts: dict[int, int] = {}
    total = 0
    for episode in bundle.episodes:
        if episode.slug in seen_slugs:
            problems.append(f"{episode.source}: episode slug {episode.slug!r} also used by {seen_slugs[episode.slug]}")
        if episode.number in seen_numbers:
            problems.append(
                f"{episode.source}: episode number {episode.number} also used by {seen_numbers[episode.number]}"
            )
        seen_slugs[episode.slug] = seen_numbers[episode.number] = episode.source
        episode.pages.sort(key=lambda p: p.number)
        numbers = [p.number for p in episode.pages]
        if not numbers:
            problems.append(f"{episode.source}: episode {episode.slug!r} has no pages")
        elif numbers != list(range(1, len(numbers) + 1)):
            missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
            dupes = sorted({n for n in numbers if numbers.count(n) > 1})
            detail = f"missing page(s) {missing}" if missing else f"duplicate page(s) {dupes}"
            problems.append(f"{episode.source}: pages of {episode.slug!r} must run 1..N without gaps: {detail}")
        for page in episode.pages:
            if page.image is None or not page.image.is_file():
                where = page.image or page.source
                problems.append(f"{where}: missing image for page {page.number} of {episode.slug!r}")
        starts[episode.number] = total
        counts[episode.number] = len(episode.pages)
        total += len(episode.pages)
    return starts, counts, total


def _resolve_entities(bundle: Bundle, index_of: _IndexOf, problems: list[str]) -> dict[str, int]:
    debuts: dict[str, int] = {}
    kept: list[EntitySpec] = []
    for entity in bundle.entities:
        kind = normalize_kind(entity.kind)
        if kind is None:
            problems.append(f"{entity.source}: entity {entity.slug!r} has unknown kind {entity.kind!r}")
            continue
        entity.kind = kind
        if entity.slug in debuts:
            problems.append(f"{entity.source}: entity slug {entity.slug!r} is defined twice")
            continue
        index = index_of(entity.debut, f"entity {entity.slug!r}", entity.source)
        if index is not None:
            debuts[entity.slug] = index
            kept.append(entity)
    bundle.entities = kept
    return debuts


def _resolve_relations(
    bundle: Bundle,
    entities: dict[str, int],
    defined: set[str],
    index_of: _IndexOf,
    problems: list[str],
    warnings: list[str],
) -> dict[tuple[str, str, str], int]:
    debuts: dict[tuple[str, str, str], int] = {}
    kept: list[RelationSpec] = []
    for rel in bundle.relations:
        where = f"relation {rel.source_slug} -{rel.label}-> {rel.target_slug}"
        key = (rel.source_slug, rel.target_slug, rel.label)
        index = index_of(rel.debut, where, rel.source)
        if index is None:
            continue
        missing = [s for s in (rel.source_slug, rel.target_slug) if s not in entities]
        if missing:
            if any(s not in defined for s in missing):
                problems.append(f"{rel.source}: {where} refers to unknown entity {missing[0]!r}")
            else:
                warnings.append(f"{rel.source}: skipped {where}: an endpoint was not reached")
            continue
        if key in debuts:
            problems.append(f"{rel.source}: {where} is defined twice")
            continue
        # An edge must never reveal an endpoint the reader has not met yet.
        floor = max(entities[rel.source_slug], entities[rel.target_slug])
        if index < floor:
            warnings.append(f"{rel.source}: {where} debuts before an endpoint; moved to the later endpoint")
        debuts[key] = max(index, floor)
        kept.append(rel)
    bundle.relations = kept
    return debuts


def name_patterns(entities: list[EntitySpec]) -> list[tuple[str, re.Pattern[str]]]:
    """(name, whole-word pattern) for each entity's name and aliases, a leading 'The' dropped."""
    out = []
    for entity in entities:
        for name in {entity.name, *entity.aliases}:
            core = re.sub(r"^the\s+", "", name.strip(), flags=re.IGNORECASE)
            if len(core) >= 3:
                out.append((core, re.compile(rf"\b{re.escape(core)}\b", re.IGNORECASE)))
    return out


def _resolve_wiki(
    bundle: Bundle,
    entities: dict[str, int],
    defined: set[str],
    index_of: _IndexOf,
    problems: list[str],
    warnings: list[str],
    unreached: list[tuple[str, re.Pattern[str]]],
) -> dict[tuple[str, int], int]:
    """Section debut = explicit, else its entity's debut (first section); never before its entity.

    A section nothing places (a derived debut of `END`: a topic article, or a later section of an entity's article
    without a debut) is unknown and skipped: it is never shown, rather than shown once the last ingested page is.

    An article about an entity that was not reached (skipped as unreleased) is dropped whole, and a section with a
    guessed debut that names such an entity is dropped too: either would introduce that entity early.
    """
    debuts: dict[tuple[str, int], int] = {}
    seen: dict[str, Path] = {}
    kept_articles: list[ArticleSpec] = []
    for article in bundle.articles:
        if article.slug in seen:
            problems.append(f"{article.source}: wiki slug {article.slug!r} also used by {seen[article.slug]}")
            continue
        seen[article.slug] = article.source
        entity = article.entity_slug
        if entity is not None and entity not in entities:
            if entity in defined:
                continue
            problems.append(f"{article.source}: wiki article {article.slug!r} names unknown entity {entity!r}")
            continue
        floor = entities[entity] if entity is not None else 0
        kept_sections: list[SectionSpec] = []
        for section in article.sections:
            where = f"wiki section {article.slug!r} / {section.heading or len(kept_sections) + 1!r}"
            if section.debut is None:
                index = floor if entity is not None else index_of(END, where, section.source, derived=True)
            else:
                index = index_of(section.debut, where, section.source, derived=section.derived)
            named = next((name for name, pattern in unreached if pattern.search(section.text)), None)
            if index is not None and section.derived and named is not None:
                warnings.append(f"{section.source}: skipped {where}: it names {named!r}, who is not reached yet")
                index = None
            if index is not None and section.not_before is not None:
                least = index_of(section.not_before, where, section.source, derived=True)
                index = None if least is None else max(index, least)
            if index is not None:
                debuts[(article.slug, len(kept_sections))] = max(index, floor)
                kept_sections.append(section)
        article.sections = kept_sections
        if kept_sections:
            kept_articles.append(article)
    bundle.articles = kept_articles
    return debuts
