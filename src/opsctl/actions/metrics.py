"""Use cases on KPIs: list them against their targets, show one, record or collect readings."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, ClassVar, Literal

from opsctl.actions.results import Result, View
from opsctl.actions.session import Session
from opsctl.definitions.metric import Bounds, Metric, MetricCategory, Target
from opsctl.errors import UsageError
from opsctl.review.kpi import KpiView, band_of, deadline_text, judge
from opsctl.review.periods import month as month_period
from opsctl.review.periods import period_of
from opsctl.review.readings import parse_period, record_reading, stored, unchanged
from opsctl.store.metrics import MetricRecord, MetricsDocument, Provenance, Reading

if TYPE_CHECKING:
    from opsctl.review.sources import Collected


class KpiSummary(View):
    """One metric judged against its target: one entry of ``opsctl metric list``."""

    id: str
    title: str
    framework: str
    category: str
    unit: str
    direction: str
    bounds: Bounds
    target: Target | None
    target_label: str
    goal: float | None
    due: str
    deadline: str
    assumption: str
    source: str
    baseline: Reading | None
    latest: Reading | None
    improvement_pct: float | None
    progress_pct: float | None
    expected_pct: float | None
    status: str
    message: str
    warning: str
    band: str


def _summary_fields(view: KpiView) -> dict[str, object]:
    metric = view.metric
    return {
        "id": metric.id,
        "title": metric.title,
        "framework": view.framework,
        "category": metric.category.value,
        "unit": metric.unit,
        "direction": metric.direction.value,
        "bounds": metric.bounds,
        "target": metric.goal,
        "target_label": metric.target_label(),
        "goal": view.goal,
        "due": view.due,
        "deadline": deadline_text(metric) if metric.goal else "",
        "assumption": " ".join(metric.assumption.split()),
        "source": metric.source.kind if metric.source else "manual",
        "baseline": view.baseline,
        "latest": view.latest,
        "improvement_pct": view.improvement_pct,
        "progress_pct": view.progress_pct,
        "expected_pct": view.expected_pct,
        "status": view.status.value,
        "message": view.message,
        "warning": view.warning,
        "band": band_of(metric, view.latest.value if view.latest else None),
    }


class MetricList(Result):
    """``opsctl metric list``: KPIs, then measures and value metrics, each in id order."""

    KIND: ClassVar[str] = "metrics"
    VERSION: ClassVar[int] = 2

    metrics: list[KpiSummary]
    measures: list[KpiSummary]
    values: list[KpiSummary]


class MetricDetail(Result, KpiSummary):
    """``opsctl metric show``: one metric judged, with its readings in period order."""

    KIND: ClassVar[str] = "metric"
    VERSION: ClassVar[int] = 2

    readings: list[Reading]


class ReadingRecorded(Result):
    """A reading (or baseline) just stored, the value it replaced, and any warning."""

    KIND: ClassVar[str] = "reading"

    metric: str
    unit: str
    value: float
    period: str
    baseline: bool
    replaced: float | None
    warning: str = ""


def find_metric(session: Session, metric_id: str) -> tuple[Metric, str]:
    """A KPI's definition and the framework declaring it, or a UsageError naming the known ones."""
    definitions = session.catalog.metrics()
    if metric_id not in definitions:
        known = ", ".join(sorted(definitions)) or "none"
        raise UsageError(f"unknown KPI '{metric_id}' (known: {known})")
    return definitions[metric_id]


def list_metrics(session: Session) -> MetricList:
    """Every metric with its baseline, latest reading and status against its target."""
    readings = session.metrics.load()
    groups: dict[MetricCategory, list[KpiSummary]] = {category: [] for category in MetricCategory}
    for metric_id, (metric, framework) in sorted(session.catalog.metrics().items()):
        view = judge(metric, framework, readings.metrics.get(metric_id))
        groups[metric.category].append(KpiSummary.model_validate(_summary_fields(view)))
    return MetricList(
        metrics=groups[MetricCategory.KPI],
        measures=groups[MetricCategory.MEASURE],
        values=groups[MetricCategory.VALUE],
    )


def show_metric(session: Session, metric_id: str) -> MetricDetail:
    """One metric judged against its target, with every reading."""
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
    from opsctl.review.kpi import unreachable

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
        warning=unreachable(metric, value) if baseline else "",
    )


# --- collecting readings from sources -----------------------------------------------------

Outcome = Literal["recorded", "unchanged", "would record", "skipped"]
Progress = Callable[[list[Metric]], Iterable[Metric]]
"""Wraps the metrics about to be collected, e.g. in a progress bar; yields each once."""


