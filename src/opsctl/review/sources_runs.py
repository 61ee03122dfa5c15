"""Readings from opsctl's own runs: on-time completion, phase cycle time, gates, waivers.

Each figure counts the events of the month (UTC) in the runs' histories,
optionally of one framework's runs only:

- on-time completion: runs completed in the month on or before their due
  date / runs completed in the month that have a due date x 100;
- phase cycle time: the median, over the phases left in the month, of the
  days from entering the phase (the run's start, or the previous advance)
  to leaving it;
- first-pass gate rate: gates passed in the month with no refused advance
  of the same phase before / gates passed in the month x 100;
- waiver rate: items waived (skipped) in the month / items completed or
  waived in the month x 100.

Each run counted is named in the provenance with the hash of its last event
up to the month's end: the history is a hash chain, so that pins every
event the figure was computed from, and later work does not change it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from opsctl.definitions.metric import RunsMeasure, RunsSource
from opsctl.review.periods import Period
from opsctl.review.sources import Collected, NoData, make_provenance, median, percent, rounded
from opsctl.store.documents import Event, RunDocument
from opsctl.store.metrics import SourceInput

DAY = 86_400
Counted = tuple[list[bool], list[RunDocument]]
"""For each counted event, whether it is the kind the rate counts; and the runs they are in."""


def _events(document: RunDocument, period: Period) -> Iterator[Event]:
    return (event for event in document.history if period.contains(event.at))


def _pin(document: RunDocument, period: Period) -> SourceInput:
    end = dt.datetime.combine(period.end, dt.time(), tzinfo=dt.timezone.utc)
    hashes = [event.hash for event in document.history if event.at < end]
    return SourceInput(name=document.id, digest=hashes[-1] if hashes else "")


def _on_time(documents: list[RunDocument], period: Period) -> Counted:
    counted = [
        doc
        for doc in documents
        if doc.completed is not None and period.contains(doc.completed) and doc.due is not None
    ]
    return [
        doc.completed.date() <= doc.due for doc in counted if doc.completed and doc.due
    ], counted


def _cycle_times(
    documents: list[RunDocument], period: Period
) -> tuple[list[float], list[RunDocument]]:
    days: list[float] = []
    counted = []
    for document in documents:
        entered = document.created
        found = False
        for event in document.history:
            if event.action != "advance":
                continue
            if period.contains(event.at):
                days.append((event.at - entered).total_seconds() / DAY)
                found = True
            entered = event.at
        if found:
            counted.append(document)
    return days, counted


def _first_passes(
    documents: list[RunDocument], period: Period
) -> tuple[list[bool], list[RunDocument]]:
    passes: list[bool] = []
    counted = []
    for document in documents:
        refused: set[str | None] = set()
        before = len(passes)
        for event in document.history:
            if event.action == "advance-refused":
                refused.add(event.phase)
            elif event.action == "advance" and period.contains(event.at):
                passes.append(event.phase not in refused)
        if len(passes) > before:
            counted.append(document)
    return passes, counted


def _waivers(documents: list[RunDocument], period: Period) -> Counted:
    waived: list[bool] = []
    counted = []
    for document in documents:
        found = [
            e.action == "skipped"
            for e in _events(document, period)
            if e.action in ("done", "skipped")
        ]
        if found:
            waived += found
            counted.append(document)
    return waived, counted


_WHAT = {
    RunsMeasure.ON_TIME_COMPLETION: "runs with a due date completed",
    RunsMeasure.PHASE_CYCLE_TIME: "phases left",
    RunsMeasure.FIRST_PASS_GATE_RATE: "gates passed",
    RunsMeasure.WAIVER_RATE: "items completed or waived",
}


def collect_runs(source: RunsSource, documents: list[RunDocument], period: Period) -> Collected:
    """One figure of the runs (of one framework, if the source names it) for one month."""
    runs = [d for d in documents if source.framework in (None, d.framework.id)]
    measure = source.measure
    counts: list[bool] = []
    if measure is RunsMeasure.PHASE_CYCLE_TIME:
        days, counted = _cycle_times(runs, period)
        value = rounded(median(days)) if days else None
        size = len(days)
    else:
        pick = {
            RunsMeasure.ON_TIME_COMPLETION: _on_time,
            RunsMeasure.FIRST_PASS_GATE_RATE: _first_passes,
            RunsMeasure.WAIVER_RATE: _waivers,
        }[measure]
        counts, counted = pick(runs, period)
        value = percent(sum(counts), len(counts)) if counts else None
        size = len(counts)
    scope = f" of '{source.framework}'" if source.framework else ""
    if value is None:
        raise NoData(f"no {_WHAT[measure]} in {period.label} (runs{scope})")
    parameters = source.model_dump(mode="json", exclude={"kind"})
    inputs = [_pin(document, period) for document in sorted(counted, key=lambda d: d.id)]
    provenance = make_provenance("runs", parameters, value, inputs=inputs)
    detail = (
        f"{size} {_WHAT[measure]} in {len(counted)} run{'s' if len(counted) != 1 else ''}{scope}"
    )
    return Collected(value, provenance, detail)
