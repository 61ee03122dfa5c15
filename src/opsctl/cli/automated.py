"""Running automated checks from the CLI, with a progress bar on a terminal."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeVar

from opsctl import clock
from opsctl.cli import state
from opsctl.cli.output import console

if TYPE_CHECKING:
    from opsctl.definitions.model import Direction
    from opsctl.store.documents import RunDocument

T = TypeVar("T")


def _progress(checks: list[T]) -> Iterable[T]:
    if not console().is_terminal or len(checks) < 2:
        return checks
    from rich.progress import track

    return track(checks, description="running checks", console=console(), transient=True)


def latest_reading(metric_id: str) -> tuple[float, Direction] | None:
    """The latest reading of a KPI and its direction, for metric checks."""
    from opsctl.store.metrics import MetricsStore

    definitions = state.catalog().metrics()
    record = MetricsStore(state.workspace()).load().metrics.get(metric_id)
    latest = record.latest() if record else None
    if latest is None or metric_id not in definitions:
        return None
    return latest.value, definitions[metric_id][0].direction


def run_automated_checks(
    documents: list[RunDocument], which: str
) -> tuple[list[RunDocument], dict[tuple[str, str], str]]:
    """Run every pending check; record passes; return fresh runs and failure messages."""
    from opsctl.gate.automated import (
        Outcome,
        PendingCheck,
        pending_checks,
        record_passes,
        run_check,
    )
    from opsctl.gate.check import select_phases

    store = state.store()
    root = state.workspace().root
    today = clock.today()
    pending: list[PendingCheck] = []
    for document in documents:
        framework = store.framework_of(document)
        pending += pending_checks(document, select_phases(document, framework, which), today)
    outcomes: list[tuple[PendingCheck, Outcome]] = [
        (check, run_check(check.check, root, latest_reading)) for check in _progress(pending)
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
            with store.update(document.id) as fresh:
                record_passes(fresh, store.framework_of(fresh), passed, clock.now())
    return [store.load(document.id) for document in documents], failures
