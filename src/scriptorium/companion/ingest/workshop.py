"""Reader for the original companion's files, so its curated data can be brought over.

- Episodes: `<slug>/metadata.yaml` with `pages/page_NNN.<jpg|png|gif|webp>` and, beside each image, the page
  description `page_NNN.json` (`visual_description`, `dialogue`, `characters_present`, `mood_tags`, ...).
- World graph: `entities.yaml` (`entities:`) and `relationships.yaml` (`relationships:`) in one folder, with
  `episode_debut`/`page_debut` per item; `coven` becomes our `faction`.
- Wiki: Markdown files with `slug`/`title` front matter (wiki summaries, curated bios, the scraped wiki).

The original's wiki carries no debuts, which is how its wiki mode leaked. We derive them conservatively: the first
section of an entity's article debuts with the entity; every other section (and every topic article) gets `END`,
a debut no page places, so it is unknown and never shown (see `bundle.Debut`); a section that names an episode
(`ep12`, `episode 12`) never shows before the end of that episode; text about entities or episodes not ingested
yet is skipped. What survives still passes the text gate sentence by sentence at serve time.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scriptorium.companion.ingest.bundle import (
    END,
    LAST_PAGE,
    ArticleSpec,
    Debut,
    EntitySpec,
    EpisodeSpec,
    IngestError,
    PageSpec,
    RelationSpec,
    SectionSpec,
)

PAGE_FILE = re.compile(r"^page_(\d+)\.(jpe?g|png|gif|webp)$", re.IGNORECASE)
PAGE_JSON = re.compile(r"^page_(\d+)\.json$", re.IGNORECASE)
EPISODE_REF = re.compile(r"\bep(\d{1,3})\b|\bepisode\s+(\d{1,3})\b|/webcomic/ep(\d{1,3})_", re.IGNORECASE)
HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$", re.MULTILINE)
SKIP_DIRS = {".git", "node_modules", "images", "hi-res", "low-res", "lang"}


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class MetadataIn(_Loose):
    slug: str = Field(min_length=1)
    title: str = Field(min_length=1)
    episode_number: int = Field(ge=1)
    credits_url: str | None = None
    page_filenames: dict[str, str] | None = None


class DialogueIn(_Loose):
    speaker: str | None = None
    text: str


class PageDescriptionIn(_Loose):
    visual_description: str = ""
    dialogue: list[DialogueIn] = []
    characters_present: list[str] = []
    locations_or_concepts: list[str] = []
    mood_tags: list[str] = []


class LayoutIn(_Loose):
    x: float = 0.0
    y: float = 0.0


class EntityIn(_Loose):
    slug: str = Field(min_length=1)
    name: str = Field(min_length=1)
    kind: str = Field(min_length=1)
    summary: str | None = None
    episode_debut: int
    page_debut: int
    layout: LayoutIn | None = None
    image_url: str | None = None
    character_slug: str | None = None


class RelationIn(_Loose):
    source: str
    target: str
    kind: str = Field(min_length=1, max_length=64)
    summary: str | None = None
    episode_debut: int
    page_debut: int


class FrontMatterIn(_Loose):
    slug: str = Field(min_length=1)
    title: str = Field(min_length=1)
    category: str = ""


def _parse(path: Path, data: Any, model: type[BaseModel], where: str = "") -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise IngestError(
            [f"{path}: {where}{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in exc.errors()]
        ) from None


def _yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise IngestError([f"{path}: not valid YAML ({type(exc).__name__})"]) from None


def find_files(root: Path) -> tuple[list[Path], list[Path], list[Path]]:
    """(episode metadata files, world-graph folders, wiki Markdown files) under root."""
    metadata, worlds, wiki = [], [], []
    for path in sorted(root.rglob("*")):
        if any(part in SKIP_DIRS or part.startswith(".") for part in path.relative_to(root).parts[:-1]):
            continue
        if path.name == "metadata.yaml" and (path.parent / "pages").is_dir():
            metadata.append(path)
        elif path.name == "entities.yaml" and (path.parent / "relationships.yaml").is_file():
            worlds.append(path.parent)
        elif (
            path.suffix == ".md"
            and path.is_file()
            and path.read_text(encoding="utf-8", errors="replace")[:4] == "---\n"
        ):
            wiki.append(path)
    return metadata, worlds, wiki


def read_episode(metadata_path: Path, warnings: list[str]) -> EpisodeSpec:
    meta: MetadataIn = _parse(metadata_path, _yaml(metadata_path), MetadataIn)
    pages_dir = metadata_path.parent / "pages"
    images: dict[int, Path] = {}
    if meta.page_filenames:
        for label, name in meta.page_filenames.items():
            if not label.isdigit():
                raise IngestError([f"{metadata_path}: page_filenames key {label!r} is not a page number"])
            images[int(label)] = pages_dir / name
    else:
        for path in pages_dir.iterdir():
            if m := PAGE_FILE.match(path.name):
                images[int(m.group(1))] = path
    descriptions = {int(m.group(1)): p for p in pages_dir.iterdir() if (m := PAGE_JSON.match(p.name))}
    slug = re.sub(r"[^a-z0-9]+", "-", meta.slug.lower()).strip("-")
    spec = EpisodeSpec(slug, meta.episode_number, meta.title, metadata_path, credits_url=meta.credits_url)
    for number in sorted(set(images) | set(descriptions)):
        json_path = descriptions.get(number)
        image = images.get(number) or pages_dir / f"page_{number:03d}.jpg"
        page = PageSpec(number=number, source=json_path or image, image=image)
        if json_path is None:
            warnings.append(f"{image}: no page description JSON; the page has no text")
        else:
            _fill_page(page, json_path)
        spec.pages.append(page)
    return spec


def _fill_page(page: PageSpec, path: Path) -> None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IngestError([f"{path}: not valid JSON ({type(exc).__name__})"]) from None
    desc: PageDescriptionIn = _parse(path, data, PageDescriptionIn)
    page.text = "\n".join(f"{d.speaker}: {d.text}" if d.speaker else d.text for d in desc.dialogue if d.text.strip())
    mood = f" Mood: {', '.join(desc.mood_tags)}." if desc.mood_tags else ""
    page.description = desc.visual_description.strip() + mood
    page.characters = list(desc.characters_present)


def read_world(folder: Path) -> tuple[list[EntitySpec], list[RelationSpec]]:
    entities_file, relations_file = folder / "entities.yaml", folder / "relationships.yaml"
    raw_entities = (_yaml(entities_file) or {}).get("entities") or []
    raw_relations = (_yaml(relations_file) or {}).get("relationships") or []
    entities: list[EntitySpec] = []
    for i, item in enumerate(raw_entities):
        entity: EntityIn = _parse(entities_file, item, EntityIn, f"entities.{i}.")
        image = (folder.parent / entity.image_url) if entity.image_url else None
        aliases = [entity.character_slug] if entity.character_slug and entity.character_slug != entity.slug else []
        entities.append(
            EntitySpec(
                slug=entity.slug,
                name=entity.name,
                kind=entity.kind,
                debut=Debut(entity.episode_debut, entity.page_debut),
                source=entities_file,
                summary=(entity.summary or "").strip(),
                aliases=aliases,
                x=entity.layout.x if entity.layout else None,
                y=entity.layout.y if entity.layout else None,
                image=image if image is not None and image.is_file() else None,
            )
        )
    relations: list[RelationSpec] = []
    for i, item in enumerate(raw_relations):
        rel: RelationIn = _parse(relations_file, item, RelationIn, f"relationships.{i}.")
        debut = Debut(rel.episode_debut, rel.page_debut)
        relations.append(
            RelationSpec(rel.source, rel.target, rel.kind, debut, relations_file, (rel.summary or "").strip())
        )
    return entities, relations


def read_wiki_file(path: Path) -> ArticleSpec | None:
    text = path.read_text(encoding="utf-8")
    head, sep, body = text[4:].partition("\n---")
    if not sep:
        raise IngestError([f"{path}: front matter is not closed with '---'"])
    try:
        front = yaml.safe_load(head)
    except yaml.YAMLError:
        raise IngestError([f"{path}: front matter is not valid YAML"]) from None
    if not isinstance(front, dict) or "slug" not in front:
        return None
    meta: FrontMatterIn = _parse(path, front, FrontMatterIn, "front matter ")
    article = ArticleSpec(slug=meta.slug, title=meta.title, source=path, category=meta.category)
    for position, (heading, section_text) in enumerate(_sections(body.lstrip("-\n"), meta.title)):
        refs = [int(next(g for g in m.groups() if g)) for m in EPISODE_REF.finditer(section_text)]
        floor = Debut(max(refs), LAST_PAGE) if refs else None
        debut = None if position == 0 else END
        article.sections.append(SectionSpec(heading, section_text, debut, path, derived=True, not_before=floor))
    return article if article.sections else None


def _sections(body: str, title: str) -> list[tuple[str, str]]:
    """Split on Markdown headings when there are any, else on paragraphs (summaries are plain prose)."""
    headings = list(HEADING.finditer(body))
    if headings:
        sections: list[tuple[str, str]] = []
        intro = body[: headings[0].start()].strip()
        if intro:
            sections.append((title, intro))
        for i, match in enumerate(headings):
            end = headings[i + 1].start() if i + 1 < len(headings) else len(body)
            chunk = body[match.end() : end].strip()
            if chunk:
                sections.append((match.group(2).strip(), chunk))
        return sections
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
    return [(title if i == 0 else "", p) for i, p in enumerate(paragraphs)]
