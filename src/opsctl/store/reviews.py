"""The review cycle: which monthly and quarterly reviews are due or overdue.

A review counts as held when its report was written with ``--output``; the
workspace records that in ``.opsctl/reviews.json``. A period's review is due
once the period has ended and overdue fourteen days later.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from opsctl.errors import UsageError
from opsctl.review.periods import Period, containing, last_complete
from opsctl.store.files import SingleDocument, atomic_write, next_head
from opsctl.store.workspace import Workspace

REVIEWS_SCHEMA = 1
GRACE_DAYS = 14


class ReportRecord(BaseModel):
    """A report written to a file: the review of one period."""

    model_config = ConfigDict(extra="forbid")

    cadence: str
    period: str
    path: str
    by: str
    at: AwareDatetime


class ReviewsDocument(BaseModel):
    """``.opsctl/reviews.json``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: int = Field(REVIEWS_SCHEMA, alias="schema")
    kind: Literal["reviews"] = "reviews"
    reports: list[ReportRecord] = []
    head: str = Field(default="", description="Changes with every write (see store.next_head).")


class ReviewStore(SingleDocument[ReviewsDocument]):
    """The record of reports written in a workspace: ``.opsctl/reviews.json``."""

    def __init__(self, workspace: Workspace) -> None:
        super().__init__(workspace.dir / "reviews.json", ReviewsDocument, REVIEWS_SCHEMA)


def record_report(document: ReviewsDocument, record: ReportRecord) -> None:
    """Remember a written report, replacing an earlier one for the same period."""
    document.reports = [
        r for r in document.reports if (r.cadence, r.period) != (record.cadence, record.period)
    ] + [record]
    document.reports.sort(key=lambda r: (r.cadence, r.period))
    document.head = next_head(document.head, record)


@dataclass(frozen=True)
class ReviewDue:
    """A review not yet held."""

    cadence: str
    period: str
    due: dt.date
    overdue: bool


def due_reviews(
    cadences: set[str], since: dt.date | None, held: ReviewsDocument, today: dt.date
) -> list[ReviewDue]:
    """Reviews of ended periods since the workspace's first activity that have no report."""
    if since is None:
        return []
    done = {(r.cadence, r.period) for r in held.reports}
    found: list[ReviewDue] = []
    for cadence in sorted(cadences):
        period: Period = containing(cadence, since)
        last = last_complete(cadence, today)
        while period <= last:
            if (cadence, period.label) not in done:
                overdue = today > period.end + dt.timedelta(days=GRACE_DAYS)
                found.append(ReviewDue(cadence, period.label, period.end, overdue))
            period = period.next()
    return found


def save_report(
    workspace: Workspace,
    cadence: str,
    period: str,
    text: str,
    output: Path,
    actor: str,
    at: dt.datetime,
) -> None:
    """Write a report atomically and record its review as held."""
    workspace.guard_output(output)
    if output.is_dir():
        raise UsageError(f"--output {output}: is a directory")
    try:
        atomic_write(output, text)
    except OSError as exc:
        raise UsageError(f"--output {output}: {exc.strerror or exc}") from None
    try:
        shown = output.resolve().relative_to(workspace.root).as_posix()
    except ValueError:
        shown = str(output.resolve())
    record = ReportRecord(cadence=cadence, period=period, path=shown, by=actor, at=at)
    with ReviewStore(workspace).update() as document:
        record_report(document, record)
