"""Catch the CORS origin mistakes that make a separately hosted frontend fail with an opaque browser error.

A browser sends `Origin: https://app.pages.dev`: scheme, lower-case host, port only when it is not the default,
never a path or a trailing slash. The API answers only an exact match, so an entry written any other way never
matches and the browser shows "blocked by CORS policy" with no hint why. `origin_warnings` names each such entry
and the fix; the app logs them at start-up and `scriptorium doctor` shows them.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scriptorium.core.settings import Settings

DEFAULT_PORTS = {"http": 80, "https": 443}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}


def origin_warnings(settings: Settings) -> list[str]:
    """One sentence per suspicious ALLOWED_ORIGINS/CORS_ORIGINS entry, each ending with what to write instead."""
    warnings: list[str] = []
    for variable, entries in (("ALLOWED_ORIGINS", settings.allowed_origins), ("CORS_ORIGINS", settings.cors_origins)):
        for entry in entries:
            warnings.extend(f"{variable}: {problem}" for problem in _problems(entry, settings))
    return warnings


def _problems(entry: str, settings: Settings) -> list[str]:
    if entry == "*":
        return _wildcard_problems(settings)
    if "*" in entry:
        return [f"{entry!r} uses a wildcard inside the host; CORS needs exact origins, so list each one"]
    parts = urlsplit(entry)
    host = parts.hostname or ""
    exact = _exact_origin(entry)
    problems: list[str] = []
    if parts.path == "/" and not parts.query and not parts.fragment:
        problems.append(f"{entry!r} ends with '/'; browsers never send one (the API strips it), write {exact!r}")
    elif parts.path or parts.query or parts.fragment:
        problems.append(f"{entry!r} has a path; an origin is only scheme://host[:port], write {exact!r}")
    if parts.netloc != parts.netloc.lower():
        problems.append(f"{entry!r} has upper-case letters; browsers send the host in lower case, write {exact!r}")
    try:
        port = parts.port
    except ValueError:
        return [*problems, f"{entry!r} has an invalid port"]
    if port is not None and DEFAULT_PORTS.get(parts.scheme) == port:
        problems.append(f"{entry!r} names the default port; browsers leave it out, write {exact!r}")
    if parts.scheme == "http" and host not in LOCAL_HOSTS and settings.environment == "production":
        problems.append(
            f"{entry!r} is plain http; a frontend served over https sends an https:// origin, "
            f"write {exact.replace('http://', 'https://', 1)!r}"
        )
    return problems


def _wildcard_problems(settings: Settings) -> list[str]:
    problems = [
        "'*' lets any website call this API from a visitor's browser; browsers also refuse credentials "
        "with a wildcard, so the API turns them off: list the frontend's exact origin instead"
    ]
    if settings.environment == "production":
        problems[0] = "in production " + problems[0]
    return problems


def _exact_origin(entry: str) -> str:
    """The origin a browser would send for a page at `entry`."""
    parts = urlsplit(entry)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if ":" in host:
        host = f"[{host}]"
    if port is not None and DEFAULT_PORTS.get(scheme) != port:
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"
