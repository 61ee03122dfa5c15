"""The one context object a review report renders, built apart from any template.

Everything is derived from the workspace's stored runs and KPI readings and
the period: no clock is read, so the same workspace and period always give
the same context (and so byte-identical reports).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from opsctl.definitions.model import Framework, Metric
from opsctl.engine.applicability import applies
from opsctl.engine.runs import item_complete, item_key, progress, state_of
from opsctl.engine.transitions import replay
from opsctl.review.insights import Recommendation, Stall, most_waived, recommendations, stalls
from opsctl.review.kpi import KpiLine, KpiStatus, kpi_line
from opsctl.review.periods import Period
from opsctl.store.documents import ItemStatus, RunDocument, RunStatus
from opsctl.store.metrics import MetricsDocument

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
    percent: int
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
    percent: int


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
    blocked: list[ItemLine] = field(default_factory=list)
    gates: list[GateLine] = field(default_factory=list)
    approvals: list[GateLine] = field(default_factory=list)
    waivers_granted: list[ItemLine] = field(default_factory=list)
    waivers_expiring: list[ItemLine] = field(default_factory=list)
    kpis: list[KpiLine] = field(default_factory=list)
    measures: list[KpiLine] = field(default_factory=list)
    values: list[KpiLine] = field(default_factory=list)
    checklist: list[ItemLine] = field(default_factory=list)
    checklist_run: str = ""
    stalls: list[Stall] = field(default_factory=list)
    most_waived: list[tuple[str, int]] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)
    generated_at: str = ""


def _day(moment: dt.datetime | dt.date | None) -> str:
    if moment is None:
        return ""
    return (moment.date() if isinstance(moment, dt.datetime) else moment).isoformat()


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
        percent=round(complete * 100 / total) if total else 100,
        due=_day(document.due),
        overdue=bool(document.due and document.due <= as_of and phase is not None),
        started=_day(document.created),
        completed=_day(document.completed),
    )


def _attention(
    document: RunDocument, framework: Framework, period: Period
) -> tuple[list[ItemLine], list[ItemLine]]:
    overdue, blocked = [], []
    late = document.due is not None and document.due < period.end and document.phase is not None
    for phase, item in framework.iter_items():
        state = state_of(document, phase, item)
        key = item_key(phase, item)
        if state is not None and state.status is ItemStatus.BLOCKED:
            blocked.append(
                ItemLine(document.id, key, item.title, item.owner, state.reason or "", state.by)
            )
        due = late and item.required and applies(document, phase, item)
        if due and not item_complete(state, period.end)[0]:
            detail = f"due {_day(document.due)}"
            overdue.append(ItemLine(document.id, key, item.title, item.owner, detail))
    return overdue, blocked


_GATE_OUTCOMES = {
    "advance": ("passed", "to"),
    "advance-refused": ("refused", "missing"),
    "approve": ("", "comment"),
    "void-approval": ("voided", "reason"),
}


def _events(document: RunDocument, period: Period) -> tuple[list[GateLine], list[GateLine]]:
    gates: list[GateLine] = []
    approvals: list[GateLine] = []
    for event in document.history:
        shape = _GATE_OUTCOMES.get(event.action)
        if shape is None or not period.contains(event.at):
            continue
        outcome, detail_key = shape
        detail = event.detail.get(detail_key, "")
        if event.action == "advance":
            detail = f"to {detail}"
        line = GateLine(
            document.id,
            event.phase or "",
            _day(event.at),
            event.actor,
            outcome or event.detail.get("role", ""),
            detail,
        )
        (gates if event.action.startswith("advance") else approvals).append(line)
    return gates, approvals


def _waivers(
    document: RunDocument, framework: Framework, period: Period
) -> tuple[list[ItemLine], list[ItemLine]]:
    granted, expiring = [], []
    horizon = period.end + dt.timedelta(days=EXPIRING_WITHIN_DAYS)
    for phase, item in framework.iter_items():
        state = state_of(document, phase, item)
        if state is None or state.status is not ItemStatus.SKIPPED:
            continue
        key = item_key(phase, item)
        line = ItemLine(
            document.id, key, item.title, item.owner, state.reason or "", state.by, _day(state.at)
        )
        if period.contains(state.at):
            granted.append(line)
        if state.expires is not None and period.start <= state.expires < horizon:
            expiring.append(
                ItemLine(
                    document.id,
                    key,
                    item.title,
                    item.owner,
                    state.reason or "",
                    state.by,
                    state.expires.isoformat(),
                )
            )
    return granted, expiring


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


def build_context(
    kind: str,
    period: Period,
    team: str,
    runs: list[tuple[RunDocument, Framework]],
    metrics: list[tuple[Metric, str]],
    readings: MetricsDocument,
) -> ReportContext:
    """Assemble the report context for one period from runs, KPI definitions and readings."""
    context = ReportContext(kind=kind, period=period, team=team)
    end = dt.datetime.combine(period.end, dt.time(), tzinfo=dt.timezone.utc)
    runs = [
        (state_at(document, framework, end), framework)
        for document, framework in runs
        if document.created < end
    ]
    last_day = period.end - dt.timedelta(days=1)
    by_framework: dict[str, list[RunLine]] = {}
    titles: dict[str, str] = {}
    for document, framework in sorted(runs, key=lambda pair: pair[0].id):
        if document.created.date() >= period.end:
            continue
        line = run_line(document, framework, last_day)
        titles[framework.id] = framework.title
        if period.contains(document.created):
            context.runs_started.append(line)
        if document.completed is not None and period.contains(document.completed):
            context.runs_completed.append(line)
        still_open = document.status is RunStatus.ACTIVE or (
            document.completed is not None and document.completed.date() >= period.end
        )
        if still_open:
            context.runs_active.append(line)
            by_framework.setdefault(framework.id, []).append(line)
            overdue, blocked = _attention(document, framework, period)
            context.overdue += overdue
            context.blocked += blocked
        gates, approvals = _events(document, period)
        context.gates += gates
        context.approvals += approvals
        granted, expiring = _waivers(document, framework, period)
        context.waivers_granted += granted
        context.waivers_expiring += expiring
    for framework_id in sorted(by_framework):
        lines = by_framework[framework_id]
        complete = sum(line.complete for line in lines)
        total = sum(line.total for line in lines)
        context.progress_by_framework.append(
            FrameworkProgress(
                framework_id,
                titles[framework_id],
                len(lines),
                complete,
                total,
                round(complete * 100 / total) if total else 100,
            )
        )
    judged = [
        kpi_line(metric, framework, readings.metrics.get(metric.id), period)
        for metric, framework in sorted(metrics, key=lambda pair: pair[0].id)
    ]
    context.kpis = [kpi for kpi in judged if kpi.category == "kpi"]
    context.measures = [kpi for kpi in judged if kpi.category == "measure"]
    context.values = [kpi for kpi in judged if kpi.category == "value"]
    context.checklist, context.checklist_run = _checklist(runs, last_day)
    context.stalls = stalls(runs, end)
    context.most_waived = most_waived(runs)
    context.recommendations = recommendations(
        context.kpis, context.stalls, context.most_waived, context.overdue, context.blocked
    )
    return context


__all__ = ["KpiLine", "KpiStatus", "ReportContext", "build_context"]
