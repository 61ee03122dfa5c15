"""Use cases of the review cycle: render a report, write it, record the review as held.

:func:`reviews_due` says which monthly and quarterly reviews have no report yet.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import ClassVar

from opsctl.actions.results import Result, View
from opsctl.actions.session import Session
from opsctl.review.periods import Period, labelled, last_complete
from opsctl.store.files import write_output
from opsctl.store.reviews import ReportRecord, ReviewStore, record_report
from opsctl.store.workspace import Workspace

STAMP_FORMAT = "%Y-%m-%d %H:%M UTC"


def save_report(
    workspace: Workspace,
    cadence: str,
    period: str,
    text: str,
    output: Path,
    actor: str,
    at: dt.datetime,
) -> None:
    """Write a report atomically and record its review as held.

    Only a new file or a regular one is written (:func:`write_output`): a
    symbolic link, named pipe, device or socket is refused, exit 2, and
    nothing is written or recorded.
    """
    workspace.guard_output(output)
    write_output(output, text)
    try:
        shown = output.resolve().relative_to(workspace.root).as_posix()
    except ValueError:
        shown = str(output.resolve())
    record = ReportRecord(cadence=cadence, period=period, path=shown, by=actor, at=at)
    with ReviewStore(workspace).update() as document:
        record_report(document, record)


class Report(Result):
    """A rendered review report (Markdown or HTML), and the file it was written to, if any."""

    KIND: ClassVar[str] = "report"

    cadence: str
    period: str
    text: str
    output: str | None


def report_period(cadence: str, label: str | None, today: dt.date) -> Period:
    """The month (``YYYY-MM``) or quarter (``YYYY-Qn``) named, or the last complete one."""
    return last_complete(cadence, today) if label is None else labelled(cadence, label)


def render_report(
    session: Session,
    cadence: str,
    label: str | None = None,
    output: Path | None = None,
    *,
    stamp: bool = False,
    output_format: str = "markdown",
) -> Report:
    """Render the monthly or quarterly review; with ``output``, write it and record it as held.

    ``stamp`` adds the generation time (off by default, so reports are
    reproducible); ``output_format`` is ``markdown`` or ``html`` (one
    self-contained page).
    """
    from opsctl.review.render import workspace_report

    period = report_period(cadence, label, session.today())
    stamped = session.now().strftime(STAMP_FORMAT) if stamp else ""
    workspace = session.workspace
    config = session.config
    text = workspace_report(
        workspace,
        session.catalog,
        config.team,
        cadence,
        period,
        stamped,
        people=config.people,
        output_format=output_format,
        today=session.today(),
    )
    if output is not None:
        save_report(workspace, cadence, period.label, text, output, session.actor, session.now())
    return Report(
        cadence=cadence,
        period=period.label,
        text=text,
        output=None if output is None else str(output),
    )


class DueReview(View):
    """A review not yet held: due the day after its period ends, overdue 14 days later."""

    cadence: str
    period: str
    due: dt.date
    overdue: bool


class ReviewsDue(Result):
    """``opsctl review due``: every review of an ended period without a report."""

    KIND: ClassVar[str] = "reviews-due"

    reviews: list[DueReview]

    @property
    def overdue(self) -> bool:
        """Whether any review is overdue (the command then exits 1)."""
        return any(review.overdue for review in self.reviews)


def first_activity(session: Session) -> dt.date | None:
    """The day of the workspace's first recorded activity: a run started or a KPI recorded."""
    headers, _ = session.runs.headers()
    dates = [header.created.date() for header in headers]
    dates += [event.at.date() for event in session.metrics.load().history]
    return min(dates) if dates else None


def reviews_due(session: Session) -> ReviewsDue:
    """Monthly and quarterly reviews due or overdue since the workspace's first activity."""
    from opsctl.review.cadence import due_reviews

    cadences = {
        review.cadence.value
        for framework in session.catalog.frameworks()
        for review in framework.review
    }
    found = due_reviews(cadences, first_activity(session), session.reviews.load(), session.today())
    return ReviewsDue(
        reviews=[
            DueReview(cadence=r.cadence, period=r.period, due=r.due, overdue=r.overdue)
            for r in found
        ]
    )
