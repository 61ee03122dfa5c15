"""The review cycle: which monthly and quarterly reviews are due or overdue.

A review counts as held when its report was written with ``--output``; the
workspace records that in ``.opsctl/reviews.json``. A period's review is due
once the period has ended and overdue fourteen days later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from opsctl.errors import UsageError
from opsctl.periods import Period, containing, last_complete
from opsctl.store import atomic_write, load_model, locked, next_head, save_model
from opsctl.workspace import Workspace

REVIEWS_SCHEMA = 1
GRACE_DAYS = 14


class ReportRecord(BaseModel):
    """A report written to a file: the review of one period."""

    model_config = ConfigDict(extra="forbid")

    cadence: str
    period: str
    path: str
    by: str
    at: dt.datetime


class ReviewsDocument(BaseModel):
    """``.opsctl/reviews.json``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: int = Field(REVIEWS_SCHEMA, alias="schema")
    kind: Literal["reviews"] = "reviews"
    reports: list[ReportRecord] = []
    head: str = Field(default="", description="Changes with every write (see store.next_head).")


class ReviewStore:
    """The record of reports written in a workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self.path: Path = workspace.dir / "reviews.json"

    def load(self) -> ReviewsDocument:
        """Every recorded report (none when the file does not exist yet)."""
        if not self.path.exists():
            return ReviewsDocument()
        return load_model(ReviewsDocument, self.path, REVIEWS_SCHEMA, {})

    @contextmanager
    def update(self) -> Iterator[ReviewsDocument]:
        """Lock, read, change, save."""
        with locked(self.path):
            document = self.load()
            yield document
            save_model(document, self.path)


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
