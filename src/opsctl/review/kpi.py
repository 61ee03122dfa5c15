"""KPIs against their targets: goal, direction-aware improvement, progress and status.

The rule (also in docs/reports.md):

- the *goal* is the value the target asks for, worked out from the baseline:
  relative ``b * (1 +- p/100)``, points ``b +- p``, absolute ``p``,
  failure-reduction ``ideal -+ gap * (1 - p/100)`` where the gap is the
  distance from the baseline to the ideal bound (100 for a pass rate);
- improvement is the change from the baseline in percent of the baseline,
  counted positive when it goes the good way;
- progress is the change from the baseline as a percent of the change the
  goal asks for (100 once the goal is met);
- a target is due ``deadline_quarters`` after the baseline period (four
  quarters when the definition says nothing: an assumption, and said so);
  the *expected* progress is the share of that time elapsed by the latest
  reading;
- **on track**: progress at least the expected progress (or the goal met);
  **at risk**: at least half of it; **off track**: anything less;
- **no data** when the baseline or a reading is missing, or the target is
  relative and the baseline zero. Never a NaN.

A goal outside the metric's bounds cannot be reached: the view carries a
warning, and ``metric baseline`` and ``validate`` print it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from opsctl.definitions.metric import (
    DEFAULT_DEADLINE_QUARTERS,
    Direction,
    GitSource,
    Metric,
    Target,
    TargetKind,
    number_text,
)
from opsctl.review.figures import number, raw_change, signed, verdict
from opsctl.review.periods import Period, months_between, trailing_months
from opsctl.store.metrics import MetricRecord, Reading

TREND_MONTHS = 6


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
    goal: float | None = None
    due: str = ""
    warning: str = ""


def improvement(direction: Direction, baseline: float, value: float) -> float | None:
    """Percent improvement from the baseline, positive when it goes the good way."""
    if baseline == 0:
        return None
    change = (value - baseline) / abs(baseline) * 100
    result = change if direction is Direction.HIGHER else -change
    return result if math.isfinite(result) else None


def add_months(label: str, months: int) -> str:
    """The month ``months`` after a ``YYYY-MM`` label."""
    year, month = (int(part) for part in label.split("-"))
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _sign(direction: Direction) -> int:
    return 1 if direction is Direction.HIGHER else -1


def goal_value(metric: Metric, baseline: float) -> float | None:
    """The value the target asks for from this baseline (None: undefined, or no target)."""
    target = metric.goal
    if target is None:
        return None
    sign = _sign(metric.direction)
    if target.kind is TargetKind.RELATIVE:
        goal = baseline + sign * abs(baseline) * target.value / 100 if baseline else None
    elif target.kind is TargetKind.POINTS:
        goal = baseline + sign * target.value
    elif target.kind is TargetKind.ABSOLUTE:
        goal = target.value
    else:
        ideal = metric.ideal
        if ideal is None:
            return None
        gap = max(0.0, (ideal - baseline) * sign)
        goal = ideal - sign * gap * (1 - target.value / 100)
    return goal if goal is not None and math.isfinite(goal) else None


def unreachable(metric: Metric, baseline: float) -> str:
    """Why the target cannot be met from this baseline within the bounds ('' when it can)."""
    goal = goal_value(metric, baseline)
    if goal is None:
        return ""
    low, high = metric.bounds.min, metric.bounds.max
    if high is not None and goal > high:
        side = f"above the maximum {high:g}"
    elif low is not None and goal < low:
        side = f"below the minimum {low:g}"
    else:
        return ""
    return (
        f"{metric.id}: the target {metric.target_label()} from the baseline {baseline:g} asks "
        f"for {goal:g}, {side}: it cannot be met; choose another target form "
        "(see docs/reports.md#targets)"
    )


def _limit(metric: Metric, target: Target) -> tuple[str, float] | None:
    """The baselines from which a target leaves the bounds: ('above'|'below', threshold)."""
    high, low, value = metric.bounds.max, metric.bounds.min, target.value
    higher = metric.direction is Direction.HIGHER
    if target.kind is TargetKind.RELATIVE and higher and high is not None and high > 0:
        return "above", high / (1 + value / 100)
    if target.kind is TargetKind.RELATIVE and not higher and low is not None and low > 0:
        return "below", low / (1 - value / 100) if value < 100 else math.inf
    if target.kind is TargetKind.POINTS and higher and high is not None:
        return "above", high - value
    if target.kind is TargetKind.POINTS and not higher and low is not None:
        return "below", low + value
    return None


def definition_warning(metric: Metric) -> str:
    """Why the target cannot be met from some baselines within the bounds ('' when it can)."""
    target = metric.goal
    limit = _limit(metric, target) if target is not None else None
    if limit is None:
        return ""
    side, threshold = limit
    return (
        f"{metric.id}: the target {metric.target_label()} cannot be met from a baseline {side} "
        f"{threshold:.4g} within the bounds; a failure-reduction or absolute target can "
        "(see docs/reports.md#targets)"
    )


def deadline_text(metric: Metric) -> str:
    """When targets fall due, marked as an assumption when the definition is silent."""
    quarters = metric.deadline_quarters or DEFAULT_DEADLINE_QUARTERS
    text = f"due {quarters} quarter{'s' if quarters != 1 else ''} after the baseline"
    return text + (" (assumed)" if metric.deadline_quarters is None else "")


def _progress(metric: Metric, baseline: float, latest: float, goal: float) -> float | None:
    sign = _sign(metric.direction)
    needed = (goal - baseline) * sign
    if needed <= 0:
        return 100.0 if (latest - goal) * sign >= 0 else 0.0
    progress = (latest - baseline) * sign / needed * 100
    return progress if math.isfinite(progress) else None


def _status(progress: float, expected: float) -> KpiStatus:
    if progress >= 100 or progress >= expected:
        return KpiStatus.ON_TRACK
    if progress >= expected / 2:
        return KpiStatus.AT_RISK
    return KpiStatus.OFF_TRACK


def _empty(metric: Metric, framework: str, record: MetricRecord | None, message: str) -> KpiView:
    baseline = record.baseline if record else None
    latest = record.latest() if record else None
    warning = unreachable(metric, baseline.value) if baseline else ""
    due = add_months(baseline.period, metric.deadline_months) if baseline and metric.goal else ""
    return KpiView(
        metric, framework, baseline, latest, None, None, None, KpiStatus.NO_DATA, message,
        goal=goal_value(metric, baseline.value) if baseline else None, due=due, warning=warning,
    )  # fmt: skip


def _missing(metric: Metric, record: MetricRecord | None) -> str:
    if metric.goal is None:
        return "no target: a measure, tracked without one"
    if record is None or record.baseline is None:
        return f"no baseline: run 'opsctl metric baseline {metric.id} VALUE --period YYYY-MM'"
    if record.latest() is None:
        return f"no reading yet: run 'opsctl metric record {metric.id} VALUE'"
    if metric.goal.kind is TargetKind.RELATIVE and record.baseline.value == 0:
        return "baseline is 0, so a percent change is undefined; record a non-zero baseline"
    return ""


def judge(metric: Metric, framework: str, record: MetricRecord | None) -> KpiView:
    """Judge a KPI's latest reading against its baseline and target."""
    problem = _missing(metric, record)
    if problem:
        return _empty(metric, framework, record, problem)
    assert record is not None and record.baseline is not None
    baseline, latest = record.baseline, record.latest()
    assert latest is not None
    goal = goal_value(metric, baseline.value)
    progress = _progress(metric, baseline.value, latest.value, goal) if goal is not None else None
    if goal is None or progress is None:
        return _empty(
            metric, framework, record, "the change from the baseline is too large to express"
        )
    gained = improvement(metric.direction, baseline.value, latest.value)
    elapsed = max(0, months_between(baseline.period, latest.period))
    expected = min(1.0, elapsed / metric.deadline_months) * 100
    due = add_months(baseline.period, metric.deadline_months)
    moved = raw_change(baseline.value, latest.value)
    change = (
        f"{signed(moved)}% vs baseline ({verdict(moved, metric.direction.value)})"
        if moved is not None
        else f"from {baseline.value:g} to {latest.value:g}"
    )
    message = (
        f"{change}, {number(progress)}% of the way to {goal:.4g} ({metric.target_label()} "
        f"target, due {due}; {number(expected)}% expected by {latest.period})"
    )
    return KpiView(
        metric, framework, baseline, latest, gained, progress, expected,
        _status(progress, expected), message, goal=goal, due=due,
        warning=unreachable(metric, baseline.value),
    )  # fmt: skip


