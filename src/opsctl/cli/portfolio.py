"""``opsctl portfolio``: status and review reports across an organisation's workspaces."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from opsctl.cli.output import FormatOption, OutputFormat, emit, err_console, print_columns, say
from opsctl.cli.report import ReportFormat, StampOption
from opsctl.errors import CheckFailed

if TYPE_CHECKING:
    from opsctl.actions.portfolio import PortfolioStatus, TeamFigures
    from opsctl.actions.portfolio_sources import Selection

app = typer.Typer(
    no_args_is_help=True,
    help="Status and review reports across many workspaces (local folders or git repositories).\n\n"
    "Sources come from portfolio.yaml (here, or --file) and --source flags. A source that "
    "cannot be reached or read is listed with its reason; with --strict it fails the command "
    "(exit 1). A bad portfolio.yaml or flag is exit 2.\n\n"
    "Example: opsctl portfolio status --source ../payments --source https://git.example.com/web.git#main",
)


FileOption = typer.Option(
    None, "--file", "-p", help="The portfolio file (default: ./portfolio.yaml, if there is one)."
)
SourceOption = typer.Option(
    [],
    "--source",
    "-s",
    help="A workspace folder, or a git URL with an optional #branch-or-tag (repeatable).",
)
CacheOption = typer.Option(
    None,
    "--cache",
    help="Where git sources are cloned (default: $XDG_CACHE_HOME/opsctl/portfolio).",
)
StrictOption = typer.Option(
    False, "--strict", help="Exit 1 when a source cannot be reached or read."
)


@contextmanager
def _progress() -> Iterator[Callable[[int, int, str], None] | None]:
    """A progress bar on stderr while sources are read; nothing when stderr is not a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err_console(), transient=True) as bar:
        task = bar.add_task("reading sources", total=None)

        def advance(done: int, total: int, label: str) -> None:
            shown = f"reading {label}" if label else "done"
            bar.reset(task, completed=done, total=total, description=shown)

        yield advance


def _selection(portfolio_file: Path | None, sources: list[str], cache: Path | None) -> Selection:
    from opsctl.actions.portfolio_sources import select_sources

    return select_sources(portfolio_file, sources, cache, Path.cwd())


def _figures(figures: TeamFigures) -> list[str]:
    kpis = figures.kpis
    attainment = "-" if kpis.attainment_pct is None else f"{kpis.attainment_pct:.1f}%"
    judged = kpis.on_track + kpis.at_risk + kpis.off_track
    return [
        str(figures.runs_active),
        str(figures.runs_completed),
        str(figures.runs_overdue),
        str(figures.waiting_signoffs),
        f"{kpis.on_track}/{judged}",
        attainment,
    ]


def print_status(result: PortfolioStatus) -> None:
    """One line per team, then the organisation's totals; unreadable sources say why."""
    rows = []
    for team in result.teams:
        if team.figures is None:
            rows.append([team.team, "unreadable", "", "", "", "", "", team.source, team.reason])
        else:
            rows.append([team.team, *_figures(team.figures), team.source, ""])
    rows.append(["TOTAL", *_figures(result.overall), "", ""])
    print_columns(
        [
            "TEAM",
            "ACTIVE",
            "DONE",
            "OVERDUE",
            "SIGN-OFFS",
            "KPIS ON TRACK",
            "ATTAINMENT",
            "SOURCE",
            "PROBLEM",
        ],
        rows,
    )


@app.command("status")
def status(
    portfolio_file: Path | None = FileOption,
    sources: list[str] = SourceOption,
    cache: Path | None = CacheOption,
    strict: bool = StrictOption,
    output_format: OutputFormat = FormatOption,
) -> None:
    """One line per team: runs by state, overdue runs, sign-offs waited for, KPI attainment.

    The figures are each team's own: 'opsctl runs', 'opsctl status RUN' (the
    current phase's waiting sign-offs) and 'opsctl metric list'.

    Example: opsctl portfolio status --file portfolio.yaml --strict
    """
    from opsctl.actions.portfolio import portfolio_status

    selection = _selection(portfolio_file, sources, cache)
    with _progress() as advance:
        result = portfolio_status(selection, advance)
    if output_format is OutputFormat.JSON:
        emit(result)
    else:
        print_status(result)
    if strict and result.unreadable:
        raise CheckFailed()


FormatReportOption = typer.Option(
    ReportFormat.MARKDOWN, "--format", "-f", help="markdown, html (self-contained) or json."
)
OutputDirOption = typer.Option(
    None,
    "--output",
    "-o",
    help="Write the review and each team's own report (linked) into this folder.",
)


def _report(
    cadence: str,
    label: str | None,
    options: tuple[Path | None, list[str], Path | None, bool],
    report_format: ReportFormat,
    output: Path | None,
    stamp: bool,
) -> None:
    from opsctl.actions.portfolio_render import portfolio_review

    portfolio_file, sources, cache, strict = options
    selection = _selection(portfolio_file, sources, cache)
    with _progress() as advance:
        review = portfolio_review(
            selection, cadence, label, report_format.value, output, stamp=stamp, advance=advance
        )
    if output is None:
        sys.stdout.write(review.text)
    else:
        for path in review.written:
            say(f"wrote {path}")
    unreadable = [team for team in review.report.teams if team.reason]
    for team in unreadable:
        err_console().print(
            f"opsctl: warning: {team.team} ({team.source}) not read: {team.reason}",
            markup=False,
            highlight=False,
        )
    if strict and unreadable:
        raise CheckFailed()


report_app = typer.Typer(
    no_args_is_help=True,
    help="The organisation's monthly or quarterly review.\n\n"
    "Example: opsctl portfolio report quarterly --format html --output review/",
)
app.add_typer(report_app, name="report")


@report_app.command("monthly")
def monthly(
    month_label: str | None = typer.Option(
        None, "--month", "-m", help="YYYY-MM (default: the last complete month)."
    ),
    portfolio_file: Path | None = FileOption,
    sources: list[str] = SourceOption,
    cache: Path | None = CacheOption,
    strict: bool = StrictOption,
    report_format: ReportFormat = FormatReportOption,
    output: Path | None = OutputDirOption,
    stamp: bool = StampOption,
) -> None:
    """The monthly review across teams: KPIs per team and overall, runs needing attention.

    Example: opsctl portfolio report monthly --month 2026-11 --output review/
    """
    options = (portfolio_file, sources, cache, strict)
    _report("monthly", month_label, options, report_format, output, stamp)


@report_app.command("quarterly")
def quarterly(
    quarter_label: str | None = typer.Option(
        None, "--quarter", "-q", help="YYYY-Qn (default: the last complete quarter)."
    ),
    portfolio_file: Path | None = FileOption,
    sources: list[str] = SourceOption,
    cache: Path | None = CacheOption,
    strict: bool = StrictOption,
    report_format: ReportFormat = FormatReportOption,
    output: Path | None = OutputDirOption,
    stamp: bool = StampOption,
) -> None:
    """The quarterly review across teams: KPIs per team and overall, runs needing attention.

    Example: opsctl portfolio report quarterly --quarter 2026-Q4 --format html --output review/
    """
    options = (portfolio_file, sources, cache, strict)
    _report("quarterly", quarter_label, options, report_format, output, stamp)
