"""Per-run derived parts kept in the run index: what a report needs of each run.

A report over ten thousand runs reduces each run to its part (see
:mod:`opsctl.review.parts`); parts are kept in the index's ``parts`` table,
one per run file version and *name* (what was derived, for which window),
so a second report reads only the runs changed since. A part is a pickle,
so it is tagged like every cache entry (:func:`entry_tag`: the user's key,
this very opsctl code, the run, its file version and the name); a row that
fails its tag, is of another type or of another file version is a miss,
derived again from the file. Parts of the :data:`KEPT_PART_NAMES` most
recently used names are kept.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable
from contextlib import closing, suppress
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from opsctl.store.cache import entry_tag, tag_holds
from opsctl.store.index import FileKey, bulk_load, file_key, held_still, open_index

if TYPE_CHECKING:
    import sqlite3

KEPT_PART_NAMES = 6
"""Sets of derived parts kept (the most recently used): a report's window, say, each."""

T = TypeVar("T")


def kept_parts(
    store_dir: Path,
    paths: dict[str, Path],
    name: str,
    kind: type[T],
    derive: Callable[[Path], T],
) -> list[T]:
    """``derive(path)`` for every run, in the order of ``paths``, kept per file version.

    ``name`` says what is derived and from what else (a report's period,
    say): a part is reused only for the same name, the same file version
    and this very opsctl code, proven by its tag (:func:`entry_tag`), and
    only if it is a ``kind``. An error ``derive`` raises is raised.
    """
    import sqlite3

    with bulk_load():
        connection = open_index(store_dir)
        if connection is None:
            return [derive(path) for path in paths.values()]
        with closing(connection):
            try:
                known = _part_rows(connection, name)
            except sqlite3.Error:
                known = {}
            fresh: list[PartRow] = []
            found = [
                _part(run_id, path, name, kind, derive, known.get(run_id), fresh)
                for run_id, path in paths.items()
            ]
            _save_parts(connection, name, fresh, set(known) - set(paths))
    return found


PartRow = tuple[str, str, int, int, int, int, str, bytes]


def _part_rows(connection: sqlite3.Connection, name: str) -> dict[str, PartRow]:
    rows = connection.execute(
        "SELECT id, name, size, mtime_ns, ctime_ns, ino, tag, body FROM parts WHERE name = ?",
        (name,),
    ).fetchall()
    return {row[0]: row for row in rows}


def _part_source(run_id: str, key: FileKey) -> str:
    return f"{run_id}\0{key}"


def _part_hit(
    run_id: str, key: FileKey | None, name: str, kind: type[T], row: PartRow | None
) -> T | None:
    if key is None or row is None or tuple(row[2:6]) != key:
        return None
    tag, body = row[6], row[7]
    if not tag_holds(f"part {name}", _part_source(run_id, key), body, tag):
        return None
    try:
        value = pickle.loads(body)
    except Exception:
        return None
    return value if isinstance(value, kind) else None


def _part(
    run_id: str,
    path: Path,
    name: str,
    kind: type[T],
    derive: Callable[[Path], T],
    row: PartRow | None,
    fresh: list[PartRow],
) -> T:
    """The kept part if its file is unchanged, else one derived now (kept if the file held)."""
    key = file_key(path)
    found = _part_hit(run_id, key, name, kind, row)
    if found is not None:
        return found
    value = derive(path)
    if key is not None and held_still(key, path):
        body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        tag = entry_tag(f"part {name}", _part_source(run_id, key), body)
        if tag is not None:
            fresh.append((run_id, name, *key, tag, body))
    return value


def _save_parts(
    connection: sqlite3.Connection, name: str, fresh: list[PartRow], gone: set[str]
) -> None:
    """Keep new parts, mark ``name`` used, and forget parts of deleted runs and of old names."""
    import sqlite3

    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(
            "INSERT OR REPLACE INTO parts VALUES (?, ?, ?, ?, ?, ?, ?, ?)", fresh
        )
        connection.executemany("DELETE FROM parts WHERE id = ?", [(run_id,) for run_id in gone])
        connection.execute(
            "INSERT OR REPLACE INTO part_names VALUES (?, ?)", (name, time.time_ns())
        )
        connection.execute(
            "DELETE FROM part_names WHERE name NOT IN"
            " (SELECT name FROM part_names ORDER BY used DESC LIMIT ?)",
            (KEPT_PART_NAMES,),
        )
        connection.execute("DELETE FROM parts WHERE name NOT IN (SELECT name FROM part_names)")
        connection.execute("COMMIT")
    except sqlite3.Error:
        with suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