def band_of(metric: Metric, value: float | None) -> str:
    """The DORA band of a value of a git-collected metric ('' for other metrics)."""
    if value is None or not isinstance(metric.source, GitSource):
        return ""
    from opsctl.review.sources_git import dora_band

    return dora_band(metric.source.measure, value)


def provenance_text(reading: Reading | None) -> str:
    """Where a reading came from, in one line: ``manual, by ...`` or the source and inputs."""
    if reading is None:
        return "-"
    source = reading.provenance
    if source is None:
        return f"manual, by {reading.by}"
    shown: list[str] = [source.source]
    names = [item.name for item in source.inputs]
    if source.range:
        shown.append(source.range)
    elif names:
        more = f" and {len(names) - 3} more" if len(names) > 3 else ""
        shown.append(", ".join(names[:3]) + more)
    return f"{' '.join(shown)} ({source.digest.removeprefix('sha256:')[:12]})"


# --- a KPI as a report shows it ----------------------------------------------------------


@dataclass(frozen=True)
class KpiLine:
    """A KPI (or measure, or value) as of a period's end, with its trend and where it came from."""

    id: str
    title: str
    unit: str
    direction: str
    framework: str
    target: float | None
    baseline: float | None
    baseline_period: str
    latest: float | None
    latest_period: str
    improvement: float | None
    progress: float | None
    status: str
    message: str
    trend: list[tuple[str, float | None]]
    previous: float | None
    change_vs_previous: float | None
    category: str = "kpi"
    target_label: str = "-"
    goal: float | None = None
    due: str = ""
    deadline: str = ""
    assumption: str = ""
    source: str = "manual"
    provenance: str = "-"
    warning: str = ""
    band: str = ""
    latest_text: str = "-"
    change: float | None = None
    change_previous: float | None = None


