"""Derived data kept under ``.opsctl/cache/``: never the source of truth.

An entry is keyed by the digest of what it was derived from, so an edited
source simply misses; an entry that cannot be read or does not parse is a
miss too, and a failed write is ignored. The folder ignores itself in git.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from opsctl.errors import StoreError
from opsctl.store.files import atomic_write, read_bytes

CACHE_DIRNAME = "cache"


def content_digest(data: bytes) -> str:
    """The key of an entry derived from these bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


class DerivedCache:
    """Named entries, each valid only for the source digest it was made from."""

    def __init__(self, store_dir: Path) -> None:
        self.folder = store_dir / CACHE_DIRNAME

    def get(self, name: str, source: str) -> Any:
        """The value stored for ``name`` from the source with this digest, else None."""
        try:
            entry = json.loads(read_bytes(self.folder / f"{name}.json"))
        except (StoreError, ValueError, RecursionError):
            return None
        if not isinstance(entry, dict) or entry.get("source") != source:
            return None
        return entry.get("value")

    def put(self, name: str, source: str, value: Any) -> None:
        """Remember a derived value; a cache that cannot be written is simply not used."""
        try:
            if not (self.folder / ".gitignore").exists():
                atomic_write(self.folder / ".gitignore", "*\n")
            atomic_write(
                self.folder / f"{name}.json",
                json.dumps({"source": source, "value": value}, sort_keys=True),
            )
        except OSError:
            return
