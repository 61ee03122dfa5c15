"""``opsctl metric``: record or collect KPI readings and see them against their targets."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeVar

import typer

from opsctl.cli import completion, state
from opsctl.cli.output import (
    FormatOption,
    OutputFormat,
    console,
    emit,
    err_console,
    is_terminal,
    print_columns,
    safe,
    say,
    warn,
)

if TYPE_CHECKING:
    from opsctl.actions.metrics import CollectedReadings, KpiSummary, MetricDetail, MetricList

T = TypeVar("T")

app = typer.Typer(
    no_args_is_help=True,
    help="Record KPI readings and compare them with targets.\n\nExample: opsctl metric list",
)

MetricArg = typer.Argument(
    ...,
    metavar="METRIC",
    autocompletion=completion.metric_ids,
    help="KPI id (see opsctl metric list).",
)
PeriodOption = typer.Option(None, "--period", "-p", help="Month, YYYY-MM (default: this month).")


def _fmt(value: float | None, suffix: str = "") -> str:
    from opsctl.definitions.metric import number_text

    return "-" if value is None else f"{number_text(value)}{suffix}"


def _latest(kpi: KpiSummary) -> str:
    return _fmt(kpi.latest.value if kpi.latest else None) + (
        f" ({kpi.latest.period})" if kpi.latest else ""
    )


def _warning(message: str) -> None:
    """A warning on stderr (the command still succeeds)."""
    if message:
        warn(f"opsctl: warning: {message}")


def _change(kpi: KpiSummary) -> str:
    """The change from the baseline, with the reports' sign convention: ``-21.7% (better)``."""
    from opsctl.review.figures import change_text, raw_change

    if kpi.baseline is None or kpi.latest is None:
        return "-"
    moved = raw_change(kpi.baseline.value, kpi.latest.value)
    return "-" if moved is None else change_text(moved, kpi.direction)


def print_metrics(result: MetricList) -> None:
    """KPIs (baseline, latest, change, target, status), then measures, then value metrics."""
    print_columns(
        ["KPI", "BASELINE", "LATEST", "CHANGE", "TARGET", "STATUS"],
        [
            [
                kpi.id,
                _fmt(kpi.baseline.value if kpi.baseline else None),
                _latest(kpi),
                _change(kpi),
                kpi.target_label,
                kpi.status,
            ]
            for kpi in result.metrics
        ],
    )
    if result.measures:
        say("")
        print_columns(
            ["MEASURE", "LATEST", "UNIT", "BAND", "SOURCE"],
            [[m.id, _latest(m), m.unit, m.band or "-", m.source] for m in result.measures],
        )
    if result.values:
        say("")
        print_columns(
            ["VALUE", "EXPECTED", "REALISED", "UNIT"],
            [[v.id, v.target_label, _latest(v), v.unit] for v in result.values],
        )


@app.command("list")
def list_metrics(output_format: OutputFormat = FormatOption) -> None:
    """Every KPI against its target, then the measures (DORA bands) and the programme's value.

    Example: opsctl metric list --format json
    """
    from opsctl.actions.sources import metrics_source
    from opsctl.cli.answers import answer

    session = state.session()

    def produce() -> None:
        from opsctl.actions.metrics import list_metrics as list_kpis

        result = list_kpis(session)
        if output_format is OutputFormat.JSON:
            emit(result)
            return
        print_metrics(result)

    request = ["metric list", output_format.value]
    answer(session, request, lambda: metrics_source(session), produce)


