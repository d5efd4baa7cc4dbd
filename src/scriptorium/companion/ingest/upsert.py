"""The database half of an ingest: upsert by natural key, delete what disappeared, record whether anything changed.

Natural keys: series slug; episode slug; page (episode, number); article slug; section (article, position);
entity slug; relation (source, target, label); chunk key; name (the text gate's name index). Unique columns that
may be renumbered (episode numbers, page global indexes) are first parked on negative values so a reorder never
trips a unique constraint mid-flush.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scriptorium.companion.content import tokenize
from scriptorium.companion.ingest.bundle import Resolved
from scriptorium.companion.models import (
    Chunk,
    Entity,
    Episode,
    Page,
    Relation,
    Series,
    SpoilerName,
    WikiArticle,
    WikiSection,
)
from scriptorium.companion.spoilers import NameEntry
from scriptorium.core.db import Base, new_id, utcnow
from scriptorium.core.embeddings import Embedder

M = TypeVar("M", bound=Base)


@dataclass(frozen=True)
class StoredImage:
    key: str
    thumb_key: str
    content_type: str
    width: int
    height: int
    sha256: str


@dataclass
class ChunkSpec:
    key: str
    kind: str
    debut_index: int
    text: str
    page_key: tuple[str, int] | None = None
    section_key: tuple[str, int] | None = None
    vector: bytes | None = None


class Upserter:
    def __init__(
        self, session: AsyncSession, resolved: Resolved, embedder: Embedder, names: list[NameEntry] | None = None
    ) -> None:
        self.session = session
        self.resolved = resolved
        self.names = names or []
        self.embedder = embedder
        self.changed = False
        self.counts: dict[str, int] = {}
        self.removed: dict[str, int] = {}
        self.stale_keys: set[str] = set()
        self.series = Series()

    def _set(self, obj: Any, **values: Any) -> None:
        for name, value in values.items():
            if getattr(obj, name) != value:
                setattr(obj, name, value)
                self.changed = True

    def _new(self, obj: M) -> M:
        self.session.add(obj)
        self.changed = True
        return obj

    async def _all(self, model: type[M], *where: Any) -> list[M]:
        return list((await self.session.scalars(select(model).where(*where))).all())

    async def _remove(self, name: str, rows: list[Any]) -> None:
        for row in rows:
            await self.session.delete(row)
        if rows:
            self.removed[name] = self.removed.get(name, 0) + len(rows)
            self.changed = True
            await self.session.flush()

    async def run(
        self,
        images: dict[tuple[str, int], StoredImage],
        entity_images: dict[str, StoredImage],
        chunks: list[ChunkSpec],
    ) -> None:
        bundle = self.resolved.bundle
        found = (await self.session.scalars(select(Series).where(Series.slug == bundle.slug))).first()
        if found is None:
            found = self._new(Series(id=new_id(), slug=bundle.slug, content_version=0))
        self.series = found
        self._set(
            found,
            title=bundle.title,
            description=bundle.description,
            language=bundle.language,
            credits=bundle.credits,
            page_total=self.resolved.page_total,
        )
        await self.session.flush()
        # Chunks go first so removals are counted here, not swallowed by the pages' cascade.
        existing = {c.key: c for c in await self._all(Chunk, Chunk.series_id == found.id)}
        wanted = {c.key for c in chunks}
        await self._remove("chunks", [c for key, c in existing.items() if key not in wanted])
        pages = await self._pages(images)
        sections = await self._wiki()
        await self._world(entity_images)
        await self._names()
        await self._chunks(chunks, pages, sections)
        if self.changed:
            found.content_version = (found.content_version or 0) + 1
            found.updated_at = utcnow()
        self.counts = {
            "episodes": len(bundle.episodes),
            "pages": self.resolved.page_total,
            "articles": len(bundle.articles),
            "sections": len(sections),
            "entities": len(bundle.entities),
            "relations": len(bundle.relations),
            "chunks": len(chunks),
        }

    async def _pages(self, images: dict[tuple[str, int], StoredImage]) -> dict[tuple[str, int], str]:
        sid = self.series.id
        episodes = {e.slug: e for e in await self._all(Episode, Episode.series_id == sid)}
        wanted = {e.slug for e in self.resolved.bundle.episodes}
        old_pages = await self._all(Page, Page.series_id == sid)
        self.stale_keys |= {k for p in old_pages for k in (p.image_key, p.thumb_key)}
        by_episode: dict[str, dict[int, Page]] = {}
        slug_of = {e.id: e.slug for e in episodes.values()}
        for page in old_pages:
            by_episode.setdefault(slug_of.get(page.episode_id, ""), {})[page.number] = page
        doomed = [
            p
            for slug, numbered in by_episode.items()
            for n, p in numbered.items()
            if slug not in wanted or n > len(self._episode(slug).pages)
        ]
        await self._remove("pages", doomed)
        await self._remove("episodes", [e for slug, e in episodes.items() if slug not in wanted])
        kept_episodes = [e for slug, e in episodes.items() if slug in wanted]
        kept_pages = [p for p in old_pages if p not in doomed]
        numbers = {e.slug: e.number for e in self.resolved.bundle.episodes}
        indexes = {
            (e.slug, p.number): self.resolved.starts[e.number] + p.number - 1
            for e in self.resolved.bundle.episodes
            for p in e.pages
        }
        moved = any(e.number != numbers[e.slug] for e in kept_episodes) or any(
            p.global_index != indexes.get((slug_of[p.episode_id], p.number)) for p in kept_pages
        )
        if moved:
            # Park renumberable unique values so a reorder cannot collide during the flush.
            for i, episode in enumerate(kept_episodes):
                episode.number = -1 - i
            for i, page in enumerate(kept_pages):
                page.global_index = -1 - i
            await self.session.flush()
        ids: dict[tuple[str, int], str] = {}
        for spec in self.resolved.bundle.episodes:
            start = self.resolved.starts[spec.number]
            episode = episodes.get(spec.slug) or self._new(Episode(id=new_id(), series_id=sid, slug=spec.slug))
            numbered = by_episode.get(spec.slug, {})
            for page_spec in spec.pages:
                image = images[(spec.slug, page_spec.number)]
                page = numbered.get(page_spec.number) or self._new(
                    Page(id=new_id(), series_id=sid, episode_id=episode.id, number=page_spec.number)
                )
                self._set(
                    page,
                    global_index=start + page_spec.number - 1,
                    image_key=image.key,
                    thumb_key=image.thumb_key,
                    content_type=image.content_type,
                    width=image.width,
                    height=image.height,
                    image_sha256=image.sha256,
                    text=page_spec.text,
                    description=page_spec.description,
                    recap=page_spec.recap,
                    characters=list(page_spec.characters),
                )
                self.stale_keys -= {image.key, image.thumb_key}
                ids[(spec.slug, page_spec.number)] = page.id
            cover = ids.get((spec.slug, spec.cover_page or 1))
            self._set(
                episode,
                number=spec.number,
                title=spec.title,
                summary=spec.summary,
                page_count=len(spec.pages),
                start_index=start,
                cover_page_id=cover,
                credits_url=spec.credits_url,
            )
        await self.session.flush()
        return ids

    def _episode(self, slug: str) -> Any:
        return next(e for e in self.resolved.bundle.episodes if e.slug == slug)

    async def _wiki(self) -> dict[tuple[str, int], str]:
        sid = self.series.id
        articles = {a.slug: a for a in await self._all(WikiArticle, WikiArticle.series_id == sid)}
        specs = {a.slug: a for a in self.resolved.bundle.articles}
        await self._remove("articles", [a for slug, a in articles.items() if slug not in specs])
        ids: dict[tuple[str, int], str] = {}
        for slug, spec in specs.items():
            article = articles.get(slug) or self._new(WikiArticle(id=new_id(), series_id=sid, slug=slug))
            debuts = [self.resolved.section_debuts[(slug, i)] for i in range(len(spec.sections))]
            self._set(
                article, title=spec.title, category=spec.category, entity_slug=spec.entity_slug, debut_index=min(debuts)
            )
            existing = {s.position: s for s in await self._all(WikiSection, WikiSection.article_id == article.id)}
            await self._remove("sections", [s for pos, s in existing.items() if pos >= len(spec.sections)])
            for position, section_spec in enumerate(spec.sections):
                section = existing.get(position) or self._new(
                    WikiSection(id=new_id(), article_id=article.id, position=position)
                )
                self._set(section, heading=section_spec.heading, text=section_spec.text, debut_index=debuts[position])
                ids[(slug, position)] = section.id
        await self.session.flush()
        return ids

    async def _world(self, images: dict[str, StoredImage]) -> None:
        sid = self.series.id
        entities = {e.slug: e for e in await self._all(Entity, Entity.series_id == sid)}
        self.stale_keys |= {e.image_key for e in entities.values() if e.image_key}
        specs = {e.slug: e for e in self.resolved.bundle.entities}
        await self._remove("entities", [e for slug, e in entities.items() if slug not in specs])
        for slug, spec in specs.items():
            entity = entities.get(slug) or self._new(Entity(id=new_id(), series_id=sid, slug=slug))
            image = images.get(slug)
            self._set(
                entity,
                name=spec.name,
                kind=spec.kind,
                debut_index=self.resolved.entity_debuts[slug],
                summary=spec.summary,
                aliases=list(spec.aliases),
                x=spec.x,
                y=spec.y,
                image_key=image.key if image else None,
                summary_versions=[
                    {"from": index, "text": text} for index, text in self.resolved.summary_versions.get(slug, [])
                ],
            )
            if image:
                self.stale_keys.discard(image.key)
            entities[slug] = entity
        await self.session.flush()
        ids = {slug: entities[slug].id for slug in specs}
        slugs = {v: k for k, v in ids.items()}
        relations = {
            (slugs[r.source_id], slugs[r.target_id], r.label): r
            for r in await self._all(Relation, Relation.series_id == sid)
            if r.source_id in slugs and r.target_id in slugs
        }
        await self._remove("relations", [r for key, r in relations.items() if key not in self.resolved.relation_debuts])
        for rel in self.resolved.bundle.relations:
            key = (rel.source_slug, rel.target_slug, rel.label)
            relation = relations.get(key) or self._new(
                Relation(id=new_id(), series_id=sid, source_id=ids[key[0]], target_id=ids[key[1]], label=key[2])
            )
            self._set(relation, summary=rel.summary, debut_index=self.resolved.relation_debuts[key])
        await self.session.flush()

    async def _names(self) -> None:
        sid = self.series.id
        existing = {n.name: n for n in await self._all(SpoilerName, SpoilerName.series_id == sid)}
        wanted = {entry.name: entry for entry in self.names}
        await self._remove("names", [n for name, n in existing.items() if name not in wanted])
        for name, entry in wanted.items():
            row = existing.get(name) or self._new(SpoilerName(id=new_id(), series_id=sid, name=name))
            self._set(row, debut_index=entry.debut_index, source=entry.source)
        await self.session.flush()

    async def _chunks(
        self, chunks: list[ChunkSpec], pages: dict[tuple[str, int], str], sections: dict[tuple[str, int], str]
    ) -> None:
        sid = self.series.id
        existing = {c.key: c for c in await self._all(Chunk, Chunk.series_id == sid)}
        for spec in chunks:
            chunk = existing.get(spec.key) or self._new(Chunk(id=new_id(), series_id=sid, key=spec.key))
            self._set(
                chunk,
                kind=spec.kind,
                page_id=pages[spec.page_key] if spec.page_key else None,
                wiki_section_id=sections[spec.section_key] if spec.section_key else None,
                debut_index=spec.debut_index,
                text=spec.text,
                tokens=" ".join(tokenize(spec.text)),
                embedding=spec.vector,
                embedding_model=self.embedder.name,
                embedding_dim=len(spec.vector) // 4 if spec.vector else 0,
            )
        await self.session.flush()
