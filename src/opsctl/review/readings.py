"""Recording KPI readings: a value for a month, replacing an earlier one for that month.

The replaced value is kept in the readings' history, so every figure a
report shows can be traced to who recorded it, when, and what it replaced.
"""

from __future__ import annotations

import datetime as dt

from opsctl.errors import UsageError
from opsctl.review.periods import month
from opsctl.store.files import next_head
from opsctl.store.metrics import MetricEvent, MetricRecord, MetricsDocument, Provenance, Reading


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
    provenance: Provenance | None = None,
) -> Reading | None:
    """Store a reading (or the baseline); returns the one it replaced, if any."""
    if value != value or value in (float("inf"), float("-inf")):
        raise UsageError(f"value must be a finite number, got {value}")
    reading = Reading(
        value=value,
        period=parse_period(period),
        by=actor,
        at=at,
        note=note,
        provenance=provenance,
    )
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
        provenance=provenance,
    )
    document.history.append(event)
    document.head = next_head(document.head, event)
    return previous


def stored(
    document: MetricsDocument, metric_id: str, period: str, *, baseline: bool = False
) -> Reading | None:
    """The reading (or baseline) stored for a KPI and month, if any."""
    record = document.metrics.get(metric_id)
    if record is None:
        return None
    if baseline:
        return record.baseline if record.baseline and record.baseline.period == period else None
    return record.readings.get(period)


def unchanged(existing: Reading | None, value: float, provenance: Provenance) -> bool:
    """Whether collecting again would store what is already there (same value, same inputs)."""
    return (
        existing is not None
        and existing.value == value
        and existing.provenance is not None
        and existing.provenance.digest == provenance.digest
    )
