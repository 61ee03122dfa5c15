"""Use cases on KPIs: list them against their targets, show one, record a reading or baseline."""

from __future__ import annotations

from typing import ClassVar

from opsctl.actions.results import Result, View
from opsctl.actions.session import Session
from opsctl.definitions.model import Metric
from opsctl.errors import UsageError
from opsctl.review.kpi import KpiView, judge
from opsctl.review.periods import period_of
from opsctl.review.readings import parse_period, record_reading
from opsctl.store.metrics import MetricRecord, Reading


class KpiSummary(View):
    """One KPI judged against its target: one entry of ``opsctl metric list``."""

    id: str
    title: str
    framework: str
    unit: str
    direction: str
    target_improvement_pct: float
    baseline: Reading | None
    latest: Reading | None
    improvement_pct: float | None
    progress_pct: float | None
    expected_pct: float | None
    status: str
    message: str


def _summary_fields(view: KpiView) -> dict[str, object]:
    return {
        "id": view.metric.id,
        "title": view.metric.title,
        "framework": view.framework,
        "unit": view.metric.unit,
        "direction": view.metric.direction.value,
        "target_improvement_pct": view.metric.target_improvement_pct,
        "baseline": view.baseline,
        "latest": view.latest,
        "improvement_pct": view.improvement_pct,
        "progress_pct": view.progress_pct,
        "expected_pct": view.expected_pct,
        "status": view.status.value,
        "message": view.message,
    }


class MetricList(Result):
    """``opsctl metric list``: every KPI, in id order."""

    KIND: ClassVar[str] = "metrics"

    metrics: list[KpiSummary]


class MetricDetail(Result, KpiSummary):
    """``opsctl metric show``: one KPI judged, with its readings in period order."""

    KIND: ClassVar[str] = "metric"

    readings: list[Reading]


class ReadingRecorded(Result):
    """A reading (or baseline) just stored, and the value it replaced."""

    KIND: ClassVar[str] = "reading"

    metric: str
    unit: str
    value: float
    period: str
    baseline: bool
    replaced: float | None


def find_metric(session: Session, metric_id: str) -> tuple[Metric, str]:
    """A KPI's definition and the framework declaring it, or a UsageError naming the known ones."""
    definitions = session.catalog.metrics()
    if metric_id not in definitions:
        known = ", ".join(sorted(definitions)) or "none"
        raise UsageError(f"unknown KPI '{metric_id}' (known: {known})")
    return definitions[metric_id]


def list_metrics(session: Session) -> MetricList:
    """Every KPI with its baseline, latest reading and status against its target."""
    readings = session.metrics.load()
    views = [
        judge(metric, framework, readings.metrics.get(metric_id))
        for metric_id, (metric, framework) in sorted(session.catalog.metrics().items())
    ]
    return MetricList(metrics=[KpiSummary.model_validate(_summary_fields(v)) for v in views])


def show_metric(session: Session, metric_id: str) -> MetricDetail:
    """One KPI judged against its target, with every reading."""
    metric, framework = find_metric(session, metric_id)
    record: MetricRecord | None = session.metrics.load().metrics.get(metric.id)
    view = judge(metric, framework, record)
    readings = record.ordered() if record else []
    return MetricDetail.model_validate({**_summary_fields(view), "readings": readings})


def record_metric(
    session: Session,
    metric_id: str,
    value: float,
    period: str | None = None,
    note: str | None = None,
    *,
    baseline: bool = False,
) -> ReadingRecorded:
    """Record a KPI reading (or its baseline) for a month (default: this month)."""
    metric, _ = find_metric(session, metric_id)
    month = parse_period(period) if period is not None else period_of(session.today())
    with session.metrics.update() as document:
        previous = record_reading(
            document,
            metric.id,
            value,
            month,
            session.actor,
            session.now(),
            note,
            baseline=baseline,
        )
    return ReadingRecorded(
        metric=metric.id,
        unit=metric.unit,
        value=value,
        period=month,
        baseline=baseline,
        replaced=previous.value if previous else None,
    )
