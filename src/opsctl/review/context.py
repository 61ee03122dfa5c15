"""The one context object a review report renders, built apart from any template.

Everything is derived from the workspace's stored runs and KPI readings and
the period: no clock is read, so the same workspace and period always give
the same context (and so byte-identical reports).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from opsctl.definitions.config import Person
from opsctl.definitions.model import Framework, Metric
from opsctl.review.advice import Recommendation, recommendations, roster_of
from opsctl.review.attention import OverdueRun, SignOffLine, WaiverLine
from opsctl.review.figures import CHANGE_LEGEND, percent
from opsctl.review.insights import Stall, most_waived, stalls
from opsctl.review.kpi import KpiLine, KpiStatus, kpi_line
from opsctl.review.parts import (
    GateLine,
    ItemLine,
    RunLine,
    RunPart,
    Window,
    report_window,
    run_part,
)
from opsctl.review.periods import Period
from opsctl.review.since import CycleLine, SinceLastReview, review_cycle
from opsctl.store.documents import RunDocument
from opsctl.store.metrics import MetricsDocument
from opsctl.store.reviews import ReviewsDocument


@dataclass(frozen=True)
class FrameworkProgress:
    """Required items complete across the runs of one framework."""

    framework: str
    title: str
    runs: int
    complete: int
    total: int
    percent: float


@dataclass(frozen=True)
class ReportInputs:
    """What a report reads besides runs and KPIs: the roster, approving roles, reviews held."""

    people: tuple[Person, ...] = ()
    owners: dict[str, str] = field(default_factory=dict)
    reviews: ReviewsDocument = field(default_factory=ReviewsDocument)
    cadences: tuple[str, ...] = ("monthly", "quarterly")
    today: dt.date | None = None
    """The day the report is made: a period not yet over is judged as of this day
    (overdue means due before it), not as of its end; None judges as of the end."""


@dataclass
class ReportContext:
    """Everything a monthly or quarterly report says."""

    kind: str
    period: Period
    team: str
    runs_started: list[RunLine] = field(default_factory=list)
    runs_completed: list[RunLine] = field(default_factory=list)
    runs_active: list[RunLine] = field(default_factory=list)
    progress_by_framework: list[FrameworkProgress] = field(default_factory=list)
    overdue: list[ItemLine] = field(default_factory=list)
    overdue_runs: list[OverdueRun] = field(default_factory=list)
    blocked: list[ItemLine] = field(default_factory=list)
    gates: list[GateLine] = field(default_factory=list)
    sign_offs: list[SignOffLine] = field(default_factory=list)
    waivers_granted: list[WaiverLine] = field(default_factory=list)
    waivers_expiring: list[ItemLine] = field(default_factory=list)
    kpis: list[KpiLine] = field(default_factory=list)
    measures: list[KpiLine] = field(default_factory=list)
    values: list[KpiLine] = field(default_factory=list)
    checklist: list[ItemLine] = field(default_factory=list)
    checklist_run: str = ""
    stalls: list[Stall] = field(default_factory=list)
    most_waived: list[tuple[str, int]] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)
    cycle: list[CycleLine] = field(default_factory=list)
    since: SinceLastReview | None = None
    change_legend: str = CHANGE_LEGEND
    summary: dict[str, int] = field(default_factory=dict)
    generated_at: str = ""


def _framework_progress(parts: list[RunPart]) -> list[FrameworkProgress]:
    """Required items complete across the active runs of each framework."""
    by_framework: dict[str, list[RunLine]] = {}
    titles: dict[str, str] = {}
    for part in parts:
        if part.line is None:
            continue
        titles[part.framework] = part.framework_title  # the last run's, as in id order
        if part.active:
            by_framework.setdefault(part.framework, []).append(part.line)
    found = []
    for framework_id in sorted(by_framework):
        lines = by_framework[framework_id]
        complete = sum(line.complete for line in lines)
        total = sum(line.total for line in lines)
        shares = (len(lines), complete, total, percent(complete, total))
        found.append(FrameworkProgress(framework_id, titles[framework_id], *shares))
    return found


def _runs(context: ReportContext, parts: list[RunPart]) -> None:
    """Runs started, completed and active, their progress, attention items, gates and sign-offs."""
    for part in parts:
        if part.line is None:
            continue
        if part.started:
            context.runs_started.append(part.line)
        if part.completed:
            context.runs_completed.append(part.line)
        if part.active:
            context.runs_active.append(part.line)
            context.overdue += part.overdue
            context.blocked += part.blocked
            context.overdue_runs += [part.overdue_run] if part.overdue_run else []
        context.gates += part.gates
        context.sign_offs += part.sign_offs
        context.waivers_granted += part.waivers_granted
        context.waivers_expiring += part.waivers_expiring
    context.progress_by_framework = _framework_progress(parts)
    checklists = [part for part in parts if part.checklist is not None]
    if checklists:
        latest = max(checklists, key=lambda part: (part.created, part.run))
        context.checklist, context.checklist_run = latest.checklist or [], latest.run


def summary(context: ReportContext) -> dict[str, int]:
    """The headline figures of a report, each a count the JSON and every format share."""
    outcomes = [gate.outcome for gate in context.gates]
    return {
        "runs_started": len(context.runs_started),
        "runs_completed": len(context.runs_completed),
        "runs_active": len(context.runs_active),
        "gates_passed": outcomes.count("passed"),
        "gates_refused": outcomes.count("refused"),
        "sign_offs_given": sum(
            context.period.contains(dt.date.fromisoformat(line.date)) for line in context.sign_offs
        ),
        "sign_offs_voided": sum(line.state == "voided" for line in context.sign_offs),
        "blocked_items": len(context.blocked),
        "runs_overdue": len(context.overdue_runs),
        "overdue_open_items": sum(run.open_items for run in context.overdue_runs),
        "waivers_granted": len(context.waivers_granted),
        "waivers_expiring": len(context.waivers_expiring),
        "kpis": len(context.kpis),
        "kpis_on_track": sum(kpi.status == KpiStatus.ON_TRACK.value for kpi in context.kpis),
        "recommendations": len(context.recommendations),
    }


def build_context(
    kind: str,
    period: Period,
    team: str,
    runs: Iterable[tuple[RunDocument, Framework]],
    metrics: list[tuple[Metric, str]],
    readings: MetricsDocument,
    inputs: ReportInputs | None = None,
) -> ReportContext:
    """Assemble the report context for one period from runs, KPI definitions and readings.

    Each run is reduced to its part (:func:`run_part`) as it comes, so a
    generator of runs is never held whole. ``inputs`` brings the roster
    (recommendations name people), the roles approving each framework and
    the reviews held (the review cycle's status).
    """
    inputs = inputs or ReportInputs()
    window = report_window(period, inputs.today)
    parts = [run_part(document, framework, window) for document, framework in runs]
    return context_of_parts(kind, team, window, parts, metrics, readings, inputs)


def context_of_parts(
    kind: str,
    team: str,
    window: Window,
    parts: Iterable[RunPart],
    metrics: list[tuple[Metric, str]],
    readings: MetricsDocument,
    inputs: ReportInputs,
) -> ReportContext:
    """Add the runs' parts for ``window`` up into the report context, with KPIs and the cycle."""
    period = window.period
    context = ReportContext(kind=kind, period=period, team=team)
    counted = sorted((part for part in parts if part.counted), key=lambda part: part.run)
    _runs(context, counted)
    judged = [
        kpi_line(metric, framework, readings.metrics.get(metric.id), period)
        for metric, framework in sorted(metrics, key=lambda pair: pair[0].id)
    ]
    context.kpis = [kpi for kpi in judged if kpi.category == "kpi"]
    context.measures = [kpi for kpi in judged if kpi.category == "measure"]
    context.values = [kpi for kpi in judged if kpi.category == "value"]
    context.stalls = stalls((part.framework, *days) for part in counted for days in part.phase_days)
    context.most_waived = most_waived(key for part in counted for key in part.waived)
    open_runs = [(part.framework, part.run, part.phase) for part in counted if part.active]
    starters = {part.run: part.starter for part in counted if part.starter}
    quarterly = kind == "quarterly"
    context.recommendations = recommendations(
        context.kpis,
        context.overdue_runs,
        context.blocked,
        context.sign_offs,
        roster_of(open_runs, starters, inputs.people, inputs.owners),
        context.stalls if quarterly else (),
        context.most_waived if quarterly else (),
    )
    context.cycle, context.since = review_cycle(
        kind, period, counted, readings, inputs.reviews, inputs.cadences
    )
    context.summary = summary(context)
    return context


__all__ = [
    "GateLine",
    "ItemLine",
    "KpiLine",
    "KpiStatus",
    "ReportContext",
    "RunLine",
    "build_context",
    "context_of_parts",
]
