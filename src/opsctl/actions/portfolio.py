"""``opsctl portfolio``: where every team of an organisation stands, and its review report.

Each team's figures come from the functions that make that team's own
outputs (``opsctl runs``, ``status``, ``metric list`` and the report
context), applied to its workspace: the roll-up cannot disagree with a
team's JSON. A source that cannot be read is listed with its reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from opsctl.actions.portfolio_sources import Advance, Read, Selection, read_sources
from opsctl.actions.results import Result, View
from opsctl.actions.session import Session
from opsctl.review.context import ReportContext
from opsctl.review.kpi import KpiStatus
from opsctl.review.periods import Period


def percent(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent, one decimal, rounded half up (None when ``whole`` is 0)."""
    if whole == 0:
        return None
    exact = Decimal(part * 100) / Decimal(whole)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


class KpiCounts(View):
    """KPIs by status; attainment is the share on track of those with data."""

    on_track: int = 0
    at_risk: int = 0
    off_track: int = 0
    no_data: int = 0
    attainment_pct: float | None = None


def kpi_counts(statuses: Iterable[str]) -> KpiCounts:
    """Count KPI statuses (``on track``, ``at risk``, ``off track``, ``no data``)."""
    listed = list(statuses)
    counts = {status: listed.count(status.value) for status in KpiStatus}
    judged = len(listed) - counts[KpiStatus.NO_DATA]
    return KpiCounts(
        on_track=counts[KpiStatus.ON_TRACK],
        at_risk=counts[KpiStatus.AT_RISK],
        off_track=counts[KpiStatus.OFF_TRACK],
        no_data=counts[KpiStatus.NO_DATA],
        attainment_pct=percent(counts[KpiStatus.ON_TRACK], judged),
    )


def _sum_counts(all_counts: Iterable[KpiCounts]) -> KpiCounts:
    listed = list(all_counts)
    on_track = sum(c.on_track for c in listed)
    judged = on_track + sum(c.at_risk + c.off_track for c in listed)
    return KpiCounts(
        on_track=on_track,
        at_risk=sum(c.at_risk for c in listed),
        off_track=sum(c.off_track for c in listed),
        no_data=sum(c.no_data for c in listed),
        attainment_pct=percent(on_track, judged),
    )


# --- opsctl portfolio status ---------------------------------------------------------------


class TeamFigures(View):
    """One team today: runs by state, overdue runs, sign-offs waited for, KPIs by status."""

    runs_active: int
    runs_completed: int
    runs_overdue: int
    waiting_signoffs: int
    kpis: KpiCounts


class TeamStatus(View):
    """A source of the portfolio: its team's figures, or why it could not be read."""

    team: str
    source: str
    commit: str
    reason: str
    figures: TeamFigures | None


class PortfolioStatus(Result):
    """``opsctl portfolio status``: one entry per source, in the order given, and the totals."""

    KIND: ClassVar[str] = "portfolio-status"

    organisation: str
    teams: list[TeamStatus]
    overall: TeamFigures

    @property
    def unreadable(self) -> list[TeamStatus]:
        """The sources that could not be reached or read."""
        return [team for team in self.teams if team.figures is None]


def team_figures(session: Session) -> TeamFigures:
    """A team's figures, from the same functions as its ``runs``, ``status`` and ``metric list``."""
    from opsctl.actions.listing import list_runs
    from opsctl.actions.metrics import list_metrics
    from opsctl.actions.views import run_status

    runs = list_runs(session).runs
    active = [run for run in runs if run.status == "active"]
    waiting = 0
    for run in active:
        phases = run_status(session, run.id).phases
        waiting += sum(
            signoff.state == "waiting"
            for phase in phases
            if phase.current
            for signoff in phase.signoffs
        )
    return TeamFigures(
        runs_active=len(active),
        runs_completed=sum(run.status == "completed" for run in runs),
        runs_overdue=sum(run.overdue for run in runs),
        waiting_signoffs=waiting,
        kpis=kpi_counts(kpi.status for kpi in list_metrics(session).metrics),
    )


def portfolio_status(selection: Selection, advance: Advance | None = None) -> PortfolioStatus:
    """Every source's team figures, and the organisation's totals."""
    reads = read_sources(selection, lambda session, _team: team_figures(session), advance)
    teams = [
        TeamStatus(
            team=r.team, source=r.source, commit=r.commit, reason=r.reason, figures=r.figures
        )
        for r in reads
    ]
    read = [team.figures for team in teams if team.figures is not None]
    overall = TeamFigures(
        runs_active=sum(f.runs_active for f in read),
        runs_completed=sum(f.runs_completed for f in read),
        runs_overdue=sum(f.runs_overdue for f in read),
        waiting_signoffs=sum(f.waiting_signoffs for f in read),
        kpis=_sum_counts(f.kpis for f in read),
    )
    return PortfolioStatus(organisation=selection.organisation, teams=teams, overall=overall)


# --- opsctl portfolio report ---------------------------------------------------------------


class TeamKpi(View):
    """One KPI of a team as of the period's end."""

    id: str
    title: str
    unit: str
    status: str
    latest: float | None
    goal: float | None
    progress_pct: float | None


class Attention(View):
    """A run that needs attention: overdue (open items summarised) or blocked on an item."""

    team: str
    run: str
    why: str
    owners: list[str]


class TeamReview(View):
    """A team's figures for the period, and the link to its own report (when written)."""

    team: str
    source: str
    commit: str
    reason: str
    report: str
    runs_started: int = 0
    runs_completed: int = 0
    runs_active: int = 0
    runs_overdue: int = 0
    items_blocked: int = 0
    waivers_granted: int = 0
    gates_passed: int = 0
    gates_refused: int = 0
    kpis: list[TeamKpi] = Field(default_factory=list)
    kpi_counts: KpiCounts = Field(default_factory=KpiCounts)


