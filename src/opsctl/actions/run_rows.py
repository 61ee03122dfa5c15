"""``opsctl runs`` as text: the listing's rows, answered from the cache without the run models.

The rows are kept under a fingerprint of every run and pinned definition
file (:func:`fingerprint`), the day and the selector. Asked again with
nothing changed, they are printed from the cache, and nothing that reads a
run (its models, the engine, the definitions) is even imported. A miss is
answered by :func:`opsctl.actions.listing.list_runs` (:meth:`RunList.rows`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeGuard

from opsctl.actions.session import Session

if TYPE_CHECKING:
    from opsctl.engine.selection import RunSelector

RUN_COLUMNS = ["ID", "FRAMEWORK", "PHASE", "PROGRESS", "DUE", "STATUS"]


@dataclass(frozen=True)
class RunRows:
    """``opsctl runs`` as a text table: its rows, and the runs that could not be read."""

    rows: list[list[str]]
    errors: list[str]


def list_run_rows(session: Session, selector: RunSelector | None = None) -> RunRows:
    """The rows of the run listing as text, kept under the listing's own kind of key.

    Validating ten thousand cached summaries only to print them costs more
    than reading them, and importing the run models costs more than the
    rest of a short listing.
    """
    from opsctl.store.index import fingerprint

    if selector is not None:
        from opsctl.actions.listing import check_selector

        check_selector(session, selector)
    workspace = session.workspace
    folders = [workspace.runs_dir, workspace.definitions_dir]
    source = fingerprint(folders, f"runs {session.today().isoformat()} {selector!r}")
    cached = session.cache.get("runs-rows", source) if source is not None else None
    if isinstance(cached, dict):
        rows, errors = cached.get("rows"), cached.get("errors")
        if _is_rows(rows) and _is_texts(errors):
            return RunRows(rows, errors)
    from opsctl.actions.listing import list_runs

    listing = list_runs(session, selector)
    found = RunRows(listing.rows(), listing.errors)
    if source is not None:
        session.cache.put("runs-rows", source, {"rows": found.rows, "errors": found.errors})
    return found


def _is_texts(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(text, str) for text in value)


def _is_rows(value: object) -> TypeGuard[list[list[str]]]:
    return isinstance(value, list) and all(
        _is_texts(row) and len(row) == len(RUN_COLUMNS) for row in value
    )
