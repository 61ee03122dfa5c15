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
from typing import Literal

from opsctl.store.cache import DerivedCache

KEPT_ANSWERS = 64
FOLDER = "answers"

Stream = Literal["out", "err", "failed"]
Chunk = tuple[Stream, str]
"""Text written to stdout (``out``) or stderr (``err``), in the order it was written.

A last ``failed`` chunk (with no text) says the command then exited 1: its
report was printed in full, and a check it was asked to enforce failed.
"""
_LETTERS: dict[bytes, Stream] = {b"o": "out", b"e": "err", b"f": "failed"}


def _entry_name(request: str) -> str:
    return f"{FOLDER}/{hashlib.sha256(request.encode('utf-8')).hexdigest()[:32]}"


def encode_chunks(chunks: list[Chunk]) -> bytes:
    """Chunks as bytes: per chunk, ``o``, ``e`` or ``f``, the UTF-8 length, ``:``, the text."""
    parts = []
    for stream, text in chunks:
        data = text.encode("utf-8", "surrogatepass")
        parts.append(f"{stream[0]}{len(data)}:".encode() + data)
    return b"".join(parts)


def decode_chunks(payload: bytes) -> list[Chunk] | None:
    """The chunks :func:`encode_chunks` wrote, or None for anything else."""
    chunks: list[Chunk] = []
    at = 0
    while at < len(payload):
        stream = _LETTERS.get(payload[at : at + 1])
        colon = payload.find(b":", at)
        length = payload[at + 1 : colon]
        if stream is None or colon < 0 or not length.isdigit():
            return None
        at = colon + 1 + int(length)
        if at > len(payload):
            return None
        chunks.append((stream, payload[colon + 1 : at].decode("utf-8", "surrogatepass")))
    return chunks


def kept_answer(cache: DerivedCache, request: str, source: str) -> list[Chunk] | None:
    """What ``request`` printed when everything it read had the digest ``source``, else None."""
    payload = cache.get_bytes(_entry_name(request), f"{request}\0{source}")
    return None if payload is None else decode_chunks(payload)


def keep_answer(cache: DerivedCache, request: str, source: str, chunks: list[Chunk]) -> None:
    """Keep what ``request`` printed from ``source``, and forget all but the latest answers."""
    cache.put_bytes(_entry_name(request), f"{request}\0{source}", encode_chunks(chunks))
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
