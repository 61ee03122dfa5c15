"""``opsctl runs`` as text: the listing's rows, answered from the cache without the run models.

The rows are kept under the listing's key (:func:`listing_fingerprint`). Asked
again with nothing changed, they are printed from the cache, and nothing
that reads a run (its models, the engine, the definitions) is even
imported. A miss is read as :func:`opsctl.actions.listing.read_listing`
reads it (:meth:`RunList.rows`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeGuard

from opsctl.actions.session import Session
from opsctl.store.index import listing_fingerprint

if TYPE_CHECKING:
    from opsctl.engine.selection import RunSelector

RUN_COLUMNS = ["ID", "FRAMEWORK", "PHASE", "PROGRESS", "DUE", "STATUS"]


@dataclass(frozen=True)
class RunRows:
    """``opsctl runs`` as a text table: its rows, and the runs that could not be read."""

    rows: list[list[str]]
    errors: list[str]


def list_run_rows(session: Session, selector: RunSelector | None = None) -> RunRows:
    """The rows of the run listing as text, kept under the listing's own key.

    Validating ten thousand cached summaries only to print them costs more
    than reading them, and importing the run models costs more than the
    rest of a short listing.
    """
    if selector is not None:
        from opsctl.actions.listing import check_selector

        check_selector(session, selector)
    source = listing_fingerprint(session.workspace, session.today(), selector)
    cached = session.cache.get("runs-rows", source) if source is not None else None
    if isinstance(cached, dict):
        rows, errors = cached.get("rows"), cached.get("errors")
        if _is_rows(rows) and _is_texts(errors):
            return RunRows(rows, errors)
    from opsctl.actions.listing import read_listing

    listing = read_listing(session, selector)
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
