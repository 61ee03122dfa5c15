"""Derived data kept under ``.opsctl/cache/``: never the source of truth.

An entry is keyed by the digest of what it was derived from, so an edited
source simply misses; an entry that cannot be read or does not parse is a
miss too, and a failed write is ignored. The folder ignores itself in git.

Entries are authenticated: each carries an HMAC made with a key that lives in
the user's own cache folder (``$XDG_CACHE_HOME/opsctl/cache-key``), never in
a workspace. An entry planted in a repository (``git add -f``) or copied from
another machine therefore misses, so a cache can never make opsctl answer
other than its sources say, and a pickled entry is only unpickled once its
tag proves this user's opsctl wrote it. The tag also names the opsctl code
that made the entry (:func:`code_stamp`), so an upgrade misses every old entry.
Without a usable key, or with ``OPSCTL_NO_CACHE=1``, nothing is cached.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sys
from functools import cache
from pathlib import Path
from typing import Any

from opsctl import __version__
from opsctl.errors import StoreError
from opsctl.store.files import atomic_write, read_bytes

CACHE_DIRNAME = "cache"
KEY_BYTES = 32
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


def user_cache_dir() -> Path:
    """The user's cache folder for opsctl: ``$XDG_CACHE_HOME/opsctl``, else ``~/.cache/opsctl``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "opsctl"


@cache
def _user_key() -> bytes | None:
    """The secret that authenticates cache entries, made on first use; None if unusable."""
    path = user_cache_dir() / "cache-key"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(os.urandom(KEY_BYTES))
    except FileExistsError:
        pass
    except OSError:
        return None
    try:
        key = read_bytes(path)
    except (StoreError, OSError):
        return None
    return key if len(key) == KEY_BYTES else None


@cache
def code_stamp() -> str:
    """Which opsctl derives entries: every module, built-in framework and template, by stat.

    A cached catalog is a pickle of opsctl's own classes, and a cached answer
    is what this code computed from its built-in frameworks; an entry made by
    other code or data (an upgrade, or an edited checkout with the same
    version number) must miss.
    """
    from opsctl.definitions.source import data_dir

    parts: list[str] = []
    folders = [(Path(__file__).resolve().parents[1], ".py")]
    folders += [(data_dir(name), "") for name in ("frameworks", "templates")]
    while folders:
        folder, suffix = folders.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False) and entry.name != "__pycache__":
                        folders.append((Path(entry.path), suffix))
                    elif entry.name.endswith(suffix):
                        info = entry.stat()
                        parts.append(f"{entry.path}:{info.st_size}:{info.st_mtime_ns}")
        except OSError:
            parts.append(f"{folder}: unreadable")
    return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()


def _tag(key: bytes, name: str, source: str, payload: bytes) -> str:
    made_by = f"{__version__}\0{sys.version}\0{code_stamp()}\0{name}\0{source}\0".encode()
    return hmac.new(key, made_by + payload, hashlib.sha256).hexdigest()


def entry_tag(name: str, source: str, payload: bytes) -> str | None:
    """The tag proving this user's opsctl (this very code) derived ``payload`` from ``source``.

    None when the cache is off or the user's key cannot be had: nothing can
    then be trusted, or kept.
    """
    key = _user_key() if cache_enabled() else None
    return None if key is None else _tag(key, name, source, payload)


def tag_holds(name: str, source: str, payload: object, tag: object) -> bool:
    """Whether ``tag`` is :func:`entry_tag` of this payload; anything else read back is False.

    Entries come back from files and databases anyone can edit: a payload
    or tag of another type, or a tag that is not ASCII, is simply no match.
    """
    if isinstance(tag, bytes):
        tag = tag.decode("ascii", "replace")
    if not isinstance(payload, bytes) or not isinstance(tag, str) or not tag.isascii():
        return False
    expected = entry_tag(name, source, payload)
    return expected is not None and hmac.compare_digest(tag, expected)


class DerivedCache:
    """Named entries, each valid only for the source digest it was made from."""

    def __init__(self, store_dir: Path) -> None:
        self.folder = store_dir / CACHE_DIRNAME

    @classmethod
    def of_user(cls) -> DerivedCache:
        """The user's own cache, for use outside a workspace (built-in frameworks only)."""
        return cls(user_cache_dir())

    def _read(self, name: str, source: str) -> bytes | None:
        if not cache_enabled() or _user_key() is None:
            return None
        try:
            tag, _, payload = read_bytes(self.folder / name).partition(b"\n")
        except (StoreError, OSError):
            return None
        return payload if tag_holds(name, source, payload, tag) else None

    def _write(self, name: str, source: str, payload: bytes) -> None:
        tag = entry_tag(name, source, payload)
        if tag is None:
            return
        try:
            cache_folder(self.folder.parent)
            atomic_write(self.folder / name, tag.encode() + b"\n" + payload, durable=False)
        except OSError:
            return

    def get_bytes(self, name: str, source: str) -> bytes | None:
        """The bytes stored under the file name ``name`` from the source with this digest."""
        return self._read(name, source)

    def put_bytes(self, name: str, source: str, payload: bytes) -> None:
        """Remember bytes under the file name ``name``; a cache that cannot be written is unused."""
        self._write(name, source, payload)

    def get_json_bytes(self, name: str, source: str) -> bytes | None:
        """The JSON text stored for ``name`` from this source, unparsed (for Pydantic's parser)."""
        return self._read(f"{name}.json", source)

    def get(self, name: str, source: str) -> Any:
        """The JSON value stored for ``name`` from the source with this digest, else None."""
        payload = self._read(f"{name}.json", source)
        if payload is None:
            return None
        import json

        try:
            return json.loads(payload)
        except (ValueError, RecursionError):
            return None

    def put(self, name: str, source: str, value: Any) -> None:
        """Remember a derived JSON value; a cache that cannot be written is simply not used."""
        import json

        self._write(f"{name}.json", source, json.dumps(value, sort_keys=True).encode("utf-8"))

    def get_object(self, name: str, source: str) -> object | None:
        """A Python object stored by :meth:`put_object`, once its tag proves who wrote it."""
        payload = self._read(f"{name}.pickle", source)
        if payload is None:
            return None
        import pickle

        try:
            value: object = pickle.loads(payload)
        except Exception:
            return None
        return value

    def put_object(self, name: str, source: str, value: object) -> None:
        """Remember an object too costly to rebuild (a validated catalog), pickled."""
        import pickle

        self._write(f"{name}.pickle", source, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
