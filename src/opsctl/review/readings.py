"""Recording KPI readings: a value for a month, replacing an earlier one for that month.

The replaced value is kept in the readings' history, so every figure a
report shows can be traced to who recorded it, when, and what it replaced.
"""

from __future__ import annotations

import datetime as dt

from opsctl.errors import UsageError
from opsctl.review.periods import month
from opsctl.store.files import next_head
from opsctl.store.metrics import MetricEvent, MetricRecord, MetricsDocument, Reading


def parse_period(text: str) -> str:
    """A month as ``YYYY-MM``, or a UsageError saying what was expected."""
    return month(text, "period").label


def record_reading(
    document: MetricsDocument,
    metric_id: str,
    value: float,
    period: str,
    actor: str,
    at: dt.datetime,
    note: str | None = None,
    *,
    baseline: bool = False,
) -> Reading | None:
    """Store a reading (or the baseline); returns the one it replaced, if any."""
    if value != value or value in (float("inf"), float("-inf")):
        raise UsageError(f"value must be a finite number, got {value}")
    reading = Reading(value=value, period=parse_period(period), by=actor, at=at, note=note)
    record = document.metrics.setdefault(metric_id, MetricRecord())
    if baseline:
        previous = record.baseline
        record.baseline = reading
    else:
        previous = record.readings.get(period)
        record.readings[period] = reading
    event = MetricEvent(
        at=at,
        actor=actor,
        action="baseline" if baseline else "record",
        metric=metric_id,
        period=period,
        value=value,
        previous=previous.value if previous else None,
        note=note,
    )
    document.history.append(event)
    document.head = next_head(document.head, event)
    return previous
