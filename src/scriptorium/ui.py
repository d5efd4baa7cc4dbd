"""Serves the built single-page app: deep links, long-lived caching of hashed assets, gzip for text files.

Vite names every asset under `assets/` after a hash of its content, so a browser may keep one forever
(`immutable`); `index.html` names the current hashes and must be revalidated on each visit (`no-cache`). Text
assets are gzipped once per file on first request and kept in memory (about 95 KB for the whole UI), so a Pi
sends 90 KB instead of 284 KB to a new visitor without a build step or a compression dependency.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.routing import compile_path

from scriptorium.core.settings import Settings
from scriptorium.core.telemetry import request_id_var

REPO_DIST = Path(__file__).resolve().parents[2] / "frontend" / "dist"
PACKAGED_DIST = Path(__file__).resolve().parent / "static"
RESERVED_PREFIXES = ("api/", "health", "docs", "openapi.json")
ANY_METHOD = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
HASHED_DIR = "assets/"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
COMPRESSIBLE = frozenset({".js", ".css", ".html", ".svg", ".json", ".map", ".txt"})
MIN_COMPRESS_BYTES = 1024


def static_dir(settings: Settings) -> Path | None:
    for candidate in (settings.static_dir, PACKAGED_DIST, REPO_DIST):
        if candidate is not None and (Path(candidate) / "index.html").is_file():
            return Path(candidate).resolve()
    return None


class GzipCache:
    """Gzipped bodies of text files, keyed by path and modification time (a rebuild replaces them)."""

    def __init__(self) -> None:
        self._bodies: dict[tuple[Path, int], bytes] = {}

    def get(self, path: Path) -> bytes | None:
        if path.suffix not in COMPRESSIBLE:
            return None
        stat = path.stat()
        if stat.st_size < MIN_COMPRESS_BYTES:
            return None
        key = (path, stat.st_mtime_ns)
        body = self._bodies.get(key)
        if body is None:
            self._bodies = {k: v for k, v in self._bodies.items() if k[0] != path}
            body = gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)
            self._bodies[key] = body
        return body


def _accepts_gzip(request: Request) -> bool:
    return any(part.split(";")[0].strip() == "gzip" for part in request.headers.get("accept-encoding", "").split(","))


def _file_response(request: Request, path: Path, cache_control: str, gzipped: GzipCache) -> Response:
    headers = {"Cache-Control": cache_control, "Vary": "Accept-Encoding"}
    body = gzipped.get(path) if _accepts_gzip(request) else None
    if body is None:
        return FileResponse(path, headers=headers)
    # A FileResponse built only for its media type and validators (ETag, Last-Modified); its body is not sent.
    plain = FileResponse(path, stat_result=path.stat())
    headers |= {
        "Content-Encoding": "gzip",
        "ETag": plain.headers["etag"].removesuffix('"') + '-gz"',  # another representation, another tag
        "Last-Modified": plain.headers["last-modified"],
    }
    return Response(body, media_type=plain.media_type, headers=headers)


def mount(app: FastAPI, settings: Settings) -> None:
    """Serve the built UI; unknown non-API paths get `index.html` so deep links work."""
    root = static_dir(settings)
    gzipped = GzipCache()

    @app.api_route("/api/{path:path}", methods=list(ANY_METHOD), include_in_schema=False)
    async def api_fallback(path: str, request: Request) -> Response:
        """Reached only when no API route takes this method on this path (they are all registered before it).

        Starlette's own 405 lists only the first matching route's methods (`GET` on `/api/templates/{id}`, which
        also takes PATCH and DELETE), and the UI's GET catch-all would turn a GET into a 404: answer here with the
        union of what the API offers on the path, `OPTIONS` with 204 and `Allow`, and 404 where nothing matches.
        """
        allowed = _methods_elsewhere(request)
        if not allowed:
            return _not_found(f"no route {('/api/' + path)!r}")
        allow = sorted({*allowed, "OPTIONS", *(["HEAD"] if "GET" in allowed else [])})
        if request.method == "OPTIONS":
            return Response(status_code=204, headers={"Allow": ", ".join(allow)})
        return _method_not_allowed(allow)

    @app.get("/{path:path}", include_in_schema=False)
    async def ui(path: str, request: Request) -> Response:
        if path.startswith(RESERVED_PREFIXES):
            allowed = _methods_elsewhere(request)
            if allowed:
                return _method_not_allowed(allowed)
            return _not_found(f"no route {('/' + path)!r}")
        if root is None:
            return _not_found("the UI is not built: run `make run` (needs npm) or `make frontend`")
        candidate = (root / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(root):
            hashed = path.startswith(HASHED_DIR)
            return _file_response(request, candidate, IMMUTABLE if hashed else REVALIDATE, gzipped)
        return _file_response(request, root / "index.html", REVALIDATE, gzipped)


def _methods_elsewhere(request: Request) -> list[str]:
    """Methods the API offers on this path: the UI's GET catch-all shadows the router's own 405 for GET.

    Read from the OpenAPI document (public API) rather than the router's internals, which FastAPI changes.
    """
    table: list[tuple[re.Pattern[str], list[str]]] | None = getattr(request.app.state, "api_methods", None)
    if table is None:
        paths = request.app.openapi().get("paths", {})
        table = [(compile_path(path)[0], sorted(m.upper() for m in ops)) for path, ops in paths.items()]
        request.app.state.api_methods = table
    return sorted({m for pattern, methods in table if pattern.match(request.url.path) for m in methods})


def _method_not_allowed(allowed: list[str]) -> JSONResponse:
    body = {"detail": "Method Not Allowed", "code": "method_not_allowed", "request_id": request_id_var.get()}
    return JSONResponse(body, 405, headers={"Allow": ", ".join(allowed)})


def _not_found(detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail, "code": "not_found", "request_id": request_id_var.get()}, 404)
