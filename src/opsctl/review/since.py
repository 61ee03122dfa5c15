"""The review cycle as a report sees it: its own status, and what changed since the last review.

Both are judged as of the day the reported period's review falls due (the
day after the period ends), from the reviews recorded in ``reviews.json``,
so the same workspace renders the same report whatever day it is rendered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from opsctl.review.attention import WaiverLine, day
from opsctl.review.cadence import due_reviews
from opsctl.review.parts import Happening, RunPart
from opsctl.review.periods import Period, containing, labelled, last_complete
from opsctl.store.metrics import MetricsDocument
from opsctl.store.reviews import ReportRecord, ReviewsDocument


@dataclass(frozen=True)
class CycleLine:
    """One cadence of the review cycle: the last review held, the next due, and any overdue."""

    cadence: str
    last_period: str
    last_held: str
    last_by: str
    next_period: str
    next_due: str
    overdue: list[str]


def _held(
    reviews: ReviewsDocument, cadence: str, until: str, as_of: dt.date, own: tuple[str, str]
) -> list[ReportRecord]:
    """Reviews of a cadence up to period ``until``, recorded before ``as_of``, except ``own``."""
    before = dt.datetime.combine(as_of, dt.time(), tzinfo=dt.timezone.utc)
    return sorted(
        (
            r
            for r in reviews.reports
            if r.cadence == cadence
            and r.period <= until
            and r.at < before
            and (r.cadence, r.period) != own
        ),
        key=lambda record: (record.period, record.at),
    )


def cycle_status(
    cadences: Sequence[str],
    first_activity: dt.date | None,
    reviews: ReviewsDocument,
    as_of: dt.date,
    own: tuple[str, str] = ("", ""),
) -> list[CycleLine]:
    """Per cadence: last review held, next review due and reviews overdue, as of ``as_of``.

    Only reviews recorded before ``as_of`` count, and never ``own`` (cadence,
    period), the review the report is for: so a report written with
    ``--output`` (which records it), or rendered again after later reviews,
    gives the same bytes.
    """
    lines = []
    for cadence in cadences:
        last_period = last_complete(cadence, as_of)
        held = _held(reviews, cadence, last_period.label, as_of, own)
        considered = reviews.model_copy(update={"reports": held})
        missing = due_reviews({cadence}, first_activity, considered, as_of)
        upcoming = [review for review in missing if not review.overdue]
        if upcoming:
            next_period, next_due = upcoming[0].period, upcoming[0].due
        else:
            following = last_period.next()
            next_period, next_due = following.label, following.end
        last = held[-1] if held else None
        lines.append(
            CycleLine(
                cadence=cadence,
                last_period=last.period if last else "",
                last_held=day(last.at) if last else "",
                last_by=last.by if last else "",
                next_period=next_period,
                next_due=next_due.isoformat(),
                overdue=[review.period for review in missing if review.overdue],
            )
        )
    return lines


@dataclass
class SinceLastReview:
    """What passed, slipped and was waived from the last review's period end to this one's."""

    since: str
    last_review: str
    passed: list[Happening] = field(default_factory=list)
    slipped: list[Happening] = field(default_factory=list)
    waived: list[WaiverLine] = field(default_factory=list)


def since_start(
    cadence: str, period: Period, reviews: ReviewsDocument, first_activity: dt.date | None
) -> tuple[dt.date, str]:
    """Where "since the last review" starts: the end of the last period reviewed before this one.

    Without an earlier review, the workspace's first activity (or the period's start).
    """
    own = (cadence, period.label)
    earlier = _held(reviews, cadence, period.label, period.end, own)
    if earlier:
        last = earlier[-1]
        return labelled(
            cadence, last.period
        ).end, f"the end of {last.period}, the last {cadence} review held"
    start = min(first_activity or period.start, period.start)
    return (
        containing(cadence, start).start,
        f"the first recorded activity: no earlier {cadence} review is recorded",
    )


def since_last_review(parts: Sequence[RunPart], start: dt.date, label: str) -> SinceLastReview:
    """Gates passed, what slipped (refused gates, voided sign-offs, runs gone late) and waivers.

    Each part holds its run's happenings up to the period's end, with their
    moments; those from ``start`` (UTC midnight) on are kept, in run order,
    then passed and slipped by date.
    """
    result = SinceLastReview(since=start.isoformat(), last_review=label)
    begin = dt.datetime.combine(start, dt.time(), tzinfo=dt.timezone.utc)
    for part in parts:
        result.passed += [happening for at, happening in part.since_passed if at >= begin]
        result.slipped += [happening for at, happening in part.since_slipped if at >= begin]
        result.waived += [waiver for at, waiver in part.since_waived if at >= begin]
    result.passed.sort(key=lambda happening: (happening.date, happening.run))
    result.slipped.sort(key=lambda happening: (happening.date, happening.run))
    return result


def review_cycle(
    kind: str,
    period: Period,
    parts: Sequence[RunPart],
    readings: MetricsDocument,
    reviews: ReviewsDocument,
    cadences: Sequence[str],
) -> tuple[list[CycleLine], SinceLastReview]:
    """The review cycle's status and what changed since the last review, for one report.

    Periods are counted from the first activity, a run started or a KPI
    recorded, as ``opsctl review due`` counts them.
    """
    dates = [part.created.date() for part in parts]
    dates += [event.at.date() for event in readings.history]
    first = min(dates, default=None)
    cycle = cycle_status(cadences, first, reviews, period.end, (kind, period.label))
    start, label = since_start(kind, period, reviews, first)
    return cycle, since_last_review(parts, start, label)
