"""Kept answers: what a read command printed, filed under the digest of everything it read.

An answer is kept in ``.opsctl/cache/answers/`` (the user's cache outside a
workspace), one authenticated entry per request (the command and its
arguments, see :class:`opsctl.store.cache.DerivedCache`). It is used only
while its source digest still matches, so it is never the source of truth:
an edited, planted or torn entry is a miss, and the command runs again.
Only the :data:`KEPT_ANSWERS` most recently written entries are kept.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Literal, TypeGuard

from opsctl.store.cache import DerivedCache

KEPT_ANSWERS = 64
FOLDER = "answers"

Stream = Literal["out", "err"]
Chunk = tuple[Stream, str]
"""Text written to stdout (``out``) or stderr (``err``), in the order it was written."""


def _entry_name(request: str) -> str:
    return f"{FOLDER}/{hashlib.sha256(request.encode('utf-8')).hexdigest()[:32]}"


def _is_chunks(value: object) -> TypeGuard[list[list[str]]]:
    return isinstance(value, list) and all(
        isinstance(chunk, list)
        and len(chunk) == 2
        and chunk[0] in ("out", "err")
        and isinstance(chunk[1], str)
        for chunk in value
    )


def kept_answer(cache: DerivedCache, request: str, source: str) -> list[Chunk] | None:
    """What ``request`` printed when everything it read had the digest ``source``, else None."""
    found = cache.get(_entry_name(request), f"{request}\0{source}")
    if not _is_chunks(found):
        return None
    return [("out" if stream == "out" else "err", text) for stream, text in found]


def keep_answer(cache: DerivedCache, request: str, source: str, chunks: list[Chunk]) -> None:
    """Keep what ``request`` printed from ``source``, and forget all but the latest answers."""
    cache.put(_entry_name(request), f"{request}\0{source}", [list(chunk) for chunk in chunks])
    _forget_old(cache)


def _forget_old(cache: DerivedCache) -> None:
    """Remove all but the :data:`KEPT_ANSWERS` most recently written entries."""
    try:
        with os.scandir(cache.folder / FOLDER) as entries:
            written = [entry for entry in entries if not entry.name.startswith(".")]
            newest = sorted(
                ((entry.stat().st_mtime_ns, entry.path) for entry in written), reverse=True
            )
        for _, path in newest[KEPT_ANSWERS:]:
            Path(path).unlink()
    except OSError:
        return
