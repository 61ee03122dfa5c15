"""What every reading source shares: the collected value, its provenance, and skips.

A source computes one number for one month and says where it came from
(:class:`~opsctl.store.metrics.Provenance`): the source, its parameters, the
commit range or files, each input's digest, and a digest over all of it and
the value. Collecting twice over the same inputs gives the same digest, so
the collector can tell an unchanged reading from a new one.

Two kinds of trouble, kept apart:

- :class:`SourceError` (exit 2): the inputs are bad (no git repository, a
  pattern that matches nothing, an unreadable file); nothing is recorded;
- :class:`NoData`: the inputs are fine but say nothing about this month (no
  deployment in it, no failed deployment to restore); that metric is
  skipped, with the reason, and the others are recorded.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from opsctl.errors import UsageError, digest
from opsctl.review.periods import Period
from opsctl.store.metrics import ParameterValue, Provenance, SourceInput

SourceKind = Literal["git", "runs", "junit", "command"]


class SourceError(UsageError):
    """The inputs of a source cannot be read; nothing is recorded."""


class NoData(Exception):
    """The inputs hold nothing for this month; the metric is skipped."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Collected:
    """A value computed for a month, with where it came from."""

    value: float
    provenance: Provenance
    detail: str
    """A short human summary, e.g. ``9 deployments, v1.2..v1.11``."""


def make_provenance(
    source: SourceKind,
    parameters: dict[str, ParameterValue],
    value: float,
    *,
    range_: str = "",
    inputs: Sequence[SourceInput] = (),
) -> Provenance:
    """Provenance with a digest over everything it names and the value."""
    listed = list(inputs)
    body = {
        "source": source,
        "parameters": parameters,
        "range": range_,
        "inputs": [item.model_dump(mode="json") for item in listed],
        "value": value,
    }
    return Provenance(
        source=source, parameters=parameters, range=range_, inputs=listed, digest=digest(body)
    )


def median(values: Sequence[float]) -> float:
    """The median (the mean of the middle two for an even count)."""
    return float(statistics.median(values))


def rounded(value: float) -> float:
    """A computed value as stored: four decimals, so floats do not print as 0.30000000000000004."""
    return round(value, 4)


def bounds_of(period: Period) -> tuple[int, int]:
    """The month's start and end as UTC Unix seconds (end exclusive)."""
    start = dt.datetime.combine(period.start, dt.time(), tzinfo=dt.timezone.utc)
    end = dt.datetime.combine(period.end, dt.time(), tzinfo=dt.timezone.utc)
    return int(start.timestamp()), int(end.timestamp())


def percent(part: int, whole: int) -> float:
    """``part`` of ``whole`` in percent, rounded as stored."""
    return rounded(part * 100 / whole)