def _record(
    metric_id: str, value: float, period: str | None, note: str | None, baseline: bool
) -> None:
    from opsctl.actions.metrics import record_metric

    result = record_metric(state.session(), metric_id, value, period, note, baseline=baseline)
    what = "baseline" if result.baseline else "reading"
    replaced = f" (replaces {result.replaced:g})" if result.replaced is not None else ""
    say(f"{result.metric}: {what} {result.value:g} {result.unit} for {result.period}{replaced}")
    _warning(result.warning)


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

    Warns when the target cannot be reached from this baseline within the
    KPI's bounds.

    Example: opsctl metric baseline development-efficiency 21.0 --period 2026-01
    """
    _record(metric_id, value, period, note, baseline=True)


def _bar(value: float, top: float, char: str) -> str:
    return char * max(1, round(abs(value) / top * 40))


def print_metric(result: MetricDetail) -> None:
    """Title, status, assumption, and a bar per reading with where it came from."""
    from opsctl.review.kpi import provenance_text

    out = console()
    unit = safe(result.unit)
    out.print(f"[bold]{safe(result.title)}[/] ({result.id}, {unit}; {result.direction} is better)")
    out.print(safe(result.message), highlight=False)
    if result.band:
        out.print(f"DORA band: {result.band} (latest reading)")
    if result.deadline:
        out.print(f"target {safe(result.target_label)}, {safe(result.deadline)}", highlight=False)
    if result.assumption:
        out.print(f"[dim]assumption:[/] {safe(result.assumption)}", highlight=False)
    if not result.readings:
        return
    values = [reading.value for reading in result.readings]
    if result.baseline:
        values.append(result.baseline.value)
    top = max(abs(value) for value in values) or 1.0
    if result.baseline:
        bar = _bar(result.baseline.value, top, "░")
        base = result.baseline
        where = f"  [dim]{safe(provenance_text(base))}[/]"
        out.print(f"{'baseline':>8} {bar} {base.value:g} ({base.period}){where}", highlight=False)
    for reading in result.readings:
        bar = _bar(reading.value, top, "█")
        note = f"  [dim]{safe(reading.note)}[/]" if reading.note else ""
        where = f"  [dim]{safe(provenance_text(reading))}[/]"
        out.print(
            f"{reading.period:>8} [cyan]{bar}[/] {reading.value:g}{note}{where}", highlight=False
        )


@app.command("show")
def show(metric_id: str = MetricArg, output_format: OutputFormat = FormatOption) -> None:
    """Readings of one KPI over time, with a small chart, the assumption and each source.

    Example: opsctl metric show development-efficiency
    """
    from opsctl.actions.metrics import show_metric

    result = show_metric(state.session(), metric_id)
    if output_format is OutputFormat.JSON:
        emit(result)
        return
    print_metric(result)
    _warning(result.warning)


def _progress(metrics: list[T]) -> Iterable[T]:
    """A progress bar on stderr while collecting two or more, silent off a terminal."""
    if len(metrics) < 2 or not is_terminal(sys.stderr):
        return metrics
    out = err_console()
    from rich.progress import track

    return track(metrics, description="collecting", console=out, transient=True)


def print_collected(result: CollectedReadings) -> None:
    """One line per metric: the value, what it was computed from, and what was done."""
    for line in result.readings:
        if line.value is None:
            say(f"{line.metric}: skipped, {line.detail}")
            continue
        band = f", DORA {line.band}" if line.band else ""
        replaced = f", replaces {line.replaced:g}" if line.replaced is not None else ""
        what = "baseline " if result.baseline else ""
        say(
            f"{line.metric}: {what}{line.value:g} {line.unit} for {line.period} "
            f"({line.detail}{band}) {line.outcome}{replaced}"
        )


@app.command("collect")
def collect(
    metric_ids: list[str] = typer.Argument(
        None,
        metavar="[METRIC]...",
        autocompletion=completion.metric_ids,
        help="KPIs to collect (default: every one with a source).",
    ),
    period: str | None = PeriodOption,
    dry_run: bool = typer.Option(False, "--dry-run", "-n", help="Compute, record nothing."),
    as_baseline: bool = typer.Option(False, "--baseline", help="Record them as baselines."),
    run_commands: bool = typer.Option(
        False, "--run-commands", help="Also run command sources (they run nothing otherwise)."
    ),
    output_format: OutputFormat = FormatOption,
) -> None:
    """Compute readings from their sources (git, runs, JUnit files, commands) and record them.

    Each reading keeps its provenance. Collecting again over the same inputs
    changes nothing; bad inputs record nothing (exit 2).

    Example: opsctl metric collect --period 2026-11
    """
    from opsctl.actions.metrics import collect_metrics

    result = collect_metrics(
        state.session(),
        metric_ids or [],
        period,
        dry_run=dry_run,
        baseline=as_baseline,
        run_commands=run_commands,
        progress=_progress,
    )
    if output_format is OutputFormat.JSON:
        emit(result)
        return
    print_collected(result)
