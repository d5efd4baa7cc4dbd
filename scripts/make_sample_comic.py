"""Render the bundled sample comic to SVG pages and write it as a Companion content folder.

    .venv/bin/python scripts/make_sample_comic.py [--out src/scriptorium/companion/sample]

The story lives in `sample_story.yaml`; drawing helpers in `sample_art.py`. Output is deterministic (same input, same
bytes), so regenerating without story changes leaves git clean and a re-ingest changes nothing.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sample_art import render_page

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
STORY = yaml.safe_load((HERE / "sample_story.yaml").read_text(encoding="utf-8"))
DEFAULT_OUT = ROOT / "src" / "scriptorium" / "companion" / "sample"
CAST_TO_ENTITY = {"moths": "lumen-moths", "thief": "fog-thief"}
SPEAKER_NAMES = {
    "wren": "Wren",
    "pim": "Pim",
    "osric": "Osric",
    "marlo": "Marlo",
    "agathe": "Agathe",
    "thief": "Fog Thief",
}


def debut(value: str) -> dict[str, int]:
    episode, page = value.split(":")
    return {"episode": int(episode), "page": int(page)}


Panel = dict[str, Any]


def page_text(panels: list[Panel]) -> str:
    """Dialogue as `Speaker: line`; captions and sound effects as bare text, in reading order."""
    lines = []
    for panel in panels:
        for speaker, text in panel["lines"]:
            lines.append(text if speaker in {"narration", "sfx"} else f"{SPEAKER_NAMES[speaker]}: {text}")
    return "\n".join(lines)


def page_characters(panels: list[Panel]) -> list[str]:
    seen: list[str] = []
    for panel in panels:
        speakers = [s for s, _ in panel["lines"] if s not in {"narration", "sfx"}]
        for slug in [*panel["cast"], *speakers]:
            entity = CAST_TO_ENTITY.get(slug, slug)
            if entity not in seen:
                seen.append(entity)
    return seen


def dump(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)
    path.write_text(text, encoding="utf-8")


def write(out: Path) -> int:
    if out.exists():
        shutil.rmtree(out)
    dump(out / "series.yaml", STORY["series"])
    pages_written = 0
    for episode in STORY["episodes"]:
        folder = out / "episodes" / episode["slug"]
        meta = {k: episode[k] for k in ("number", "title", "summary")}
        meta["cover"] = 1
        dump(folder / "episode.yaml", meta)
        entries = []
        for number, page in enumerate(episode["pages"], start=1):
            title = f"Episode {episode['number']}: {episode['title']}" if number == 1 else None
            panels = [(p["scene"], p["cast"], [tuple(line) for line in p["lines"]]) for p in page["panels"]]
            svg = render_page(page["layout"], panels, title=title, folio=number)
            (folder / "pages").mkdir(parents=True, exist_ok=True)
            (folder / "pages" / f"{number:02d}.svg").write_text(svg, encoding="utf-8")
            entries.append(
                {
                    "number": number,
                    "text": page_text(page["panels"]),
                    "description": page["description"],
                    "recap": page["recap"],
                    "characters": page_characters(page["panels"]),
                }
            )
            pages_written += 1
        dump(folder / "pages.yaml", {"pages": entries})
    for slug, article in STORY["wiki"].items():
        sections = [{**section, "debut": debut(section["debut"])} for section in article["sections"]]
        dump(out / "wiki" / f"{slug}.yaml", {**article, "sections": sections})
    entities = [{**entity, "debut": debut(entity["debut"])} for entity in STORY["entities"]]
    relations = [{**relation, "debut": debut(relation["debut"])} for relation in STORY["relations"]]
    dump(out / "world.yaml", {"entities": entities, "relations": relations})
    return pages_written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    count = write(args.out)
    sys.stdout.write(f"wrote {count} pages to {args.out}\n")


if __name__ == "__main__":
    main()