class CollectedLine(View):
    """What collecting did for one metric."""

    metric: str
    unit: str
    period: str
    outcome: Outcome
    value: float | None
    replaced: float | None
    detail: str
    band: str
    provenance: Provenance | None


class CollectedReadings(Result):
    """``opsctl metric collect``: the readings computed, and what was recorded."""

    KIND: ClassVar[str] = "collected"

    period: str
    dry_run: bool
    baseline: bool
    readings: list[CollectedLine]


def _selected(session: Session, metric_ids: list[str]) -> list[Metric]:
    if metric_ids:
        chosen = [find_metric(session, metric_id)[0] for metric_id in dict.fromkeys(metric_ids)]
        manual = [metric.id for metric in chosen if metric.source is None]
        if manual:
            raise UsageError(
                f"{', '.join(manual)}: no source to collect from; "
                "record readings with 'opsctl metric record'"
            )
        return chosen
    chosen = [metric for metric, _ in session.catalog.metrics().values() if metric.source]
    if not chosen:
        raise UsageError("no KPI declares a source: nothing to collect")
    return sorted(chosen, key=lambda metric: metric.id)


def _line(
    metric: Metric, period: str, outcome: Outcome, detail: str, **extra: object
) -> CollectedLine:
    fields: dict[str, object] = {"value": None, "replaced": None, "band": "", "provenance": None}
    fields.update(extra)
    return CollectedLine.model_validate(
        {"metric": metric.id, "unit": metric.unit, "period": period, "outcome": outcome,
         "detail": detail, **fields}
    )  # fmt: skip


def _store(
    session: Session,
    computed: list[tuple[Metric, Collected]],
    month: str,
    *,
    dry_run: bool,
    baseline: bool,
) -> list[CollectedLine]:
    """Record what changed (one transaction); report unchanged readings as such."""
    lines: list[CollectedLine] = []

    def apply(document: MetricsDocument) -> None:
        for metric, collected in computed:
            existing = stored(document, metric.id, month, baseline=baseline)
            band = band_of(metric, collected.value)
            if unchanged(existing, collected.value, collected.provenance):
                outcome: Outcome = "unchanged"
            elif dry_run:
                outcome = "would record"
            else:
                outcome = "recorded"
                record_reading(
                    document,
                    metric.id,
                    collected.value,
                    month,
                    session.actor,
                    session.now(),
                    baseline=baseline,
                    provenance=collected.provenance,
                )
            replaced = existing.value if existing and outcome != "unchanged" else None
            lines.append(
                _line(
                    metric,
                    month,
                    outcome,
                    collected.detail,
                    value=collected.value,
                    replaced=replaced,
                    band=band,
                    provenance=collected.provenance,
                )
            )

    current = session.metrics.load()
    needed = any(
        not unchanged(stored(current, m.id, month, baseline=baseline), c.value, c.provenance)
        for m, c in computed
    )
    if dry_run or not needed:
        apply(current)
    else:
        with session.metrics.update() as document:
            apply(document)
    return lines


def collect_metrics(
    session: Session,
    metric_ids: list[str],
    period: str | None = None,
    *,
    dry_run: bool = False,
    baseline: bool = False,
    run_commands: bool = False,
    progress: Progress | None = None,
) -> CollectedReadings:
    """Compute readings from the metrics' sources and record the new ones.

    Everything is computed before anything is written: a bad input (no git
    repository, a pattern matching nothing, an unreadable file) raises and
    records nothing. A metric whose inputs say nothing about the month is
    skipped with the reason.
    """
    from opsctl.review.sources import NoData, SourceError
    from opsctl.review.sources_collect import Collector

    selected = _selected(session, metric_ids)
    month = parse_period(period) if period is not None else period_of(session.today())
    runs = session.runs
    collector = Collector(
        session.workspace.root,
        month_period(month, "period"),
        run_commands,
        runs.documents,
    )
    computed: list[tuple[Metric, Collected]] = []
    skipped: dict[str, CollectedLine] = {}
    for metric in progress(selected) if progress else selected:
        try:
            computed.append((metric, collector.collect(metric)))
        except NoData as exc:
            skipped[metric.id] = _line(metric, month, "skipped", exc.reason)
        except SourceError as exc:
            hint = "" if metric_ids else "; to collect only some, name them"
            raise SourceError(f"{metric.id}: {exc}{hint}") from None
    lines = {
        line.metric: line
        for line in _store(session, computed, month, dry_run=dry_run, baseline=baseline)
    }
    lines.update(skipped)
    return CollectedReadings(
        period=month,
        dry_run=dry_run,
        baseline=baseline,
        readings=[lines[metric.id] for metric in selected],
    )
