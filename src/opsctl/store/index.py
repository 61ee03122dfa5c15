"""A derived index of run states in SQLite under ``.opsctl/cache/``: never the source of truth.

Listing or checking ten thousand runs should not parse a million history
events every time. For each run file the index keeps the run without its
history (a :class:`RunState`, stored as JSON after the whole document,
history included, was read and validated), keyed by the file's size,
``mtime_ns``, ``ctime_ns`` and inode. A file whose key changed is read again;
an atomic rewrite by opsctl makes a new inode, and an edit behind opsctl's
back changes ``ctime`` even when it keeps the size and puts the old
modification time back (``ctime`` cannot be set by a user). A file changed
within :data:`RACY_NS` of being indexed is not trusted yet (as git does with
its index), so coarse file-system clocks cannot hide an edit.

Beside each run's state, the index keeps what reports derive from the run
(:mod:`opsctl.store.parts`): one part per run and report window, valid
for the same file version only.

Every row carries a digest of its content; a row that fails it, or does not
validate, is a miss. A database that is corrupt, locked or of another
opsctl version is rebuilt or bypassed silently: the answer is always what
the run files say. ``OPSCTL_NO_CACHE=1`` bypasses it entirely.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import os
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from opsctl import __version__
from opsctl.errors import StoreError
from opsctl.store.cache import CACHE_DIRNAME, cache_enabled, cache_folder
from opsctl.store.versions import RUN_SCHEMA

if TYPE_CHECKING:
    import sqlite3

    from opsctl.store.documents import RunDocument, RunState
    from opsctl.store.workspace import Workspace

INDEX_NAME = "runs.sqlite3"
FORMAT = f"runs-index 3, run schema {RUN_SCHEMA}, opsctl {__version__}"
"""Rows made by another format (or opsctl version) are dropped, never read."""
RACY_NS = 2_000_000_000
"""A file modified this recently (in ns) is read but not indexed yet."""

FileKey = tuple[int, int, int, int]
Row = tuple[str, int, int, int, int, str, bytes, str]


@contextmanager
def bulk_load() -> Iterator[None]:
    """Keep the garbage collector out of a bulk load, and out of what it loaded afterwards.

    Loading thousands of documents makes millions of objects and no cycles;
    the collector would walk them again and again. What was loaded is then
    frozen (``gc.freeze``): later collections skip it.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def file_key(path: Path) -> FileKey | None:
    """What identifies a version of a regular file; None for anything else or on error."""
    try:
        info = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino


def held_still(before: FileKey, path: Path) -> bool:
    """Whether a file read between ``before`` and now may be remembered by its key.

    It must not have changed while it was read, nor within :data:`RACY_NS`
    of now (a next change might not show in its key yet).
    """
    return file_key(path) == before and max(before[1], before[2]) < time.time_ns() - RACY_NS


def fingerprint(folders: list[Path], extra: str) -> str | None:
    """A digest of every file's key in these folders (and ``extra``), or None when it cannot vouch.

    An answer derived from all of a store's files can be cached under this:
    any file added, removed or changed changes it. None when a folder cannot
    be read, or a file changed within :data:`RACY_NS` (its next change might
    not show in its key yet).
    """
    digest = hashlib.sha256(f"{FORMAT}\0{extra}".encode())
    newest = time.time_ns() - RACY_NS
    for folder in folders:
        try:
            with os.scandir(folder) as entries:
                found = sorted((e.name, e.stat()) for e in entries if e.name.endswith(".json"))
        except OSError:
            return None
        if any(max(info.st_mtime_ns, info.st_ctime_ns) >= newest for _, info in found):
            return None
        keys = [
            f"{folder.name}/{name}\0{info.st_size} {info.st_mtime_ns} {info.st_ctime_ns}"
            f" {info.st_ino} {info.st_mode}\0"
            for name, info in found
        ]
        digest.update("".join(keys).encode())
    return digest.hexdigest()


def listing_fingerprint(workspace: Workspace, today: dt.date, selector: object) -> str | None:
    """What a listing of a workspace's runs is cached under; None when the files cannot vouch.

    Every run and pinned definition file's version (:func:`fingerprint`),
    the day and the selector (by its ``repr``): any change is a miss.
    """
    folders = [workspace.runs_dir, workspace.definitions_dir]
    return fingerprint(folders, f"runs {today.isoformat()} {selector!r}")


def _row_digest(run_id: str, key: FileKey, body: bytes, status: str) -> str:
    return hashlib.sha256(f"{run_id}\0{key}\0{status}\0".encode() + body).hexdigest()


def _connect(path: Path) -> sqlite3.Connection:
    import sqlite3  # only commands over many runs open the index; status and done never do

    connection = sqlite3.connect(path, timeout=0.5, isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous=OFF")
        found = connection.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='meta'"
        ).fetchone()
        current = (
            connection.execute("SELECT value FROM meta WHERE key='format'").fetchone()
            if found
            else None
        )
        if current != (FORMAT,):
            connection.executescript(
                "BEGIN;"
                "DROP TABLE IF EXISTS runs; DROP TABLE IF EXISTS meta;"
                "DROP TABLE IF EXISTS parts; DROP TABLE IF EXISTS part_names;"
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                "CREATE TABLE runs (id TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER,"
                " ctime_ns INTEGER, ino INTEGER, digest TEXT, body BLOB, status TEXT);"
                "CREATE TABLE parts (id TEXT, name TEXT, size INTEGER, mtime_ns INTEGER,"
                " ctime_ns INTEGER, ino INTEGER, tag TEXT, body BLOB, PRIMARY KEY (id, name));"
                "CREATE TABLE part_names (name TEXT PRIMARY KEY, used INTEGER);"
                "COMMIT;"
            )
            connection.execute("INSERT INTO meta VALUES ('format', ?)", (FORMAT,))
    except BaseException:
        connection.close()
        raise
    return connection


