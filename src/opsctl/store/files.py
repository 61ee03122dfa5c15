"""Safe JSON documents on disk: locking, atomic replacement, schema versions.

Every write takes a lock, writes a temporary file in the same folder,
flushes and fsyncs it, and renames it into place, so a reader or a crash
never sees half a file. Every document carries a ``schema`` version; older
ones are upgraded through an ordered chain, newer ones are refused.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from opsctl.errors import InvalidField, StoreError, digest, format_loc

Document = dict[str, Any]
Upgrade = Callable[[Document], Document]
ModelT = TypeVar("ModelT", bound=BaseModel)

LOCK_TIMEOUT_SECONDS = 30.0
STALE_TEMP_SECONDS = 60.0
"""A temporary file this much older than a write was left by a writer that was killed."""


def dumps(document: Any) -> str:
    """Deterministic JSON: sorted keys, two-space indent, trailing newline."""
    import json

    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def lock_path(path: Path) -> Path:
    """The lock file guarding a document (ignored by git)."""
    return path.with_name(path.name + ".lock")


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the document's lock; other opsctl processes wait their turn."""
    from filelock import FileLock, Timeout  # only writers pay for it (and for logging)

    lock = FileLock(lock_path(path), timeout=LOCK_TIMEOUT_SECONDS)
    try:
        with lock:
            yield
    except Timeout:
        raise StoreError(
            f"{path}: still locked by another opsctl after {LOCK_TIMEOUT_SECONDS:g}s; "
            f"if none is running, delete {lock_path(path)}",
            path=str(path),
        ) from None


def atomic_write(path: Path, text: str | bytes, *, durable: bool = True) -> None:
    """Replace a file's content in one step: temp file, fsync, rename, fsync folder.

    Text is written as UTF-8, bytes as they are. ``durable=False`` skips
    both fsyncs, for derived files (caches) that may be lost in a crash but
    must never be seen half written.
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        Path(temp_name).replace(path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    remove_stale_temps(path)
    if durable:
        _fsync_folder(path.parent)


def remove_stale_temps(path: Path, older_than: float = STALE_TEMP_SECONDS) -> None:
    """Delete the temporary files killed writers of ``path`` left behind.

    Only names :func:`atomic_write` makes for this very file
    (``.NAME.XXXXXXXX.tmp``), only regular files, and only ones not modified
    for ``older_than`` seconds: a concurrent writer's live temporary file is
    never touched. Whatever cannot be removed is left for the next write.
    """
    pattern = re.compile(re.escape(f".{path.name}.") + r"[a-z0-9_]{8}\.tmp")
    cutoff = time.time() - older_than
    try:
        with os.scandir(path.parent) as entries:
            stale = [
                entry.path
                for entry in entries
                if pattern.fullmatch(entry.name) and _modified_before(entry, cutoff)
            ]
    except OSError:
        return
    for name in stale:
        with suppress(OSError):
            Path(name).unlink()


def _modified_before(entry: os.DirEntry[str], cutoff: float) -> bool:
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_mtime < cutoff


def check_output(path: Path) -> None:
    """Refuse an output path that is neither new nor a regular file (``InvalidField("output")``).

    Checked with ``os.lstat``, so a symbolic link is refused rather than
    followed, and a named pipe, device, socket or folder is never replaced.
    """
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InvalidField("output", f"{path}: {exc.strerror or exc}") from None
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise InvalidField("output", f"{path}: is a directory")
    kind = "a symbolic link" if stat.S_ISLNK(mode) else _KINDS.get(stat.S_IFMT(mode), "not a file")
    raise InvalidField(
        "output", f"{path}: is {kind}; opsctl writes only a new file or over a regular file"
    )


def write_output(path: Path, text: str) -> None:
    """Write a report the user asked for: a new file or over a regular one, atomically.

    The text goes to a temporary file in the same folder, then is renamed
    into place: a symbolic link, named pipe, device or socket at ``path`` is
    refused (:func:`check_output`), never followed or replaced. Missing
    folders are created. Problems are ``InvalidField("output", ...)`` (exit 2).
    """
    check_output(path)
    try:
        atomic_write(path, text)
    except OSError as exc:
        raise InvalidField("output", f"{path}: {exc.strerror or exc}") from None


def _umask() -> int:
    """The process umask (read by setting it, then restoring it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a named pipe",
    stat.S_IFSOCK: "a socket",
}


