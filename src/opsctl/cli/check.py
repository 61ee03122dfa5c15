"""``opsctl check``: the CI gate."""

from __future__ import annotations

import os
from collections.abc import Iterable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer

from opsctl.cli import state
from opsctl.cli.output import console, emit, err_console, say
from opsctl.errors import CheckFailed, UsageError

if TYPE_CHECKING:
    from opsctl.actions.check import CheckOutcome, ReportFormat

T = TypeVar("T")


class CheckFormat(str, Enum):
    """Formats of the check report."""

    TEXT = "text"
    JSON = "json"
    JUNIT = "junit"
    GITHUB = "github"
    MARKDOWN = "markdown"


def _writable(output: Path) -> None:
    found = state.workspace_or_none()
    if found is not None:
        found.guard_output(output)
    folder = output.parent if str(output.parent) else Path()
    if output.is_dir():
        raise UsageError(f"--output {output}: is a directory")
    if not folder.is_dir():
        raise UsageError(f"--output {output}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (output.exists() and not os.access(output, os.W_OK)):
        raise UsageError(f"--output {output}: not writable")


def _validate(
    run_id: str | None, all_runs: bool, output_format: CheckFormat, output: Path | None
) -> None:
    """Refuse a bad combination of arguments before anything runs."""
    if output is not None:
        if output_format is CheckFormat.TEXT:
            raise UsageError("--output needs --format json, junit, github or markdown")
        _writable(output)
    state.workspace()  # outside a workspace, say so before anything else
    if all_runs == (run_id is not None):
        raise UsageError("name one RUN, or pass --all for every active run")


def _progress(checks: list[T]) -> Iterable[T]:
    """A progress bar over the automated checks, on a terminal and for two or more."""
    if not console().is_terminal or len(checks) < 2:
        return checks
    from rich.progress import track

    return track(checks, description="running checks", console=console(), transient=True)


def _publish(result: CheckOutcome, report_format: ReportFormat, output: Path | None) -> None:
    from opsctl.actions.check import ReportFormat, render_check, write_check

    if output is not None:
        write_check(result, report_format, output)
        say(f"wrote {report_format.value} report to {output}")
    elif report_format is ReportFormat.JSON:
        emit(result)
    else:
        typer.echo(render_check(result, report_format), nl=False)


def _step_summary(result: CheckOutcome) -> None:
    """Add the Markdown summary to a GitHub Actions job's summary, when there is one."""
    from opsctl.actions.check import append_summary

    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    problem = append_summary(result, summary_file) if summary_file else None
    if problem is not None:
        err_console().print(
            f"opsctl: warning: GITHUB_STEP_SUMMARY {summary_file}: {problem}", markup=False
        )


def check(
    run_id: str | None = typer.Argument(None, metavar="[RUN]", help="Run id; or --all."),
    all_runs: bool = typer.Option(False, "--all", help="Check every active run."),
    phase: str = typer.Option(
        "current", "--phase", help="current, all (up to the current one), or a phase id."
    ),
    output_format: CheckFormat = typer.Option(
        CheckFormat.TEXT, "--format", "-f", help="text, json, junit, github or markdown."
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report here."),
    run_checks: bool = typer.Option(
        False, "--run-checks", help="Also run the items' automated checks (file, command, metric)."
    ),
) -> None:
    """Fail (exit 1) while a required item or sign-off is missing; for CI.

    Exit 0 when every required item is complete (done, or waived by a
    skip that has not expired) and every required sign-off is present;
    1 when something is missing, each listed with its owner; 2 on bad input.

    Example: opsctl check --all --phase all --format junit --output opsctl.xml
    """
    from opsctl.actions.check import ReportFormat, check_runs
    from opsctl.cli.render import print_check

    _validate(run_id, all_runs, output_format, output)
    result = check_runs(state.session(), run_id, phase, run_checks, _progress)
    if output_format is CheckFormat.TEXT or output is not None:
        print_check(result.report)
    if output_format is not CheckFormat.TEXT:
        _publish(result, ReportFormat(output_format.value), output)
    if output_format is CheckFormat.GITHUB:
        _step_summary(result)
    if not result.ok:
        raise CheckFailed()
