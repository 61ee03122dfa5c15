"""``opsctl metric``: record KPI readings and see them against their targets."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from opsctl import clock
from opsctl.actions.identity import current_actor
from opsctl.cli import state
from opsctl.cli.output import (
    FormatOption,
    OutputFormat,
    console,
    emit_json,
    print_columns,
    safe,
    say,
)
from opsctl.errors import UsageError

if TYPE_CHECKING:
    from opsctl.definitions.model import Metric
    from opsctl.review.kpi import KpiView

app = typer.Typer(
    no_args_is_help=True,
    help="Record KPI readings and compare them with targets.\n\nExample: opsctl metric list",
)

MetricArg = typer.Argument(..., metavar="METRIC", help="KPI id (see opsctl metric list).")
PeriodOption = typer.Option(None, "--period", "-p", help="Month, YYYY-MM (default: this month).")


def _definitions() -> dict[str, tuple[Metric, str]]:
    return state.catalog().metrics()


def _metric(metric_id: str) -> tuple[Metric, str]:
    definitions = _definitions()
    if metric_id not in definitions:
        known = ", ".join(sorted(definitions)) or "none"
        raise UsageError(f"unknown KPI '{metric_id}' (known: {known})")
    return definitions[metric_id]


def _view_json(view: KpiView) -> dict[str, object]:
    return {
        "id": view.metric.id,
        "title": view.metric.title,
        "framework": view.framework,
        "unit": view.metric.unit,
        "direction": view.metric.direction.value,
        "target_improvement_pct": view.metric.target_improvement_pct,
        "baseline": view.baseline.model_dump(mode="json") if view.baseline else None,
        "latest": view.latest.model_dump(mode="json") if view.latest else None,
        "improvement_pct": view.improvement_pct,
        "progress_pct": view.progress_pct,
        "expected_pct": view.expected_pct,
        "status": view.status.value,
        "message": view.message,
    }


def _fmt(value: float | None, suffix: str = "") -> str:
    return "-" if value is None else f"{value:g}{suffix}"


@app.command("list")
def list_metrics(output_format: OutputFormat = FormatOption) -> None:
    """Every KPI: baseline, latest reading, change, target and whether it is on track.

    Example: opsctl metric list --format json
    """
    from opsctl.review.kpi import judge
    from opsctl.store.metrics import MetricsStore

    readings = MetricsStore(state.workspace()).load()
    views = [
        judge(metric, framework, readings.metrics.get(metric_id))
        for metric_id, (metric, framework) in sorted(_definitions().items())
    ]
    if output_format is OutputFormat.JSON:
        emit_json("metrics", {"metrics": [_view_json(view) for view in views]})
        return
    print_columns(
        ["KPI", "BASELINE", "LATEST", "CHANGE", "TARGET", "STATUS"],
        [
            [
                view.metric.id,
                _fmt(view.baseline.value if view.baseline else None),
                _fmt(view.latest.value if view.latest else None)
                + (f" ({view.latest.period})" if view.latest else ""),
                "-" if view.improvement_pct is None else f"{view.improvement_pct:+.1f}%",
                f"+{view.metric.target_improvement_pct:g}%",
                view.status.value,
            ]
            for view in views
        ],
    )


def _record(
    metric_id: str, value: float, period: str | None, note: str | None, baseline: bool
) -> None:
    from opsctl.review.periods import period_of
    from opsctl.review.readings import parse_period, record_reading
    from opsctl.store.metrics import MetricsStore

    metric, _ = _metric(metric_id)
    month = parse_period(period) if period else period_of(clock.today())
    with MetricsStore(state.workspace()).update() as document:
        previous = record_reading(
            document,
            metric.id,
            value,
            month,
            current_actor(),
            clock.now(),
            note,
            baseline=baseline,
        )
    what = "baseline" if baseline else "reading"
    replaced = f" (replaces {previous.value:g})" if previous else ""
    say(f"{metric.id}: {what} {value:g} {metric.unit} for {month}{replaced}")


@app.command("record")
def record(
    metric_id: str = MetricArg,
    value: float = typer.Argument(
        ..., help="The reading, in the KPI's unit (a negative one goes after --)."
    ),
    period: str | None = PeriodOption,
    note: str | None = typer.Option(None, "--note", "-m", help="Where the number comes from."),
) -> None:
    """Record a KPI reading for a month; a later reading for the same month replaces it.

    Example: opsctl metric record development-efficiency 31.5 --period 2026-11
    """
    _record(metric_id, value, period, note, baseline=False)


@app.command("baseline")
def baseline(
    metric_id: str = MetricArg,
    value: float = typer.Argument(..., help="The baseline, in the KPI's unit."),
    period: str | None = PeriodOption,
    note: str | None = typer.Option(None, "--note", "-m", help="Where the number comes from."),
) -> None:
    """Set the baseline a KPI's improvement is measured against.

    Example: opsctl metric baseline development-efficiency 21.0 --period 2026-01
    """
    _record(metric_id, value, period, note, baseline=True)


@app.command("show")
def show(metric_id: str = MetricArg, output_format: OutputFormat = FormatOption) -> None:
    """Readings of one KPI over time, with a small chart.

    Example: opsctl metric show development-efficiency
    """
    from opsctl.review.kpi import judge
    from opsctl.store.metrics import MetricsStore

    metric, framework = _metric(metric_id)
    record = MetricsStore(state.workspace()).load().metrics.get(metric.id)
    view = judge(metric, framework, record)
    readings = record.ordered() if record else []
    if output_format is OutputFormat.JSON:
        emit_json(
            "metric",
            {**_view_json(view), "readings": [r.model_dump(mode="json") for r in readings]},
        )
        return
    out = console()
    out.print(
        f"[bold]{metric.title}[/] ({metric.id}, {metric.unit}; {metric.direction.value} is better)"
    )
    out.print(view.message)
    if not readings:
        return
    values = [reading.value for reading in readings]
    if view.baseline:
        values.append(view.baseline.value)
    top = max(abs(value) for value in values) or 1.0
    width = 40
    if view.baseline:
        bar = "░" * max(1, round(abs(view.baseline.value) / top * width))
        out.print(f"{'baseline':>8} {bar} {view.baseline.value:g} ({view.baseline.period})")
    for reading in readings:
        bar = "█" * max(1, round(abs(reading.value) / top * width))
        note = f"  [dim]{safe(reading.note)}[/]" if reading.note else ""
        out.print(f"{reading.period:>8} [cyan]{bar}[/] {reading.value:g}{note}", highlight=False)