def read_bytes(path: Path) -> bytes:
    """A store file's bytes; anything but a regular file is refused, without blocking.

    A named pipe opened for reading would wait for a writer forever (while a
    writer holds the run's lock), so the file is opened non-blocking and
    checked before it is read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise StoreError(f"{path}: does not exist", path=str(path)) from None
    except OSError as exc:
        raise StoreError(f"{path}: cannot read: {exc.strerror or exc}", path=str(path)) from None
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if not stat.S_ISREG(mode):
            kind = _KINDS.get(stat.S_IFMT(mode), "not a file")
            raise StoreError(f"{path}: not a regular file ({kind})", path=str(path))
        return handle.read()


def read_json(path: Path, raw: bytes | None = None) -> Document:
    """Parse a store file (or its bytes, already read), or a StoreError naming the problem."""
    import json

    data = read_bytes(path) if raw is None else raw
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StoreError(f"{path}: cannot read: {exc}", path=str(path)) from None
    if text.startswith("<<<<<<<") or "\n<<<<<<< " in text:
        raise StoreError(
            f"{path}: has git conflict markers; run 'opsctl git setup' and redo the merge",
            path=str(path),
        )
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise StoreError(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}", path=str(path)
        ) from None
    except RecursionError:
        raise StoreError(f"{path}: not valid JSON: nested too deeply", path=str(path)) from None
    except ValueError as exc:
        raise StoreError(f"{path}: not valid JSON: {exc}", path=str(path)) from None
    if not isinstance(document, dict):
        raise StoreError(
            f"{path}: expected a JSON object, found {type(document).__name__}", path=str(path)
        )
    return document


def _refuse_constant(name: str) -> Any:
    """NaN and Infinity are not JSON; a store never holds them."""
    raise ValueError(f"{name} is not a JSON number")


def upgrade(document: Document, path: Path, current: int, upgrades: dict[int, Upgrade]) -> Document:
    """Bring a document to the current schema through the ordered chain of upgrades."""
    version = document.get("schema")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise StoreError(
            f"{path}: schema: missing or not a positive integer ({version!r})", path=str(path)
        )
    if version > current:
        raise StoreError(
            f"{path}: written by a newer opsctl (schema {version}, this one reads up to "
            f"{current}); upgrade opsctl",
            path=str(path),
        )
    while version < current:
        document = upgrades[version](document)
        version += 1
        document["schema"] = version
    return document


def parse_model(model: type[ModelT], document: Document, path: Path) -> ModelT:
    """Validate a document against its model; errors name the field."""
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = len(exc.errors()) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise StoreError(
            f"{path}: {format_loc(tuple(first['loc']))}: {first['msg']}{suffix}", path=str(path)
        ) from None


def load_model(
    model: type[ModelT], path: Path, current: int, upgrades: dict[int, Upgrade]
) -> ModelT:
    """Read, upgrade and validate one document.

    The common case, a current document, is parsed and validated in one pass
    by Pydantic's JSON parser; anything else (older, newer, damaged) takes
    the slower path that upgrades it or names the problem.
    """
    raw = read_bytes(path)
    try:
        document = model.model_validate_json(raw)
    except ValidationError:
        pass
    else:
        if getattr(document, "schema_", None) == current and "schema_" in document.model_fields_set:
            return document
    return parse_model(model, upgrade(read_json(path, raw), path, current, upgrades), path)


def save_model(document: BaseModel, path: Path) -> None:
    """Write a model as deterministic JSON, atomically (caller holds the lock)."""
    atomic_write(path, dumps(document.model_dump(mode="json", by_alias=True, exclude_none=True)))


def next_head(previous: str, change: BaseModel) -> str:
    """A digest over the previous head and a change, stored as a document's ``head``.

    Every write changes the head line, so two diverging edits of one file
    always conflict in a plain git merge rather than merging into a file
    that parses but is wrong.
    """
    return digest({"previous": previous, "change": change.model_dump(mode="json")})


class SingleDocument(Generic[ModelT]):
    """A workspace-wide document (KPI readings, held reviews): read, or locked and changed."""

    def __init__(self, path: Path, model: type[ModelT], schema: int) -> None:
        self.path = path
        self.model = model
        self.schema = schema

    def load(self) -> ModelT:
        """The document; an empty one when nothing was recorded yet."""
        if not self.path.exists():
            return self.model()
        return load_model(self.model, self.path, self.schema, {})

    @contextmanager
    def update(self) -> Iterator[ModelT]:
        """Lock, read, hand over for changes, save atomically if the block succeeds."""
        with locked(self.path):
            document = self.load()
            yield document
            save_model(document, self.path)
