"""A started server has not imported the heavy libraries that only some requests need.

Each of these costs start-up time and idle memory on a 1 GB Pi (numpy alone ~11 MB and ~0.13 s). They load with
the first request that needs them: numpy and the embedder with the first Companion question, the Scribe pipeline
(its source clients, trafilatura, lxml, pypdf, feedparser, pydantic-ai) with the first generation, Pillow with the
first image, `limits` (and wrapt under it) with the first rate-limited request, PyJWT (and cryptography under it)
with the first token (never in AUTH_MODE=none, the lite default). A
module-level import added anywhere on the start-up path shows up here, in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ["numpy", "wordllama", "safetensors", "pydantic_ai", "openai", "anthropic", "trafilatura", "lxml", "pypdf",
         "feedparser", "PIL", "playwright", "jwt", "limits", "wrapt",
         "scriptorium.scribe.pipeline.research", "scriptorium.scribe.pipeline.runner"]  # fmt: skip

SCRIPT = """
import asyncio, json, sys
import httpx
from asgi_lifespan import LifespanManager
from scriptorium.app import create_app
from scriptorium.core.settings import Settings
from scriptorium.migrations import upgrade

settings = Settings(_env_file=None, data_dir=sys.argv[1], profile="lite")
upgrade(settings)
heavy = json.loads(sys.argv[2])

async def main():
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            health = await http.get("/health")
            episodes = await http.get("/api/episodes")
            await asyncio.sleep(0.5)  # background start-up work (consumer, sweeps) gets to run
    loaded = sorted(name for name in heavy if name in sys.modules)
    print(json.dumps({"health": health.status_code, "episodes": episodes.status_code, "loaded": loaded}))

asyncio.run(main())
"""


def test_a_started_server_has_not_loaded_libraries_only_some_requests_need(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert (report["health"], report["episodes"]) == (200, 200)
    assert report["loaded"] == [], f"imported at start-up: {report['loaded']} (import them where they are used)"
