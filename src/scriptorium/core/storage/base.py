"""The storage seam: put, get, delete and address objects by a relative key such as `companion/ep01/p03.png`.

Keys are always relative and never contain `..`, so a key from the database can never reach outside the store.
`url_for` gives a browser-usable address: a public URL when the store is public, otherwise a short-lived signed
one that the app verifies before serving.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from scriptorium.core.errors import ValidationFailed


@runtime_checkable
class Storage(Protocol):
    name: str

    async def put(self, key: str, data: bytes, *, content_type: str = "application/octet-stream") -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None: ...

    async def exists(self, key: str) -> bool: ...

    def url_for(self, key: str) -> str | None:
        """A direct public URL, or None when objects must be served through the app (signed)."""
        ...


def check_key(key: str) -> str:
    """Refuse keys that are absolute, empty, or climb out of the store."""
    parts = key.split("/")
    if not key or key.startswith("/") or "\\" in key or any(part in {"", ".", ".."} for part in parts):
        raise ValidationFailed(f"invalid storage key {key!r}: use a relative path like 'dir/name.png'")
    return key
