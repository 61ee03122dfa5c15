"""The one context object a review report renders, built apart from any template.

Everything is derived from the workspace's stored runs and KPI readings and
the period: no clock is read, so the same workspace and period always give
the same context (and so byte-identical reports).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from opsctl.definitions.config import Person
from opsctl.definitions.model import Framework, Metric
from opsctl.engine.applicability import applies
from opsctl.engine.runs import item_complete, item_key, progress, state_of
from opsctl.engine.transitions import replay
from opsctl.review.advice import Recommendation, recommendations, roster_of
from opsctl.review.attention import (
    OverdueRun,
    SignOffLine,
    WaiverLine,
    day,
    latest_comment,
    overdue_run,
    sign_offs,
    waivers_granted,
)
from opsctl.review.figures import CHANGE_LEGEND, percent
from opsctl.review.insights import Stall, most_waived, stalls
from opsctl.review.kpi import KpiLine, KpiStatus, kpi_line
from opsctl.review.periods import Period
from opsctl.review.since import CycleLine, SinceLastReview, review_cycle
from opsctl.store.documents import ItemStatus, RunDocument, RunStatus
from opsctl.store.metrics import MetricsDocument
from opsctl.store.reviews import ReviewsDocument

PROGRAM_CHECKLIST = ("operations-success", "success-validation")
"""The framework and phase that hold the program's success checklist."""
EXPIRING_WITHIN_DAYS = 30


@dataclass(frozen=True)
class RunLine:
    """A run as a report shows it."""

    id: str
    title: str
    framework: str
    status: str
    phase: str
    phase_number: int
    phases: int
    complete: int
    total: int
    percent: float
    due: str
    overdue: bool
    started: str
    completed: str


@dataclass(frozen=True)
class ItemLine:
    """An item needing attention: overdue, blocked or waived."""

    run: str
    key: str
    title: str
    owner: str
    detail: str
    by: str = ""
    date: str = ""
    comment: str = ""
    """The last comment on the item as the run stood (``opsctl comment``), with who and when."""


@dataclass(frozen=True)
class GateLine:
    """A gate passed or refused, or a sign-off given, in the period."""

    run: str
    phase: str
    date: str
    actor: str
    outcome: str
    detail: str


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


def run_line(document: RunDocument, framework: Framework, as_of: dt.date) -> RunLine:
    """A run's progress as a report line."""
    complete, total = progress(document, framework, as_of)
    phase = framework.phase(document.phase) if document.phase else None
    return RunLine(
        id=document.id,
        title=document.title,
        framework=framework.id,
        status=document.status.value,
        phase=phase.title if phase else "completed",
        phase_number=framework.phases.index(phase) + 1 if phase else len(framework.phases),
        phases=len(framework.phases),
        complete=complete,
        total=total,
        percent=percent(complete, total),
        due=day(document.due),
        overdue=bool(document.due and document.due <= as_of and phase is not None),
        started=day(document.created),
        completed=day(document.completed),
    )


def _attention(
    document: RunDocument, framework: Framework, cutoff: dt.date
) -> tuple[list[ItemLine], list[ItemLine]]:
    overdue, blocked = [], []
    late = document.due is not None and document.due < cutoff and document.phase is not None
    for phase, item in framework.iter_items():
        state = state_of(document, phase, item)
        key = item_key(phase, item)
        if state is not None and state.status is ItemStatus.BLOCKED:
            reason = state.reason or ""
            blocked.append(
                ItemLine(
                    document.id,
                    key,
                    item.title,
                    item.owner,
                    reason,
                    state.by,
                    comment=latest_comment(document, key),
                )
            )
        due = late and item.required and applies(document, phase, item)
        if due and not item_complete(state, cutoff)[0]:
            detail = f"due {day(document.due)}"
            overdue.append(ItemLine(document.id, key, item.title, item.owner, detail))
    return overdue, blocked


def _gates(document: RunDocument, period: Period) -> list[GateLine]:
    """Gates passed (``advance``) and refused within the period."""
    gates: list[GateLine] = []
    for event in document.history:
        if event.action not in ("advance", "advance-refused") or not period.contains(event.at):
            continue
        passed = event.action == "advance"
        detail = f"to {event.detail.get('to', '')}" if passed else event.detail.get("missing", "")
        outcome = "passed" if passed else "refused"
        line = GateLine(document.id, event.phase or "", day(event.at), event.actor, outcome, detail)
        gates.append(line)
    return gates


def _expiring(document: RunDocument, framework: Framework, period: Period) -> list[ItemLine]:
    """Waivers standing at the period's end that lapse within 30 days of it."""
    expiring = []
    horizon = period.end + dt.timedelta(days=EXPIRING_WITHIN_DAYS)
    for phase, item in framework.iter_items():
        state = state_of(document, phase, item)
        if state is None or state.status is not ItemStatus.SKIPPED or state.expires is None:
            continue
        if period.start <= state.expires < horizon:
            expiring.append(
                ItemLine(
                    document.id,
                    item_key(phase, item),
                    item.title,
                    item.owner,
                    state.reason or "",
                    state.by,
                    state.expires.isoformat(),
                )
            )
    return expiring


