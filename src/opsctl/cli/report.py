"""``opsctl report`` (monthly and quarterly reviews) and ``opsctl review due``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from opsctl import clock
from opsctl.cli import state
from opsctl.cli.output import FormatOption, OutputFormat, emit_json, print_columns, say
from opsctl.errors import EXIT_FAILED
from opsctl.review.periods import Period, last_complete, month, quarter

app = typer.Typer(
    no_args_is_help=True,
    help="Render the monthly and quarterly review reports.\n\n"
    "Example: opsctl report monthly --month 2026-11",
)
review_app = typer.Typer(
    no_args_is_help=True, help="The review cycle: what is due.\n\nExample: opsctl review due"
)

OutputOption = typer.Option(
    None, "--output", "-o", help="Write the report here (and record the review as held)."
)
StampOption = typer.Option(
    False, "--stamp", help="Add the generation time (off by default, so reports are reproducible)."
)


def _emit(kind: str, period: Period, output: Path | None, stamp: bool) -> None:
    from opsctl.actions.identity import current_actor
    from opsctl.actions.reports import save_report
    from opsctl.review.render import workspace_report

    stamped = clock.now().strftime("%Y-%m-%d %H:%M UTC") if stamp else ""
    text = workspace_report(state.workspace(), state.catalog(), kind, period, stamped)
    if output is None:
        typer.echo(text, nl=False)
        return
    save_report(state.workspace(), kind, period.label, text, output, current_actor(), clock.now())
    say(f"wrote {output} ({kind} review of {period.label})")


@app.command("monthly")
def monthly(
    month_label: str | None = typer.Option(
        None, "--month", "-m", help="YYYY-MM (default: the last complete month)."
    ),
    output: Path | None = OutputOption,
    stamp: bool = StampOption,
) -> None:
    """Render the monthly operations validation report (Markdown).

    Example: opsctl report monthly --month 2026-11 --output reports/2026-11.md
    """
    period = month(month_label) if month_label else last_complete("monthly", clock.today())
    _emit("monthly", period, output, stamp)


@app.command("quarterly")
def quarterly(
    quarter_label: str | None = typer.Option(
        None, "--quarter", "-q", help="YYYY-Qn (default: the last complete quarter)."
    ),
    output: Path | None = OutputOption,
    stamp: bool = StampOption,
) -> None:
    """Render the quarterly optimization review (Markdown), with recommendations.

    Example: opsctl report quarterly --quarter 2026-Q4 --output reports/2026-Q4.md
    """
    period = quarter(quarter_label) if quarter_label else last_complete("quarterly", clock.today())
    _emit("quarterly", period, output, stamp)


def _first_activity() -> dt.date | None:
    from opsctl.store.metrics import MetricsStore

    store = state.store()
    headers, _ = store.headers()
    dates = [header.created.date() for header in headers]
    readings = MetricsStore(state.workspace()).load()
    dates += [event.at.date() for event in readings.history]
    return min(dates) if dates else None


def _hold_command(cadence: str, period: str) -> str:
    flag = "--month" if cadence == "monthly" else "--quarter"
    return f"opsctl report {cadence} {flag} {period} --output reports/{period}.md"


@review_app.command("due")
def due(output_format: OutputFormat = FormatOption) -> None:
    """List monthly and quarterly reviews due or overdue; exit 1 when one is overdue.

    A review is held when its report is written with --output. Reviews are
    due when their period ends and overdue 14 days later.

    Example: opsctl review due
    """
    from opsctl.review.cadence import due_reviews
    from opsctl.store.reviews import ReviewStore

    cadences = {
        review.cadence.value
        for framework in state.catalog().frameworks()
        for review in framework.review
    }
    found = due_reviews(
        cadences, _first_activity(), ReviewStore(state.workspace()).load(), clock.today()
    )
    if output_format is OutputFormat.JSON:
        emit_json(
            "reviews-due",
            {
                "reviews": [
                    {
                        "cadence": r.cadence,
                        "period": r.period,
                        "due": r.due.isoformat(),
                        "overdue": r.overdue,
                    }
                    for r in found
                ]
            },
        )
    elif not found:
        say("no reviews due")
    else:
        print_columns(
            ["CADENCE", "PERIOD", "DUE", "STATE", "TO HOLD IT"],
            [
                [
                    r.cadence,
                    r.period,
                    r.due.isoformat(),
                    "overdue" if r.overdue else "due",
                    _hold_command(r.cadence, r.period),
                ]
                for r in found
            ],
        )
    if any(r.overdue for r in found):
        raise typer.Exit(EXIT_FAILED)


def demo(
    path: Path = typer.Argument(Path("opsctl-demo"), help="A new folder for the demo workspace."),
) -> None:
    """Build a sample workspace with runs, a waiver, a blocked item and KPIs, and its reports.

    Everything is recorded through the same engine your commands use; the
    demo then renders the monthly and quarterly reviews into PATH/reports/.

    Example: opsctl demo /tmp/opsctl-demo
    """
    from opsctl.actions.demo import build_demo

    result = build_demo(path, state.catalog(), clock.today())
    say(f"built a demo workspace in {result.workspace.root}")
    for report_path in result.reports:
        say(f"  report: {report_path}")
    say("explore it:")
    for line in (
        f"cd {path}",
        "opsctl runs",
        "opsctl status rel-2-4 --all",
        "opsctl check --all",
        "opsctl metric list",
        "opsctl metric show development-efficiency",
        "opsctl waivers",
        "opsctl review due",
        "opsctl walk checkout-redesign",
    ):
        say(f"  {line}")