class KpiRollup(View):
    """One KPI across the teams that track it."""

    id: str
    title: str
    unit: str
    teams: int
    counts: KpiCounts


class PortfolioReport(Result):
    """``opsctl portfolio report``: KPIs per team and overall, runs needing attention, links."""

    KIND: ClassVar[str] = "portfolio-report"

    organisation: str
    cadence: str
    period: str
    generated_at: str
    teams: list[TeamReview]
    kpis: list[KpiRollup]
    overall: KpiCounts
    attention: list[Attention]


def _late_runs(context: ReportContext) -> dict[str, tuple[str, list[str]]]:
    """The team report's overdue runs, each with its due date and its open items' owners."""
    owners: dict[str, list[str]] = {}
    for item in context.overdue:
        owners.setdefault(item.run, []).append(item.owner)
    return {late.run: (late.due, owners.get(late.run, [])) for late in context.overdue_runs}


def _attention(team: str, context: ReportContext) -> list[Attention]:
    lines: list[Attention] = []
    for run_id, (due, owners) in _late_runs(context).items():
        why = f"overdue (due {due}): {len(owners)} required item{'s' * (len(owners) != 1)} open"
        lines.append(Attention(team=team, run=run_id, why=why, owners=sorted(set(owners))))
    for item in context.blocked:
        why = f"blocked: {item.key}" + (f" ({item.detail})" if item.detail else "")
        lines.append(Attention(team=team, run=item.run, why=why, owners=[item.owner]))
    return lines


SUMMARY_FIELDS = {
    "runs_started": "runs_started",
    "runs_completed": "runs_completed",
    "runs_active": "runs_active",
    "runs_overdue": "runs_overdue",
    "items_blocked": "blocked_items",
    "waivers_granted": "waivers_granted",
    "gates_passed": "gates_passed",
    "gates_refused": "gates_refused",
}
"""A team's review figures, by name here and by name in its report's ``summary``."""


def _team_review(context: ReportContext) -> dict[str, object]:
    """A team's figures, taken from its own report's summary so the two cannot disagree."""
    kpis = [
        TeamKpi(
            id=k.id,
            title=k.title,
            unit=k.unit,
            status=k.status,
            latest=k.latest,
            goal=k.goal,
            progress_pct=k.progress,
        )
        for k in context.kpis
    ]
    return {
        **{name: context.summary[key] for name, key in SUMMARY_FIELDS.items()},
        "kpis": kpis,
        "kpi_counts": kpi_counts(k.status for k in kpis),
    }


def _rollup(teams: list[TeamReview]) -> list[KpiRollup]:
    found: dict[str, list[TeamKpi]] = {}
    for team in teams:
        for kpi in team.kpis:
            found.setdefault(kpi.id, []).append(kpi)
    return [
        KpiRollup(
            id=kpi_id,
            title=found[kpi_id][0].title,
            unit=found[kpi_id][0].unit,
            teams=len(found[kpi_id]),
            counts=kpi_counts(k.status for k in found[kpi_id]),
        )
        for kpi_id in sorted(found)
    ]


def _write_team_reports(
    reads: list[Read[tuple[ReportContext, str]]],
    output: Path | None,
    label: str,
    team_format: str,
) -> dict[str, str]:
    """Write each team's rendered report under ``output``; the relative link of each, by team."""
    from opsctl.store.files import write_output

    if output is None:
        return {}
    links = {}
    suffix = "html" if team_format == "html" else "md"
    for found in reads:
        if found.figures is not None:
            links[found.team] = f"{found.team}/{label}.{suffix}"
            write_output(output / links[found.team], found.figures[1])
    return links


def portfolio_report(
    selection: Selection,
    cadence: str,
    period: Period,
    output: Path | None = None,
    generated_at: str = "",
    advance: Advance | None = None,
    team_format: str = "markdown",
) -> PortfolioReport:
    """Every team's review figures for the period; with ``output``, each team's report beside it.

    A team's own report is rendered from the same context as its figures,
    as ``opsctl report`` renders it (``team_format``: markdown or html), and
    written to ``OUTPUT/<team>/<period>.md`` (or ``.html``) without recording
    it as held: the portfolio only reads. The portfolio links to it
    relatively. A report that cannot be written fails the command; it does
    not make its team unreadable.
    """
    from opsctl.actions.report_figures import report_context
    from opsctl.review.render import render

    def read(session: Session, _team: str) -> tuple[ReportContext, str]:
        context = report_context(session, cadence, period)
        if output is None:
            return context, ""
        workspace = session.workspace
        return context, render(
            cadence, context, workspace.templates_dir, workspace.root, team_format
        )

    reads: list[Read[tuple[ReportContext, str]]] = read_sources(selection, read, advance)
    links = _write_team_reports(reads, output, period.label, team_format)
    teams: list[TeamReview] = []
    attention: list[Attention] = []
    for found in reads:
        figures: dict[str, object] = {}
        if found.figures is not None:
            context, _ = found.figures
            figures = _team_review(context)
            attention += _attention(found.team, context)
        teams.append(
            TeamReview.model_validate(
                {
                    "team": found.team,
                    "source": found.source,
                    "commit": found.commit,
                    "reason": found.reason,
                    "report": links.get(found.team, ""),
                    **figures,
                }
            )
        )
    return PortfolioReport(
        organisation=selection.organisation,
        cadence=cadence,
        period=period.label,
        generated_at=generated_at,
        teams=teams,
        kpis=_rollup(teams),
        overall=_sum_counts(team.kpi_counts for team in teams if not team.reason),
        attention=attention,
    )
