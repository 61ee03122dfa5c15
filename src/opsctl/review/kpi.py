"""KPIs against their targets: direction-aware improvement, progress and status.

The rule (also in docs/reports.md):

- improvement is the change from the baseline in percent of the baseline,
  counted positive when it goes the good way (up for higher-is-better, down
  for lower-is-better);
- progress is improvement as a percent of the target improvement;
- a target is due twelve months after the baseline period; by the latest
  reading, the *expected* progress is the share of those months elapsed;
- **on track**: progress at least the expected progress (or the target met);
  **at risk**: progress at least half the expected progress;
  **off track**: anything less;
- **no data** when the baseline or a reading is missing, or the baseline is
  zero (a percent change from zero is undefined). Never a NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from opsctl.definitions.model import Direction, Metric
from opsctl.review.periods import months_between
from opsctl.store.metrics import MetricRecord, Reading

TARGET_HORIZON_MONTHS = 12


class KpiStatus(str, Enum):
    """Where a KPI stands against its target."""

    ON_TRACK = "on track"
    AT_RISK = "at risk"
    OFF_TRACK = "off track"
    NO_DATA = "no data"


@dataclass(frozen=True)
class KpiView:
    """A KPI with its readings judged against its target."""

    metric: Metric
    framework: str
    baseline: Reading | None
    latest: Reading | None
    improvement_pct: float | None
    progress_pct: float | None
    expected_pct: float | None
    status: KpiStatus
    message: str


def improvement(direction: Direction, baseline: float, value: float) -> float | None:
    """Percent improvement from the baseline, positive when it goes the good way."""
    if baseline == 0:
        return None
    change = (value - baseline) / abs(baseline) * 100
    result = change if direction is Direction.HIGHER else -change
    return result if math.isfinite(result) else None


def judge(metric: Metric, framework: str, record: MetricRecord | None) -> KpiView:
    """Judge a KPI's latest reading against its baseline and target."""
    baseline = record.baseline if record else None
    latest = record.latest() if record else None

    def empty(message: str) -> KpiView:
        return KpiView(
            metric, framework, baseline, latest, None, None, None, KpiStatus.NO_DATA, message
        )

    if baseline is None:
        return empty(
            f"no baseline: run 'opsctl metric baseline {metric.id} VALUE --period YYYY-MM'"
        )
    if latest is None:
        return empty(f"no reading yet: run 'opsctl metric record {metric.id} VALUE'")
    gained = improvement(metric.direction, baseline.value, latest.value)
    if gained is None:
        if baseline.value == 0:
            return empty(
                "baseline is 0, so a percent change is undefined; record a non-zero baseline"
            )
        return empty("the change from the baseline is too large to express as a percent")
    progress = gained / metric.target_improvement_pct * 100
    elapsed = max(0, months_between(baseline.period, latest.period))
    expected = min(1.0, elapsed / TARGET_HORIZON_MONTHS) * 100
    if progress >= 100 or progress >= expected:
        status = KpiStatus.ON_TRACK
    elif progress >= expected / 2:
        status = KpiStatus.AT_RISK
    else:
        status = KpiStatus.OFF_TRACK
    message = (
        f"{gained:+.1f}% vs baseline, {progress:.0f}% of the +{metric.target_improvement_pct:g}% "
        f"target ({expected:.0f}% expected by {latest.period})"
    )
    return KpiView(metric, framework, baseline, latest, gained, progress, expected, status, message)
