"""``opsctl check`` (the CI gate) and ``opsctl waivers``."""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from opsctl import clock
from opsctl.cli import state
from opsctl.cli.output import err_console, say
from opsctl.errors import EXIT_FAILED, UsageError

if TYPE_CHECKING:
    from opsctl.store.documents import RunDocument


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


def _runs_to_check(run_id: str | None, all_runs: bool) -> list[RunDocument]:
    from opsctl.store.documents import RunStatus

    store = state.store()
    if all_runs == (run_id is not None):
        raise UsageError("name one RUN, or pass --all for every active run")
    if run_id is not None:
        return [store.load(run_id)]
    headers, errors = store.headers()
    if errors:
        raise errors[0]
    return [store.load(h.id) for h in headers if h.status is RunStatus.ACTIVE]


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
    from opsctl.gate import formats as ci_formats
    from opsctl.gate.check import CheckReport, check_run, select_phases

    if output is not None:
        if output_format is CheckFormat.TEXT:
            raise UsageError("--output needs --format json, junit, github or markdown")
        _writable(output)
    store = state.store()
    documents = _runs_to_check(run_id, all_runs)
    for document in documents:
        select_phases(document, store.framework_of(document), phase)
    failures: dict[tuple[str, str], str] = {}
    if run_checks:
        from opsctl.cli.automated import run_automated_checks

        documents, failures = run_automated_checks(documents, phase)
    today = clock.today()
    report = CheckReport(
        [check_run(doc, store.framework_of(doc), phase, today, failures) for doc in documents],
        [] if documents else ["no active runs to check"],
    )
    if output_format is CheckFormat.TEXT or output is not None:
        from opsctl.cli.render import print_check

        print_check(report)
    if output_format is not CheckFormat.TEXT:
        renderers = {
            CheckFormat.JSON: ci_formats.to_json,
            CheckFormat.JUNIT: ci_formats.to_junit,
            CheckFormat.GITHUB: ci_formats.to_github,
            CheckFormat.MARKDOWN: ci_formats.to_markdown,
        }
        rendered = renderers[output_format](report)
        if output is None:
            typer.echo(rendered, nl=False)
        else:
            try:
                output.write_text(rendered, encoding="utf-8")
            except OSError as exc:
                raise UsageError(f"--output {output}: {exc.strerror or exc}") from None
            say(f"wrote {output_format.value} report to {output}")
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if output_format is CheckFormat.GITHUB and summary_file:
        try:
            with open(summary_file, "a", encoding="utf-8") as handle:
                handle.write(ci_formats.to_markdown(report))
        except OSError as exc:
            err_console().print(
                f"opsctl: warning: GITHUB_STEP_SUMMARY {summary_file}: {exc.strerror or exc}",
                markup=False,
            )
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)
