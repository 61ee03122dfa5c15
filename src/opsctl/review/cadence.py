"""The review cycle: which monthly and quarterly reviews are due or overdue.

A review counts as held when its report was written with ``--output``; the
workspace records that in ``.opsctl/reviews.json``. A period's review is due
once the period has ended and overdue fourteen days later.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from opsctl.review.periods import Period, containing, last_complete
from opsctl.store.reviews import ReviewsDocument

GRACE_DAYS = 14


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