def _checklist(
    runs: list[tuple[RunDocument, Framework]], as_of: dt.date
) -> tuple[list[ItemLine], str]:
    framework_id, phase_id = PROGRAM_CHECKLIST
    candidates = [(doc, fw) for doc, fw in runs if fw.id == framework_id]
    if not candidates:
        return [], ""
    document, framework = max(candidates, key=lambda pair: (pair[0].created, pair[0].id))
    phase = framework.phase(phase_id)
    if phase is None:
        return [], document.id
    lines = []
    for item in phase.items:
        state = state_of(document, phase, item)
        complete, why = item_complete(state, as_of)
        status = state.status.value if complete and state else why
        lines.append(ItemLine(document.id, item_key(phase, item), item.title, item.owner, status))
    return lines, document.id


def state_at(document: RunDocument, framework: Framework, until: dt.datetime) -> RunDocument:
    """A run as it stood at a moment, replayed from its history.

    Reports of past periods show the state at the period's end, so work done
    later never rewrites a report already committed.
    """
    if not document.history or document.history[-1].at < until:
        return document
    state = replay(document, until, framework.phases[0].id)
    return state.model_copy(
        update={"history": [event for event in document.history if event.at < until]}
    )


def _framework_progress(
    by_framework: dict[str, list[RunLine]], titles: dict[str, str]
) -> list[FrameworkProgress]:
    found = []
    for framework_id in sorted(by_framework):
        lines = by_framework[framework_id]
        complete = sum(line.complete for line in lines)
        total = sum(line.total for line in lines)
        title = titles[framework_id]
        shares = (len(lines), complete, total, percent(complete, total))
        found.append(FrameworkProgress(framework_id, title, *shares))
    return found


def _runs(
    context: ReportContext, runs: list[tuple[RunDocument, Framework]], cutoff: dt.date
) -> None:
    """Runs started, completed and active, their progress, attention items, gates and sign-offs.

    Lateness is judged as of ``cutoff`` (exclusive): the period's end, or
    today for a period not yet over.
    """
    period = context.period
    last_day = cutoff - dt.timedelta(days=1)
    start = dt.datetime.combine(period.start, dt.time(), tzinfo=dt.timezone.utc)
    end = dt.datetime.combine(period.end, dt.time(), tzinfo=dt.timezone.utc)
    by_framework: dict[str, list[RunLine]] = {}
    titles: dict[str, str] = {}
    for document, framework in sorted(runs, key=lambda pair: pair[0].id):
        line = run_line(document, framework, last_day)
        titles[framework.id] = framework.title
        if period.contains(document.created):
            context.runs_started.append(line)
        if document.completed is not None and period.contains(document.completed):
            context.runs_completed.append(line)
        if document.status is RunStatus.ACTIVE:
            context.runs_active.append(line)
            by_framework.setdefault(framework.id, []).append(line)
            overdue, blocked = _attention(document, framework, cutoff)
            context.overdue += overdue
            context.blocked += blocked
            late = overdue_run(document, [(i.key, i.owner) for i in overdue], cutoff)
            context.overdue_runs += [late] if late else []
        context.gates += _gates(document, period)
        context.sign_offs += sign_offs(document, period)
        context.waivers_granted += waivers_granted(document, framework, start, end)
        context.waivers_expiring += _expiring(document, framework, period)
    context.progress_by_framework = _framework_progress(by_framework, titles)


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
    runs: list[tuple[RunDocument, Framework]],
    metrics: list[tuple[Metric, str]],
    readings: MetricsDocument,
    inputs: ReportInputs | None = None,
) -> ReportContext:
    """Assemble the report context for one period from runs, KPI definitions and readings.

    ``inputs`` brings the roster (recommendations name people), the roles
    approving each framework and the reviews held (the review cycle's status).
    """
    inputs = inputs or ReportInputs()
    context = ReportContext(kind=kind, period=period, team=team)
    end = dt.datetime.combine(period.end, dt.time(), tzinfo=dt.timezone.utc)
    runs = [
        (state_at(document, framework, end), framework)
        for document, framework in runs
        if document.created < end
    ]
    cutoff = period.end if inputs.today is None else min(period.end, inputs.today)
    _runs(context, runs, cutoff)
    judged = [
        kpi_line(metric, framework, readings.metrics.get(metric.id), period)
        for metric, framework in sorted(metrics, key=lambda pair: pair[0].id)
    ]
    context.kpis = [kpi for kpi in judged if kpi.category == "kpi"]
    context.measures = [kpi for kpi in judged if kpi.category == "measure"]
    context.values = [kpi for kpi in judged if kpi.category == "value"]
    context.checklist, context.checklist_run = _checklist(runs, period.end - dt.timedelta(days=1))
    context.stalls = stalls(runs, end)
    context.most_waived = most_waived(runs)
    quarterly = kind == "quarterly"
    context.recommendations = recommendations(
        context.kpis,
        context.overdue_runs,
        context.blocked,
        context.sign_offs,
        roster_of(runs, inputs.people, inputs.owners),
        context.stalls if quarterly else (),
        context.most_waived if quarterly else (),
    )
    context.cycle, context.since = review_cycle(
        kind, period, runs, readings, inputs.reviews, inputs.cadences
    )
    context.summary = summary(context)
    return context


__all__ = ["KpiLine", "KpiStatus", "ReportContext", "build_context"]
