"""The record of reviews held: ``.opsctl/reviews.json``, one entry per written report."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from opsctl.store.files import SingleDocument, next_head
from opsctl.store.workspace import Workspace

REVIEWS_SCHEMA = 1


class ReportRecord(BaseModel):
    """A report written to a file: the review of one period."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    cadence: str
    period: str
    path: str
    by: str
    at: AwareDatetime


class ReviewsDocument(BaseModel):
    """``.opsctl/reviews.json``."""

    model_config = ConfigDict(extra="forbid", defer_build=True, populate_by_name=True)

    schema_: int = Field(REVIEWS_SCHEMA, alias="schema", strict=True)
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
