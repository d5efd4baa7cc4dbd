"""What making a lettering SVG readable costs at ingest: time, stored bytes and peak memory, per artwork case.

    .venv/bin/python bench/lettering_pages.py [--pages DIR]

Reads the real Pepper&Carrot lettering (../shared/peppercarrot by default; the artwork is not there, so the art
cases use generated noise images of the official sizes: the 992-px `gfx_` proxy the SVGs link, and the 2481-px
lossless `hi-res/gfx-only/` render, the worst case). Each case runs in a fresh Python process so its peak RSS
(VmHWM) is its own. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PAGES = ROOT.parent / "shared" / "peppercarrot"

CHILD = r"""
import json, sys, time
from pathlib import Path
from scriptorium.companion.ingest.images import process_image
paths = [Path(p) for p in json.loads(sys.argv[1])]
process_image(paths[0])  # imports and first-use costs out of the timing
start = time.perf_counter()
sizes, thumbs = [], []
for path in paths:
    image = process_image(path)
    sizes.append(len(image.data))
    thumbs.append(len(image.thumb or b""))
elapsed = (time.perf_counter() - start) / len(paths)
hwm = next(int(l.split()[1]) for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM:"))
print(json.dumps({"ms": elapsed * 1000, "kb": sum(sizes) / len(sizes) / 1024,
                  "thumb_kb": sum(thumbs) / len(thumbs) / 1024, "rss": hwm / 1024}))
"""


def noise(path: Path, size: tuple[int, int]) -> None:
    """Random pixels: the worst case for JPEG size, so the stored-bytes column is an upper bound."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.effect_noise(size, 64).convert("RGB").save(path, "PNG")


def run(paths: list[Path]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps([str(p) for p in paths])], check=True, capture_output=True, text=True
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES)
    args = parser.parse_args()
    svgs = sorted(p for p in args.pages.glob("*/en/*E0[1-3]P*.svg") if not p.stem.endswith("P00"))
    if not svgs:
        sys.exit(f"no lettering SVGs under {args.pages}")
    rows = [("lettering only (real SVGs, white page)", len(svgs), run(svgs))]
    with tempfile.TemporaryDirectory() as tmp:
        proxy_repo = Path(tmp) / "proxy"
        linked: list[Path] = []
        for svg in svgs[:5]:
            copy = proxy_repo / "en" / svg.name
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(svg, copy)
            noise(proxy_repo / f"gfx_{svg.stem}.png", (992, 1401))
            linked.append(copy)
        rows.append(("+ linked 992x1401 gfx_ PNG proxy", len(linked), run(linked)))
        episode = Path(tmp) / "ep01_Bench"
        svg = episode / "lang" / "en" / "E01P01.svg"
        svg.parent.mkdir(parents=True)
        shutil.copy(svgs[0], svg)
        noise(episode / "hi-res/gfx-only/lossless/gfx_Pepper-and-Carrot_by-David-Revoy_E01P01.png", (2481, 3503))
        rows.append(("+ 2481x3503 lossless gfx-only PNG", 1, run([svg])))
    print("| case | pages | ms per page | stored SVG kB | thumbnail kB | peak RSS MB |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, count, r in rows:
        print(f"| {name} | {count} | {r['ms']:.1f} | {r['kb']:.0f} | {r['thumb_kb']:.0f} | {r['rss']:.0f} |")


if __name__ == "__main__":
    main()
