"""Object storage: `build_storage(settings)` returns the configured `Storage`."""

from __future__ import annotations

from pathlib import Path

from scriptorium.core.settings import Settings
from scriptorium.core.storage.base import Storage, check_key
from scriptorium.core.storage.local import LocalStorage


def build_storage(settings: Settings) -> Storage:
    if settings.storage_backend == "s3":
        from scriptorium.core.storage.s3 import S3Storage

        return S3Storage.from_settings(settings)
    return LocalStorage(Path(settings.data_dir) / "storage")


__all__ = ["LocalStorage", "Storage", "build_storage", "check_key"]