def open_index(store_dir: Path) -> sqlite3.Connection | None:
    """The index database, made or remade as needed; None when it cannot be used.

    A file that is not a database (or a damaged one) is deleted and made
    again; a database another process holds locked is bypassed this time.
    """
    import sqlite3

    if not cache_enabled():
        return None
    path = store_dir / CACHE_DIRNAME / INDEX_NAME
    try:
        cache_folder(store_dir)
        return _connect(path)
    except sqlite3.OperationalError:
        return None
    except (sqlite3.DatabaseError, OSError):
        with suppress(OSError):
            path.unlink()
    try:
        return _connect(path)
    except (sqlite3.Error, OSError):
        return None


class RunIndex:
    """Run states by run id, each valid only for the file version it was read from."""

    def __init__(self, store_dir: Path) -> None:
        self.store_dir = store_dir

    def states(
        self,
        paths: dict[str, Path],
        read: Callable[[Path], RunDocument],
        status: str | None = None,
    ) -> Surveyed:
        """The state of each run (by id), and what went wrong reading the others.

        ``read`` is the store's full reader (upgrade, validation, id check):
        every miss goes through it, so an indexed state is exactly what it
        would give, minus the history. With ``status``, only runs in that
        status are returned; an indexed run whose unchanged file is in
        another one is set aside without validating it (``check --all``
        looks at the active runs only).
        """
        import sqlite3

        connection = open_index(self.store_dir)
        if connection is None:
            return _read_all(paths, read, {}, [], status)
        with closing(connection):
            try:
                known = _rows(connection)
            except sqlite3.Error:
                return _read_all(paths, read, {}, [], status)
            fresh: list[Row] = []
            found = _read_all(paths, read, known, fresh, status)
            _save(connection, fresh, set(known) - set(paths))
        return found


def _rows(connection: sqlite3.Connection) -> dict[str, Row]:
    rows = connection.execute(
        "SELECT id, size, mtime_ns, ctime_ns, ino, digest, body, status FROM runs"
    ).fetchall()
    return {row[0]: row for row in rows}


def _indexed_body(run_id: str, key: FileKey | None, row: Row | None) -> bytes | None:
    """The row's state (JSON) if it is for this file version and its digest holds, else None."""
    if key is None or row is None or tuple(row[1:5]) != key:
        return None
    body, status = row[6], row[7]
    if not isinstance(body, bytes) or not isinstance(status, str):
        return None
    return body if row[5] == _row_digest(run_id, key, body, status) else None


def _state(run_id: str, body: bytes) -> RunState | None:
    from pydantic import ValidationError

    from opsctl.store.documents import RunState

    try:
        state = RunState.model_validate_json(body)
    except ValidationError:
        return None
    return state if state.id == run_id else None


@dataclass
class Surveyed:
    """What :meth:`RunIndex.states` found: states, errors, and the runs set aside by status."""

    states: dict[str, RunState] = field(default_factory=dict)
    errors: dict[str, StoreError] = field(default_factory=dict)
    elsewhere: set[str] = field(default_factory=set)
    """Runs read fine but in another status than the one asked for."""


def _read_all(
    paths: dict[str, Path],
    read: Callable[[Path], RunDocument],
    known: dict[str, Row],
    fresh: list[Row],
    status: str | None,
) -> Surveyed:
    found = Surveyed()
    with bulk_load():
        for run_id, path in paths.items():
            key = file_key(path)
            row = known.get(run_id)
            body = _indexed_body(run_id, key, row)
            if body is not None and row is not None and status not in (None, row[7]):
                found.elsewhere.add(run_id)
                continue
            state = _state(run_id, body) if body is not None else None
            if state is None:
                try:
                    state = _read_one(run_id, path, key, read, fresh)
                except StoreError as exc:
                    found.errors[run_id] = exc
                    continue
            if status not in (None, state.status.value):
                found.elsewhere.add(run_id)
                continue
            found.states[run_id] = state
    return found


def _read_one(
    run_id: str,
    path: Path,
    key: FileKey | None,
    read: Callable[[Path], RunDocument],
    fresh: list[Row],
) -> RunState:
    """Read a run whole; remember its state when the file held still and is not too new."""
    from opsctl.store.documents import RunState

    document = read(path)
    body = document.model_dump_json(exclude={"history"}, by_alias=True, exclude_none=True)
    state = RunState.model_validate_json(body)
    if key is not None and held_still(key, path):
        data, status = body.encode("utf-8"), state.status.value
        fresh.append((run_id, *key, _row_digest(run_id, key, data, status), data, status))
    return state


def _save(connection: sqlite3.Connection, fresh: list[Row], gone: set[str]) -> None:
    """Write new rows and drop those of deleted runs; an index that cannot be written is skipped."""
    import sqlite3

    if not fresh and not gone:
        return
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)", fresh)
        connection.executemany("DELETE FROM runs WHERE id = ?", [(run_id,) for run_id in gone])
        connection.execute("COMMIT")
    except sqlite3.Error:
        with suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
