"""KPI readings: one document per workspace, kept by the same rules as runs.

A reading has a value, a period (a month, ``YYYY-MM``), an actor and an
optional note. A later reading for the same period replaces the earlier one;
the replaced value is kept in the history.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from opsctl.errors import UsageError
from opsctl.store.files import SingleDocument, next_head
from opsctl.store.workspace import Workspace

METRICS_SCHEMA = 1
_PERIOD = r"^(\d{4})-(0[1-9]|1[0-2])$"


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Reading(_Doc):
    """One value of a KPI for one month."""

    value: float
    period: str = Field(pattern=_PERIOD)
    by: str
    at: AwareDatetime
    note: str | None = None


class MetricRecord(_Doc):
    """Baseline and monthly readings of one KPI."""

    baseline: Reading | None = None
    readings: dict[str, Reading] = {}

    def latest(self) -> Reading | None:
        """The reading of the most recent period."""
        return self.readings[max(self.readings)] if self.readings else None

    def ordered(self) -> list[Reading]:
        """Readings in period order."""
        return [self.readings[period] for period in sorted(self.readings)]


class MetricEvent(_Doc):
    """A change to the readings: who recorded what, replacing what."""

    at: AwareDatetime
    actor: str
    action: Literal["record", "baseline"]
    metric: str
    period: str
    value: float
    previous: float | None = None
    note: str | None = None


class MetricsDocument(_Doc):
    """``.opsctl/metrics.json``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: int = Field(METRICS_SCHEMA, alias="schema")
    kind: Literal["metrics"] = "metrics"
    metrics: dict[str, MetricRecord] = {}
    history: list[MetricEvent] = []
    head: str = Field(default="", description="Changes with every write (see store.next_head).")


def parse_period(text: str) -> str:
    """A month as ``YYYY-MM``, or a UsageError saying what was expected."""
    from opsctl.review.periods import month

    try:
        return month(text).label
    except UsageError as exc:
        raise UsageError(str(exc).replace("--month", "period", 1)) from None


def period_of(day: dt.date) -> str:
    """The month a date falls in."""
    return f"{day.year:04d}-{day.month:02d}"


def months_between(start: str, end: str) -> int:
    """Whole months from one period to another (negative if ``end`` is earlier)."""
    start_year, start_month = (int(part) for part in start.split("-"))
    end_year, end_month = (int(part) for part in end.split("-"))
    return (end_year - start_year) * 12 + (end_month - start_month)


class MetricsStore(SingleDocument[MetricsDocument]):
    """The KPI readings of one workspace: ``.opsctl/metrics.json``."""

    def __init__(self, workspace: Workspace) -> None:
        super().__init__(workspace.dir / "metrics.json", MetricsDocument, METRICS_SCHEMA)


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