def _readings_until(record: MetricRecord | None, last_month: str) -> MetricRecord | None:
    if record is None:
        return None
    readings = {p: r for p, r in record.readings.items() if p <= last_month}
    return MetricRecord(baseline=record.baseline, readings=readings)


def kpi_line(
    metric: Metric, framework: str, record: MetricRecord | None, period: Period
) -> KpiLine:
    """A KPI judged at the end of the period, with its trend and change vs the previous period."""
    months = period.months()
    now = _readings_until(record, months[-1])
    before = _readings_until(record, period.previous().months()[-1])
    view = judge(metric, framework, now)
    trend_months = months if len(months) > 1 else trailing_months(period, TREND_MONTHS)
    trend = [
        (m, now.readings[m].value if now and m in now.readings else None) for m in trend_months
    ]
    previous = before.latest() if before else None
    latest = view.latest
    change = (
        improvement(metric.direction, previous.value, latest.value)
        if previous is not None and latest is not None
        else None
    )
    goal = metric.goal
    return KpiLine(
        id=metric.id,
        title=metric.title,
        unit=metric.unit,
        direction=metric.direction.value,
        framework=framework,
        target=goal.value if goal else None,
        baseline=view.baseline.value if view.baseline else None,
        baseline_period=view.baseline.period if view.baseline else "",
        latest=latest.value if latest else None,
        latest_period=latest.period if latest else "",
        improvement=view.improvement_pct,
        progress=view.progress_pct,
        status=view.status.value,
        message=view.message,
        trend=trend,
        previous=previous.value if previous else None,
        change_vs_previous=change,
        category=metric.category.value,
        target_label=metric.target_label(),
        goal=view.goal,
        due=view.due,
        deadline=deadline_text(metric) if goal else "",
        assumption=" ".join(metric.assumption.split()),
        source=metric.source.kind if metric.source else "manual",
        provenance=provenance_text(latest),
        warning=view.warning,
        band=band_of(metric, latest.value if latest else None),
        latest_text=number_text(latest.value) if latest else "-",
        change=raw_change(view.baseline.value, latest.value) if view.baseline and latest else None,
        change_previous=raw_change(previous.value, latest.value) if previous and latest else None,
    )
