"""``opsctl report`` (monthly and quarterly reviews) and ``opsctl review due``."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from opsctl.cli import state
from opsctl.cli.output import FormatOption, OutputFormat, emit, print_columns, say
from opsctl.errors import CheckFailed, UsageError

if TYPE_CHECKING:
    from opsctl.actions.reports import ReviewsDue

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


class ReportFormat(str, Enum):
    """How a report is written."""

    MARKDOWN = "markdown"
    HTML = "html"
    JSON = "json"


ReportFormatOption = typer.Option(
    ReportFormat.MARKDOWN,
    "--format",
    "-f",
    help="markdown; html (one self-contained page, print-friendly); "
    "json (every figure of the report, for programs and for checking it).",
)


def _report(
    cadence: str, label: str | None, output: Path | None, stamp: bool, output_format: ReportFormat
) -> None:
    from opsctl.actions.report_figures import report_figures
    from opsctl.actions.reports import render_report

    if output_format is ReportFormat.JSON:
        if output is not None:
            raise UsageError("--output: writes a report (markdown or html), not its JSON figures")
        emit(report_figures(state.session(), cadence, label))
        return
    result = render_report(
        state.session(), cadence, label, output, stamp=stamp, output_format=output_format.value
    )
    if result.output is None:
        typer.echo(result.text, nl=False)
        return
    say(f"wrote {result.output} ({result.cadence} review of {result.period})")


@app.command("monthly")
def monthly(
    month_label: str | None = typer.Option(
        None, "--month", "-m", help="YYYY-MM (default: the last complete month)."
    ),
    output: Path | None = OutputOption,
    stamp: bool = StampOption,
    output_format: ReportFormat = ReportFormatOption,
) -> None:
    """Render the monthly operations validation report (Markdown, HTML or its figures as JSON).

    Example: opsctl report monthly --month 2026-11 --format html --output reports/2026-11.html
    """
    _report("monthly", month_label, output, stamp, output_format)


@app.command("quarterly")
def quarterly(
    quarter_label: str | None = typer.Option(
        None, "--quarter", "-q", help="YYYY-Qn (default: the last complete quarter)."
    ),
    output: Path | None = OutputOption,
    stamp: bool = StampOption,
    output_format: ReportFormat = ReportFormatOption,
) -> None:
    """Render the quarterly optimization review (Markdown, HTML or its figures as JSON).

    Example: opsctl report quarterly --quarter 2026-Q4 --output reports/2026-Q4.md
    """
    _report("quarterly", quarter_label, output, stamp, output_format)


def _hold_command(cadence: str, period: str) -> str:
    flag = "--month" if cadence == "monthly" else "--quarter"
    return f"opsctl report {cadence} {flag} {period} --output reports/{period}.md"


def print_reviews_due(result: ReviewsDue) -> None:
    """One line per review due, with the command that holds it."""
    if not result.reviews:
        say("no reviews due")
        return
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
            for r in result.reviews
        ],
    )


@review_app.command("due")
def due(output_format: OutputFormat = FormatOption) -> None:
    """List monthly and quarterly reviews due or overdue; exit 1 when one is overdue.

    A review is held when its report is written with --output. Reviews are
    due when their period ends and overdue 14 days later.

    Example: opsctl review due
    """
    from opsctl.actions.reports import reviews_due

    result = reviews_due(state.session())
    if output_format is OutputFormat.JSON:
        emit(result)
    else:
        print_reviews_due(result)
    if result.overdue:
        raise CheckFailed()


def demo(
    path: Path = typer.Argument(Path("opsctl-demo"), help="A new folder for the demo workspace."),
) -> None:
    """Build a sample workspace with runs, a waiver, a blocked item and KPIs, and its reports.

    Everything is recorded through the same engine your commands use; the
    demo then renders the monthly and quarterly reviews into PATH/reports/.

    Example: opsctl demo /tmp/opsctl-demo
    """
    from opsctl.actions.demo import demo_workspace

    result = demo_workspace(state.session(), path)
    say(f"built a demo workspace in {result.workspace}")
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
