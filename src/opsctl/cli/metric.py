"""``opsctl metric``: record KPI readings and see them against their targets."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from opsctl.cli import state
from opsctl.cli.output import FormatOption, OutputFormat, console, emit, print_columns, safe, say

if TYPE_CHECKING:
    from opsctl.actions.metrics import MetricDetail, MetricList

app = typer.Typer(
    no_args_is_help=True,
    help="Record KPI readings and compare them with targets.\n\nExample: opsctl metric list",
)

MetricArg = typer.Argument(..., metavar="METRIC", help="KPI id (see opsctl metric list).")
PeriodOption = typer.Option(None, "--period", "-p", help="Month, YYYY-MM (default: this month).")


def _fmt(value: float | None, suffix: str = "") -> str:
    return "-" if value is None else f"{value:g}{suffix}"


def print_metrics(result: MetricList) -> None:
    """One line per KPI: baseline, latest reading, change, target, status."""
    print_columns(
        ["KPI", "BASELINE", "LATEST", "CHANGE", "TARGET", "STATUS"],
        [
            [
                kpi.id,
                _fmt(kpi.baseline.value if kpi.baseline else None),
                _fmt(kpi.latest.value if kpi.latest else None)
                + (f" ({kpi.latest.period})" if kpi.latest else ""),
                "-" if kpi.improvement_pct is None else f"{kpi.improvement_pct:+.1f}%",
                f"+{kpi.target_improvement_pct:g}%",
                kpi.status,
            ]
            for kpi in result.metrics
        ],
    )


@app.command("list")
def list_metrics(output_format: OutputFormat = FormatOption) -> None:
    """Every KPI: baseline, latest reading, change, target and whether it is on track.

    Example: opsctl metric list --format json
    """
    from opsctl.actions.metrics import list_metrics as list_kpis

    result = list_kpis(state.session())
    if output_format is OutputFormat.JSON:
        emit(result)
        return
    print_metrics(result)


def _record(
    metric_id: str, value: float, period: str | None, note: str | None, baseline: bool
) -> None:
    from opsctl.actions.metrics import record_metric

    result = record_metric(state.session(), metric_id, value, period, note, baseline=baseline)
    what = "baseline" if result.baseline else "reading"
    replaced = f" (replaces {result.replaced:g})" if result.replaced is not None else ""
    say(f"{result.metric}: {what} {result.value:g} {result.unit} for {result.period}{replaced}")


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


def print_metric(result: MetricDetail) -> None:
    """Title, status message, and a bar per reading (the baseline first, shaded)."""
    out = console()
    out.print(f"[bold]{result.title}[/] ({result.id}, {result.unit}; {result.direction} is better)")
    out.print(result.message)
    if not result.readings:
        return
    values = [reading.value for reading in result.readings]
    if result.baseline:
        values.append(result.baseline.value)
    top = max(abs(value) for value in values) or 1.0
    width = 40
    if result.baseline:
        bar = "░" * max(1, round(abs(result.baseline.value) / top * width))
        out.print(f"{'baseline':>8} {bar} {result.baseline.value:g} ({result.baseline.period})")
    for reading in result.readings:
        bar = "█" * max(1, round(abs(reading.value) / top * width))
        note = f"  [dim]{safe(reading.note)}[/]" if reading.note else ""
        out.print(f"{reading.period:>8} [cyan]{bar}[/] {reading.value:g}{note}", highlight=False)


@app.command("show")
def show(metric_id: str = MetricArg, output_format: OutputFormat = FormatOption) -> None:
    """Readings of one KPI over time, with a small chart.

    Example: opsctl metric show development-efficiency
    """
    from opsctl.actions.metrics import show_metric

    result = show_metric(state.session(), metric_id)
    if output_format is OutputFormat.JSON:
        emit(result)
        return
    print_metric(result)
