"""Derived data kept under ``.opsctl/cache/``: never the source of truth.

An entry is keyed by the digest of what it was derived from, so an edited
source simply misses; an entry that cannot be read or does not parse is a
miss too, and a failed write is ignored. The folder ignores itself in git.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from opsctl.errors import StoreError
from opsctl.store.files import atomic_write, read_bytes

CACHE_DIRNAME = "cache"
ENV_NO_CACHE = "OPSCTL_NO_CACHE"
"""Set to 1 to bypass every derived cache and index (answers stay the same, only slower)."""


def cache_enabled() -> bool:
    """Whether derived data may be used (``OPSCTL_NO_CACHE`` unset, empty or 0)."""
    return os.environ.get(ENV_NO_CACHE, "") in ("", "0")


def cache_folder(store_dir: Path) -> Path:
    """The cache folder of a store, made on first use with a ``.gitignore`` ignoring it all.

    Raises OSError when it cannot be made; callers then go without the cache.
    """
    folder = store_dir / CACHE_DIRNAME
    if not (folder / ".gitignore").exists():
        atomic_write(folder / ".gitignore", "*\n")
    return folder


def content_digest(data: bytes) -> str:
    """The key of an entry derived from these bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


class DerivedCache:
    """Named entries, each valid only for the source digest it was made from."""

    def __init__(self, store_dir: Path) -> None:
        self.folder = store_dir / CACHE_DIRNAME

    def get(self, name: str, source: str) -> Any:
        """The value stored for ``name`` from the source with this digest, else None."""
        if not cache_enabled():
            return None
        try:
            entry = json.loads(read_bytes(self.folder / f"{name}.json"))
        except (StoreError, ValueError, RecursionError):
            return None
        if not isinstance(entry, dict) or entry.get("source") != source:
            return None
        return entry.get("value")

    def put(self, name: str, source: str, value: Any) -> None:
        """Remember a derived value; a cache that cannot be written is simply not used."""
        if not cache_enabled():
            return
        try:
            cache_folder(self.folder.parent)
            atomic_write(
                self.folder / f"{name}.json",
                json.dumps({"source": source, "value": value}, sort_keys=True),
            )
        except OSError:
            return
