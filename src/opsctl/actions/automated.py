"""Running the items' automated checks, and recording the ones that pass.

Checks run only when asked (``opsctl check --run-checks``). A pass completes
its item in one transaction per run; a failure is only reported, with why.
The caller may wrap the checks in a progress display; this module draws none.

Command checks of a run run only when its pinned definition is the
workspace's own framework file (or the built-in) and its history holds
(:func:`opsctl.gate.automated.command_refusal`); otherwise they fail with why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from opsctl.actions.session import Session
from opsctl.definitions.model import CommandCheck, Direction
from opsctl.errors import OpsctlError
from opsctl.gate.automated import (
    TRUST_RULE,
    Outcome,
    PendingCheck,
    command_refusal,
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


def _refusal(session: Session, document: RunDocument) -> str | None:
    """Why this run's command checks must not run (None: they may), read from the catalog."""
    try:
        trusted = session.catalog.entries.get(document.framework.id)
    except OpsctlError as exc:
        return f"not run: the workspace's framework files do not load ({exc.problems[0]}); " + (
            TRUST_RULE
        )
    return command_refusal(document, trusted)


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
    refused: dict[str, str | None] = {}
    for document in documents:
        framework = store.framework_of(document)
        found = pending_checks(document, demanded_phases(document, framework, demand), today)
        if any(isinstance(check.check, CommandCheck) for check in found):
            refused[document.id] = _refusal(session, document)
        pending += found
    outcomes = [
        (
            check,
            run_check(
                check.check,
                root,
                lambda metric: latest_reading(session, metric),
                refused.get(check.run_id),
            ),
        )
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
