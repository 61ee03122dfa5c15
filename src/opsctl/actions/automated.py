"""Running the items' automated checks, and recording the ones that pass.

Checks run only when asked (``opsctl check --run-checks``). A pass completes
its item in one transaction per run; a failure is only reported, with why.
The caller may wrap the checks in a progress display; this module draws none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from opsctl.actions.session import Session
from opsctl.definitions.model import Direction
from opsctl.gate.automated import (
    Outcome,
    PendingCheck,
    pending_checks,
    record_passes,
    run_check,
)
from opsctl.gate.check import Demand, Failures, demanded_phases
from opsctl.store.documents import RunDocument

Progress = Callable[[list[PendingCheck]], Iterable[PendingCheck]]
"""Wraps the checks about to run, e.g. in a progress bar; yields each of them once."""


def latest_reading(session: Session, metric_id: str) -> tuple[float, Direction] | None:
    """The latest reading of a KPI and its direction, for metric checks."""
    definitions = session.catalog.metrics()
    record = session.metrics.load().metrics.get(metric_id)
    latest = record.latest() if record else None
    if latest is None or metric_id not in definitions:
        return None
    return latest.value, definitions[metric_id][0].direction


def _record(session: Session, run_id: str, passed: list[tuple[str, Outcome]]) -> None:
    store = session.runs
    with store.update(run_id) as fresh:
        record_passes(fresh, store.framework_of(fresh), passed, session.now())


def run_automated_checks(
    session: Session,
    documents: list[RunDocument],
    demand: Demand,
    progress: Progress | None = None,
) -> tuple[list[RunDocument], Failures]:
    """Run every pending check of the selected phases; record passes.

    Returns the runs as stored afterwards and why each failing check failed.
    """
    store = session.runs
    root = session.workspace.root
    today = session.today()
    pending: list[PendingCheck] = []
    for document in documents:
        framework = store.framework_of(document)
        pending += pending_checks(document, demanded_phases(document, framework, demand), today)
    outcomes = [
        (check, run_check(check.check, root, lambda metric: latest_reading(session, metric)))
        for check in (progress(pending) if progress else pending)
    ]
    failures = {
        (check.run_id, check.key): outcome.detail
        for check, outcome in outcomes
        if not outcome.passed
    }
    for document in documents:
        passed = [
            (check.key, outcome)
            for check, outcome in outcomes
            if outcome.passed and check.run_id == document.id
        ]
        if passed:
            _record(session, document.id, passed)
    return [store.load(document.id) for document in documents], failures
