"""Reader for Scriptorium's own content folder (documented in docs/companion-content.md).

    series.yaml
    episodes/<slug>/episode.yaml    number, title, summary (spoiler-free teaser), cover, credits_url
    episodes/<slug>/pages.yaml      pages: [{number, text, description, recap, characters, image?}]
    episodes/<slug>/pages/NN.svg    (or .png/.jpg/.webp/.gif), one per page
    wiki/<slug>.yaml                title, category, entity, sections: [{heading, text, debut}]
    world.yaml                      entities: [...], relations: [...]; an entity may add
                                    summary_as_of: [{from: "2:3", text: ...}] (its card from that page on)

Files are validated with pydantic models that forbid unknown keys, so a typo is an error naming the file and field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from scriptorium.companion.ingest.bundle import (
    ArticleSpec,
    Bundle,
    Debut,
    EntitySpec,
    EpisodeSpec,
    IngestError,
    PageSpec,
    RelationSpec,
    SectionSpec,
)

IMAGE_SUFFIXES = (".svg", ".png", ".jpg", ".jpeg", ".webp", ".gif")
SLUG = r"^[a-z0-9][a-z0-9-]*$"
_SHORT_DEBUT = re.compile(r"^\s*(\d+)\s*[:/.]\s*(\d+)\s*$")
M = TypeVar("M", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DebutIn(_Strict):
    episode: int = Field(ge=1)
    page: int = Field(ge=1)


def _debut(value: Any) -> Any:
    """Accept `{episode: 2, page: 3}` or the short form `"2:3"`."""
    if isinstance(value, str) and (match := _SHORT_DEBUT.match(value)):
        return {"episode": int(match.group(1)), "page": int(match.group(2))}
    return value


class SeriesIn(_Strict):
    slug: str = Field(pattern=SLUG, max_length=128)
    title: str = Field(min_length=1, max_length=256)
    description: str = ""
    language: str = "en"
    credits: str = ""


class EpisodeIn(_Strict):
    number: int = Field(ge=1)
    title: str = Field(min_length=1, max_length=256)
    summary: str = ""
    cover: int | None = Field(default=None, ge=1)
    credits_url: str | None = None


class PageIn(_Strict):
    number: int = Field(ge=1)
    image: str | None = None
    text: str = ""
    description: str = ""
    recap: str = ""
    characters: list[str] = []


class PagesIn(_Strict):
    pages: list[PageIn]


class SectionIn(_Strict):
    heading: str = ""
    text: str = Field(min_length=1)
    debut: DebutIn

    _coerce = field_validator("debut", mode="before")(_debut)


class ArticleIn(_Strict):
    slug: str | None = Field(default=None, pattern=SLUG)
    title: str = Field(min_length=1)
    category: str = ""
    entity: str | None = None
    sections: list[SectionIn] = Field(min_length=1)


class SummaryVersionIn(_Strict):
    """A later version of an entity's summary, shown from page `from` on (the card "as of" that page)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    from_: DebutIn = Field(alias="from")
    text: str = Field(min_length=1)

    _coerce = field_validator("from_", mode="before")(_debut)


class EntityIn(_Strict):
    slug: str = Field(pattern=SLUG)
    name: str = Field(min_length=1)
    kind: str
    debut: DebutIn
    summary: str = ""
    aliases: list[str] = []
    x: float | None = None
    y: float | None = None
    summary_as_of: list[SummaryVersionIn] = []

    _coerce = field_validator("debut", mode="before")(_debut)


class RelationIn(_Strict):
    source: str
    target: str
    label: str = Field(min_length=1, max_length=64)
    debut: DebutIn
    summary: str = ""

    _coerce = field_validator("debut", mode="before")(_debut)


class WorldIn(_Strict):
    entities: list[EntityIn] = []
    relations: list[RelationIn] = []


def is_folder_format(root: Path) -> bool:
    return (root / "series.yaml").is_file()


def load_yaml(path: Path, model: type[M]) -> M:
    """Parse one YAML file into `model`; every failure names the file (and the field, when there is one)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IngestError([f"{path}: file is missing"]) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise IngestError([f"{path}: not valid YAML ({type(exc).__name__}: {str(exc).splitlines()[0]})"]) from None
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "(top level)"
            problems.append(f"{path}: {where}: {error['msg']}")
        raise IngestError(problems) from None


def read_folder(root: Path) -> Bundle:
    series = load_yaml(root / "series.yaml", SeriesIn)
    bundle = Bundle(series.slug, series.title, series.description, series.language, series.credits)
    episodes_dir = root / "episodes"
    for directory in sorted(p for p in episodes_dir.iterdir() if p.is_dir()) if episodes_dir.is_dir() else []:
        bundle.episodes.append(_read_episode(directory))
    wiki_dir = root / "wiki"
    for path in sorted(wiki_dir.glob("*.yaml")) if wiki_dir.is_dir() else []:
        bundle.articles.append(_read_article(path))
    if (root / "world.yaml").is_file():
        _read_world(root / "world.yaml", bundle)
    return bundle


def _read_episode(directory: Path) -> EpisodeSpec:
    meta = load_yaml(directory / "episode.yaml", EpisodeIn)
    pages_file = directory / "pages.yaml"
    listed = load_yaml(pages_file, PagesIn).pages
    episode = EpisodeSpec(
        slug=directory.name,
        number=meta.number,
        title=meta.title,
        source=directory / "episode.yaml",
        summary=meta.summary,
        credits_url=meta.credits_url,
        cover_page=meta.cover,
    )
    images = {p.stem: p for p in sorted((directory / "pages").glob("*")) if p.suffix.lower() in IMAGE_SUFFIXES}
    used: set[Path] = set()
    for page in listed:
        image = directory / "pages" / page.image if page.image else _find_image(images, page.number)
        if image is not None:
            used.add(image)
        episode.pages.append(
            PageSpec(
                number=page.number,
                source=pages_file,
                image=image or directory / "pages" / f"{page.number:02d}.svg",
                text=page.text,
                description=page.description,
                recap=page.recap,
                characters=list(page.characters),
            )
        )
    strays = [p for p in images.values() if p not in used]
    if strays:
        raise IngestError([f"{stray}: page image has no entry in {pages_file}" for stray in strays])
    return episode


def _find_image(images: dict[str, Path], number: int) -> Path | None:
    for stem in (f"{number:02d}", f"{number:03d}", str(number)):
        if stem in images:
            return images[stem]
    return None


def _read_article(path: Path) -> ArticleSpec:
    article = load_yaml(path, ArticleIn)
    slug = article.slug or path.stem
    spec = ArticleSpec(slug=slug, title=article.title, source=path, category=article.category)
    spec.entity_slug = article.entity
    for section in article.sections:
        debut = Debut(section.debut.episode, section.debut.page)
        spec.sections.append(SectionSpec(section.heading, section.text, debut, path))
    return spec


def _read_world(path: Path, bundle: Bundle) -> None:
    world = load_yaml(path, WorldIn)
    for entity in world.entities:
        bundle.entities.append(
            EntitySpec(
                slug=entity.slug,
                name=entity.name,
                kind=entity.kind,
                debut=Debut(entity.debut.episode, entity.debut.page),
                source=path,
                summary=entity.summary,
                aliases=list(entity.aliases),
                x=entity.x,
                y=entity.y,
                summary_as_of=[(Debut(v.from_.episode, v.from_.page), v.text) for v in entity.summary_as_of],
            )
        )
    for rel in world.relations:
        debut = Debut(rel.debut.episode, rel.debut.page)
        bundle.relations.append(RelationSpec(rel.source, rel.target, rel.label, debut, path, rel.summary))
