"""Listing runs: ``opsctl runs`` and the selectors ``runs`` and ``check`` share.

The listing is the documented ``runs`` JSON shape (docs/json.md), kept in
the cache under :func:`listing_fingerprint` for ``check --all`` and ``runs``.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from pydantic import Field

from opsctl.actions.results import Result, View
from opsctl.actions.session import Session
from opsctl.clock import iso
from opsctl.definitions.model import Framework
from opsctl.engine.runs import current_phase, progress
from opsctl.engine.selection import RunSelector
from opsctl.errors import StoreError
from opsctl.store.documents import RunHeader
from opsctl.store.index import listing_fingerprint

RUN_COLUMNS = ["ID", "FRAMEWORK", "PHASE", "PROGRESS", "DUE", "STATUS"]
"""The columns of ``opsctl runs`` as text (:meth:`RunList.rows`)."""


class Progress(View):
    """Required items complete out of all required items."""

    complete: int
    total: int


class RunSummary(View):
    """One line of ``opsctl runs``."""

    id: str
    title: str
    framework: str
    status: str
    phase: str | None
    phase_title: str | None
    phase_number: int
    phases: int
    progress: Progress
    due: str | None
    overdue: bool
    created: str
    labels: list[str] = Field(default_factory=list)


def run_summary(document: RunHeader, framework: Framework, today: dt.date) -> RunSummary:
    """Where a run stands, in one line."""
    complete, total = progress(document, framework, today)
    phase = current_phase(document, framework)
    number = next(n for n, p in enumerate(framework.phases, 1) if p is phase) if phase else 0
    return RunSummary(
        id=document.id,
        title=document.title,
        framework=document.framework.id,
        status=document.status.value,
        phase=phase.id if phase else None,
        phase_title=phase.title if phase else None,
        phase_number=number or len(framework.phases),
        phases=len(framework.phases),
        progress=Progress(complete=complete, total=total),
        due=document.due.isoformat() if document.due else None,
        overdue=bool(document.due and document.due < today and document.phase is not None),
        created=iso(document.created),
        labels=document.labels or [],
    )


class RunList(Result):
    """``opsctl runs``: every readable run; unreadable ones are listed as errors."""

    KIND: ClassVar[str] = "runs"

    runs: list[RunSummary]
    errors: list[str] = Field(default=[], exclude=True)

    def rows(self) -> list[list[str]]:
        """The listing as text columns: id, framework, phase, progress, due, status."""
        return [
            [
                row.id,
                row.framework,
                f"{row.phase_number}/{row.phases} {row.phase or ''}".rstrip(),
                f"{row.progress.complete}/{row.progress.total}",
                (row.due or "-") + (" overdue" if row.overdue else ""),
                row.status,
            ]
            for row in self.runs
        ]


def check_selector(session: Session, selector: RunSelector | None) -> None:
    """Refuse a selector naming a framework or person opsctl does not know (exit 2).

    A misspelt ``--framework`` or ``--assignee`` would select nothing, and
    ``check --all`` over nothing passes: a CI gate must fail closed instead.
    """
    from opsctl.errors import InvalidField

    if selector is None:
        return
    if selector.framework is not None and selector.framework not in session.catalog.entries:
        known = ", ".join(sorted(session.catalog.entries))
        raise InvalidField(
            "framework", f"unknown framework '{selector.framework}' (known: {known})"
        )
    people = [person.email.lower() for person in session.config.people]
    if selector.assignee is not None and selector.assignee.lower() not in people:
        known = ", ".join(person.email for person in session.config.people) or "nobody yet"
        raise InvalidField(
            "assignee", f"'{selector.assignee}' is not on the team roster (the roster: {known})"
        )


def list_runs(session: Session, selector: RunSelector | None = None) -> RunList:
    """Every run of the workspace (those the selector picks, if given), in id order.

    The whole listing is cached under :func:`listing_fingerprint` (every run and
    pinned definition file's version, the day and the selector): asked again
    with nothing changed, ten thousand runs are not summed up again. Any
    change is a miss, answered from the run index.
    """
    check_selector(session, selector)
    source = listing_fingerprint(session.workspace, session.today(), selector)
    cache = session.cache
    cached = cache.get_json_bytes("runs-list", source) if source is not None else None
    if cached is not None:
        try:
            return RunList.model_validate_json(cached)
        except ValueError:  # a damaged entry
            pass
    listing = read_listing(session, selector)
    if source is not None:
        cache.put("runs-list", source, listing.model_dump(mode="json") | {"errors": listing.errors})
    return listing


def read_listing(session: Session, selector: RunSelector | None) -> RunList:
    """The listing read from the run index (no cached answer); the selector must be checked."""
    store = session.runs
    today = session.today()
    documents, errors = store.headers()
    rows = []
    for document in documents:
        if selector and not selector.matches(document, today):
            continue
        try:
            rows.append(run_summary(document, store.framework_of(document), today))
        except StoreError as exc:
            errors.append(exc)
    return RunList(runs=rows, errors=list(dict.fromkeys(str(error) for error in errors)))
