"""Turn a folder into one `Bundle`, whatever mix of the three supported layouts it holds.

Our own format (a `series.yaml` at the root) is self-contained and read alone. Otherwise the official Pepper &
Carrot files and the original companion's files are read together and merged by episode number, page by page:
the official text wins for dialogue (it is the author's lettering), the companion's JSON supplies descriptions and
characters, and the lettered page image wins over anything else. Characters named in free text are linked to world
entities by name or alias.
"""

from __future__ import annotations

import re
from pathlib import Path

from scriptorium.companion.ingest import official, workshop
from scriptorium.companion.ingest.bundle import Bundle, EpisodeSpec, IngestError, PageSpec
from scriptorium.companion.ingest.folder import is_folder_format, read_folder

OFFICIAL_SLUG, OFFICIAL_TITLE = "pepper-and-carrot", "Pepper&Carrot"


def read_content(root: Path, *, lang: str = "en", slug: str | None = None, title: str | None = None) -> Bundle:
    if not root.is_dir():
        raise IngestError([f"{root}: not a folder"])
    bundle = read_folder(root) if is_folder_format(root) else _read_mixed(root, lang)
    if slug:
        bundle.slug = slug
    if title:
        bundle.title = title
    _link_characters(bundle)
    return bundle


def _read_mixed(root: Path, lang: str) -> Bundle:
    warnings: list[str] = []
    has_official = official.is_official_layout(root)
    episodes = official.read_official(root, lang=lang, warnings=warnings) if has_official else []
    metadata, worlds, wiki = workshop.find_files(root)
    for path in metadata:
        episodes = _merge(episodes, workshop.read_episode(path, warnings))
    if not (episodes or worlds or wiki):
        raise IngestError(
            [f"{root}: no content found (expected series.yaml, official Pepper&Carrot files, or companion files)"]
        )
    default_slug = re.sub(r"[^a-z0-9]+", "-", root.resolve().name.lower()).strip("-") or "comic"
    bundle = Bundle(
        slug=OFFICIAL_SLUG if has_official else default_slug,
        title=OFFICIAL_TITLE if has_official else root.resolve().name,
        language=lang,
        credits="Pepper&Carrot by David Revoy, www.peppercarrot.com, CC BY 4.0" if has_official else "",
        episodes=episodes,
        warnings=warnings,
    )
    for folder in worlds:
        entities, relations = workshop.read_world(folder)
        bundle.entities.extend(entities)
        bundle.relations.extend(relations)
    entity_slugs = {e.slug for e in bundle.entities}
    for path in wiki:
        article = workshop.read_wiki_file(path)
        if article is None:
            continue
        if article.category != "topic" and article.slug in entity_slugs:
            article.entity_slug = article.slug
        bundle.articles.append(article)
    return bundle


def _merge(episodes: list[EpisodeSpec], incoming: EpisodeSpec) -> list[EpisodeSpec]:
    existing = next((e for e in episodes if e.number == incoming.number), None)
    if existing is None:
        return [*episodes, incoming]
    pages = {p.number: p for p in existing.pages}
    for page in incoming.pages:
        if page.number not in pages:
            existing.pages.append(page)
            continue
        _merge_page(pages[page.number], page)
    existing.credits_url = existing.credits_url or incoming.credits_url
    return episodes


def _merge_page(kept: PageSpec, other: PageSpec) -> None:
    kept.text = kept.text or other.text
    kept.description = kept.description or other.description
    kept.characters = kept.characters or other.characters
    if (
        (kept.image is None or kept.image.suffix.lower() == ".svg")
        and other.image is not None
        and other.image.is_file()
    ):
        kept.image = other.image


def _link_characters(bundle: Bundle) -> None:
    """Map character names to entity slugs; pages with no list get the entities their text names."""
    if not bundle.entities:
        return
    lookup: dict[str, str] = {}
    for entity in bundle.entities:
        for name in (entity.slug, entity.name, *entity.aliases):
            lookup.setdefault(name.strip().lower(), entity.slug)
    characters = [e for e in bundle.entities if e.kind in {"character", "creature"}]
    patterns = [(e.slug, re.compile(rf"\b{re.escape(e.name)}\b", re.IGNORECASE)) for e in characters]
    for episode in bundle.episodes:
        for page in episode.pages:
            if page.characters:
                page.characters = [lookup.get(name.strip().lower(), name) for name in page.characters]
            else:
                found = [slug for slug, pattern in patterns if pattern.search(page.text)]
                page.characters = found
