"""``opsctl report ... --format json``: every figure of a review, and the context behind them.

Kept apart from :mod:`opsctl.actions.reports` so ``opsctl review due`` and
``opsctl demo`` do not load the report context's types.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from opsctl.actions.reports import report_period
from opsctl.actions.results import Result
from opsctl.actions.session import Session
from opsctl.review.advice import Recommendation
from opsctl.review.attention import OverdueRun, SignOffLine, WaiverLine
from opsctl.review.context import FrameworkProgress, GateLine, ItemLine, ReportContext, RunLine
from opsctl.review.kpi import KpiLine
from opsctl.review.periods import Period
from opsctl.review.since import CycleLine, SinceLastReview


class ReportFigures(Result):
    """Every figure a review report shows, as JSON: ``opsctl report ... --format json``.

    The Markdown and HTML reports render the same context, so each headline
    figure can be checked against this document (the report's appendix says
    which key holds which section).
    """

    KIND: ClassVar[str] = "report-figures"

    cadence: str
    period: str
    start: dt.date
    end: dt.date
    team: str
    summary: dict[str, int]
    recommendations: list[Recommendation]
    review_cycle: list[CycleLine]
    since_last_review: SinceLastReview | None
    runs_started: list[RunLine]
    runs_completed: list[RunLine]
    runs_active: list[RunLine]
    progress_by_framework: list[FrameworkProgress]
    overdue_runs: list[OverdueRun]
    blocked: list[ItemLine]
    gates: list[GateLine]
    sign_offs: list[SignOffLine]
    waivers_granted: list[WaiverLine]
    waivers_expiring: list[ItemLine]
    kpis: list[KpiLine]


def report_context(session: Session, cadence: str, period: Period) -> ReportContext:
    """The context a team's review of ``period`` renders: its runs, KPIs, roster and reviews.

    A period not yet over is judged as of today. The portfolio reads each
    team through this too, so its figures are the team report's own.
    """
    from opsctl.review.render import workspace_context

    config = session.config
    return workspace_context(
        session.workspace,
        session.catalog,
        config.team,
        cadence,
        period,
        config.people,
        session.today(),
    )


def report_figures(session: Session, cadence: str, label: str | None = None) -> ReportFigures:
    """The figures of the monthly or quarterly review, from the same context the reports render."""
    period = report_period(cadence, label, session.today())
    context = report_context(session, cadence, period)
    return ReportFigures(
        cadence=cadence,
        period=period.label,
        start=period.start,
        end=period.end,
        team=context.team,
        summary=context.summary,
        recommendations=context.recommendations,
        review_cycle=context.cycle,
        since_last_review=context.since,
        runs_started=context.runs_started,
        runs_completed=context.runs_completed,
        runs_active=context.runs_active,
        progress_by_framework=context.progress_by_framework,
        overdue_runs=context.overdue_runs,
        blocked=context.blocked,
        gates=context.gates,
        sign_offs=context.sign_offs,
        waivers_granted=context.waivers_granted,
        waivers_expiring=context.waivers_expiring,
        kpis=context.kpis,
    )
