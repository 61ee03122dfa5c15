"""``opsctl check``: the CI gate."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer

from opsctl.cli import completion, state
from opsctl.cli.output import console, emit, is_terminal, say, warn
from opsctl.cli.selectors import (
    AssigneeOption,
    DueBeforeOption,
    FrameworkOption,
    LabelOption,
    OverdueOption,
    StatusChoice,
    StatusOption,
    selector,
)
from opsctl.errors import CheckFailed, UsageError

if TYPE_CHECKING:
    from opsctl.actions.check import CheckOutcome, ReportFormat
    from opsctl.gate.check import Demand

T = TypeVar("T")


class CheckFormat(str, Enum):
    """Formats of the check report."""

    TEXT = "text"
    JSON = "json"
    JUNIT = "junit"
    GITHUB = "github"
    MARKDOWN = "markdown"


def _writable(output: Path) -> None:
    """Refuse an ``--output`` before the check runs: only a new or regular file is written."""
    from opsctl.actions.check import check_output

    found = state.workspace_or_none()
    if found is not None:
        found.guard_output(output)
    check_output(output)
    folder = output.parent if str(output.parent) else Path()
    if not folder.is_dir():
        raise UsageError(f"--output {output}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (output.exists() and not os.access(output, os.W_OK)):
        raise UsageError(f"--output {output}: not writable")


def _validate(
    run_id: str | None,
    all_runs: bool,
    ref: str | None,
    output_format: CheckFormat,
    output: Path | None,
    selected: bool = False,
) -> None:
    """Refuse a bad combination of arguments before anything runs.

    Selectors narrow --all (and imply it), so they go with neither RUN nor --ref.
    """
    if output is not None:
        if output_format is CheckFormat.TEXT:
            raise UsageError("--output needs --format json, junit, github or markdown")
        _writable(output)
    if selected and (run_id is not None or ref is not None):
        raise UsageError("selectors (--status, --assignee, ...) go with --all, not RUN or --ref")
    if [run_id is not None, all_runs or selected, ref is not None].count(True) != 1:
        raise UsageError(
            "name one RUN, or pass --all for every active run (selectors narrow it), or --ref REF"
        )


def _demand(phase: str | None, through: str | None, complete: bool) -> Demand:
    """What the check asks of each run: by default, that nothing is broken or late."""
    from opsctl.gate.check import Demand, Mode

    if [phase is not None, through is not None, complete].count(True) > 1:
        raise UsageError("pass at most one of --phase, --through and --complete")
    if through is not None:
        return Demand(Mode.THROUGH, through)
    if complete:
        return Demand(Mode.COMPLETE)
    if phase is not None:
        return Demand(Mode.PHASES, phase)
    return Demand()


def _progress(checks: list[T]) -> Iterable[T]:
    """A progress bar over the automated checks, on a terminal and for two or more."""
    if len(checks) < 2 or not is_terminal(sys.stdout):
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
        warn(f"opsctl: warning: GITHUB_STEP_SUMMARY {summary_file}: {problem}")


def check(
    run_id: str | None = typer.Argument(
        None, metavar="[RUN]", autocompletion=completion.run_ids, help="Run id; or --all, or --ref."
    ),
    all_runs: bool = typer.Option(False, "--all", help="Check every active run."),
    ref: str | None = typer.Option(
        None, "--ref", help="Check the runs linked to this git tag or branch (e.g. $GITHUB_REF)."
    ),
    allow_unlinked: bool = typer.Option(
        False, "--allow-unlinked", help="With --ref: pass when no run is linked to it."
    ),
    through: str | None = typer.Option(
        None, "--through", help="Demand that the run has passed PHASE, with its sign-offs."
    ),
    complete: bool = typer.Option(False, "--complete", help="Demand that every phase is passed."),
    phase: str | None = typer.Option(
        None,
        "--phase",
        help="Demand these phases complete: current, all (up to the current one), or an id.",
    ),
    output_format: CheckFormat = typer.Option(
        CheckFormat.TEXT, "--format", "-f", help="text, json, junit, github or markdown."
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report here."),
    run_checks: bool = typer.Option(
        False, "--run-checks", help="Also run the items' automated checks (file, command, metric)."
    ),
    status: StatusChoice | None = StatusOption,
    framework: str | None = FrameworkOption,
    assignee: str | None = AssigneeOption,
    overdue: bool = OverdueOption,
    labels: list[str] = LabelOption,
    due_before: str | None = DueBeforeOption,
) -> None:
    """Answer "is anything broken or late?" for CI; release jobs demand more.

    By default it fails (exit 1) when a phase a run has already passed is no
    longer complete (an item reopened, a sign-off voided, a waiver lapsed),
    when a run is past its due date with required items open, or when a
    waiver in the current phase has lapsed. The current phase, in progress
    and on time, is reported as pending, not failed: run it on every commit.
    --through PHASE and --complete demand that a run has passed a phase or
    every phase; --ref selects the runs linked to a git tag or branch, and
    the selectors (--framework, --label, --assignee, ...) narrow --all.

    Exit 0 ok; 1 something demanded is missing (each listed with its owner);
    2 bad input or an input that cannot be read (the report is still written).

    Example: opsctl check --ref "$GITHUB_REF" --complete --format junit --output opsctl.xml
    """
    from opsctl.actions.sources import runs_source, status_source
    from opsctl.cli.answers import answer

    chosen = selector(status, framework, assignee, overdue, labels, due_before)
    _validate(run_id, all_runs, ref, output_format, output, bool(chosen))
    session = state.session()

    def produce() -> None:
        from opsctl.actions.check import ReportFormat, check_runs
        from opsctl.cli.render import print_check

        result = check_runs(
            session,
            run_id,
            _demand(phase, through, complete),
            run_checks,
            _progress,
            ref=ref,
            allow_unlinked=allow_unlinked,
            selector=chosen,
        )
        if output_format is CheckFormat.TEXT or output is not None:
            print_check(result.report)
        if output_format is not CheckFormat.TEXT:
            _publish(result, ReportFormat(output_format.value), output)
        if output_format is CheckFormat.GITHUB:
            _step_summary(result)
        unreadable = result.unreadable()
        if unreadable is not None:
            raise unreadable
        if not result.ok:
            raise CheckFailed()

    if ref is not None or run_checks or output is not None or output_format is CheckFormat.GITHUB:
        produce()  # reads git, runs commands or writes files: never answered from the cache
        return
    request = ["check", str(run_id), str(phase), str(through), str(complete), repr(chosen)]

    def source() -> str | None:
        if run_id is None:
            return runs_source(session, chosen)
        return status_source(session, run_id)

    answer(session, [*request, output_format.value], source, produce)
