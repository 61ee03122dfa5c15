"""Run commands: init, start, label, runs, status, log, waivers, upgrade."""

from __future__ import annotations

from pathlib import Path

import typer

from opsctl.cli import completion, state
from opsctl.cli.output import (
    FormatOption,
    OutputFormat,
    console,
    emit,
    print_columns,
    say,
)
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
from opsctl.errors import StoreError


def init(
    path: Path = typer.Argument(Path(), help="Folder to create .opsctl/ in."),
    team: str = typer.Option("", "--team", help="Team name written to config.yaml."),
    git: bool = typer.Option(
        False, "--git", help="Also register the git merge driver (see opsctl git setup)."
    ),
) -> None:
    """Create a workspace (.opsctl/) in the current folder.

    The folder is meant to be committed to git: it holds config.yaml, your
    own frameworks and templates, and one JSON file per run.

    Example: opsctl init --team "Checkout squad"
    """
    from opsctl.actions.runs import init_workspace

    result = init_workspace(path, team, git)
    say(f"created {result.folder}")
    for line in result.git:
        console().print(line)
    say("next: opsctl frameworks list, then opsctl start FRAMEWORK --title TITLE")


def start(
    framework_id: str = typer.Argument(
        ...,
        metavar="FRAMEWORK",
        autocompletion=completion.framework_ids,
        help="Framework id (see opsctl frameworks list).",
    ),
    title: str = typer.Option(..., "--title", "-t", help="What this run is for."),
    run_id: str | None = typer.Option(None, "--id", help="Run id (default: from the title)."),
    due: str | None = typer.Option(
        None, "--due", help="Due date: YYYY-MM-DD, or relative like +3d or +2w."
    ),
    refs: list[str] = typer.Option(
        [], "--ref", help="A git tag or branch this run is for (repeatable); see check --ref."
    ),
    labels: list[str] = typer.Option(
        [],
        "--label",
        "-l",
        help="What kind of change this is, e.g. data-migration (repeatable; the framework "
        "declares its labels, see frameworks show). Conditional items apply by them.",
    ),
) -> None:
    """Start a run of a framework for a concrete initiative.

    Example: opsctl start release-management --title "Release 2.4" --due +2w
    """
    from opsctl.actions.runs import start_run

    result = start_run(state.session(), framework_id, title, run_id, due, refs, labels)
    console().print(
        f"started {result.run}: {result.framework_title}, phase 1 of {result.phases} "
        f"({result.phase_title})",
        markup=False,
    )
    if result.labels:
        say(f"labels: {', '.join(result.labels)}")
    if result.not_applicable:
        say(f"{len(result.not_applicable)} conditional item(s) do not apply to this run")
    say(f"next: opsctl walk {result.run}   or   opsctl status {result.run}")


def runs(
    status: StatusChoice | None = StatusOption,
    framework: str | None = FrameworkOption,
    assignee: str | None = AssigneeOption,
    overdue: bool = OverdueOption,
    labels: list[str] = LabelOption,
    due_before: str | None = DueBeforeOption,
    output_format: OutputFormat = FormatOption,
) -> None:
    """List the workspace's runs: id, framework, phase, progress, due, status.

    The selectors narrow the list; a run must meet all of them.

    Example: opsctl runs --assignee alice@example.com --overdue
    """
    from opsctl.actions.sources import runs_source
    from opsctl.cli.answers import answer

    chosen = selector(status, framework, assignee, overdue, labels, due_before)
    session = state.session()

    def produce() -> None:
        from opsctl.actions.listing import RUN_COLUMNS, list_runs

        result = list_runs(session, chosen)
        if output_format is OutputFormat.JSON:
            emit(result)
        elif not result.runs and not result.errors:
            say(
                "no run matches the selectors"
                if chosen
                else "no runs yet; start one with: opsctl start FRAMEWORK --title TITLE"
            )
        else:
            print_columns(RUN_COLUMNS, result.rows())
        if result.errors:
            raise StoreError(*result.errors)

    request = ["runs", repr(chosen), output_format.value]
    answer(session, request, lambda: runs_source(session, chosen), produce)


def status(
    run_id: str = typer.Argument(
        ..., metavar="RUN", autocompletion=completion.run_ids, help="Run id (see opsctl runs)."
    ),
    all_phases: bool = typer.Option(False, "--all", "-a", help="Show every phase's items."),
    output_format: OutputFormat = FormatOption,
) -> None:
    """Show a run: current phase, items with state, owner and evidence, what blocks the gate.

    Example: opsctl status rel-2-4 --all
    """
    from opsctl.actions.sources import status_source
    from opsctl.cli.answers import answer

    session = state.session()

    def produce() -> None:
        from opsctl.actions.views import run_status
        from opsctl.cli.render import print_status

        result = run_status(session, run_id)
        if output_format is OutputFormat.JSON:
            emit(result)
            return
        print_status(result.model_dump(mode="json"), all_phases)

    request = ["status", run_id, str(all_phases), output_format.value]
    answer(session, request, lambda: status_source(session, run_id), produce)


def log(
    run_id: str = typer.Argument(
        ..., metavar="RUN", autocompletion=completion.run_ids, help="Run id."
    ),
    limit: int = typer.Option(0, "--limit", "-n", min=0, help="Only the last N events."),
    output_format: OutputFormat = FormatOption,
) -> None:
    """Show a run's history: who did what, when.

    Example: opsctl log rel-2-4 -n 20
    """
    from opsctl.actions.views import run_log

    result = run_log(state.session(), run_id, limit)
    if output_format is OutputFormat.JSON:
        emit(result)
        return
    print_columns(
        ["WHEN (UTC)", "WHO", "WHAT", "ON", "DETAILS"],
        [
            [
                event.at.strftime("%Y-%m-%d %H:%M:%S"),
                event.actor,
                event.action,
                event.item or event.phase or "",
                _details(event.detail),
            ]
            for event in result.events
        ],
    )


def _details(detail: dict[str, str]) -> str:
    """An event's details on one line; an SSH signature is shown as present, not as armor."""
    return "; ".join(
        "signed" if key == "signature" else f"{key}: {' '.join(value.split())}"
        for key, value in sorted(detail.items())
    )


def waivers(
    run_id: str | None = typer.Argument(
        None, metavar="[RUN]", autocompletion=completion.run_ids, help="Only this run."
    ),
    output_format: OutputFormat = FormatOption,
) -> None:
    """List waivers (skipped items): reason, who, expiry, and whether they still count.

    Example: opsctl waivers --format json
    """
    from opsctl.actions.waivers import list_waivers

    result = list_waivers(state.session(), run_id)
    if output_format is OutputFormat.JSON:
        emit(result)
        return
    if not result.waivers:
        say("no waivers")
        return
    print_columns(
        ["RUN", "ITEM", "STATE", "EXPIRES", "BY", "REASON"],
        [[w.run, w.item, w.state, w.expires, w.by, w.reason] for w in result.waivers],
    )


def link(
    run_id: str = typer.Argument(
        ..., metavar="RUN", autocompletion=completion.run_ids, help="Run id."
    ),
    refs: list[str] = typer.Option(..., "--ref", help="A git tag or branch (repeatable)."),
) -> None:
    """Link a run to git tags or branches, so a release job finds it with check --ref.

    refs/tags/v2.4 and v2.4 name the same tag.

    Example: opsctl link rel-2-4 --ref v2.4
    """
    from opsctl.actions.runs import link_run

    result = link_run(state.session(), run_id, refs)
    if result.added:
        say(f"{run_id}: linked to {', '.join(result.added)}")
    else:
        say(f"{run_id}: already linked to {', '.join(refs)}; nothing recorded")


def label(
    run_id: str = typer.Argument(
        ..., metavar="RUN", autocompletion=completion.run_ids, help="Run id."
    ),
    add: list[str] = typer.Option([], "--add", "-a", help="A label to add (repeatable)."),
    remove: list[str] = typer.Option([], "--remove", "-r", help="A label to remove (repeatable)."),
    output_format: OutputFormat = FormatOption,
) -> None:
    """Add or remove a run's labels; conditional items then apply or stop applying.

    The repository facts the framework's conditions name (paths) are looked
    at again too. The change is recorded in the run's history; sign-offs of a
    phase in which more items now apply are voided.

    Example: opsctl label rel-2-4 --add data-migration --remove customer-facing
    """
    from opsctl.actions.runs import label_run
    from opsctl.cli.items import voided_lines

    result = label_run(state.session(), run_id, add, remove)
    if output_format is OutputFormat.JSON:
        emit(result)
        return
    if not result.changed:
        say(f"{run_id}: labels unchanged ({', '.join(result.labels) or 'none'})")
        return
    say(f"{run_id}: labels now {', '.join(result.labels) or 'none'}")
    if result.now_apply:
        say(f"now apply: {', '.join(result.now_apply)}")
    if result.no_longer_apply:
        say(f"no longer apply: {', '.join(result.no_longer_apply)}")
    for line in voided_lines(result.voided):
        say(line)


def upgrade(
    run_id: str = typer.Argument(
        ..., metavar="RUN", autocompletion=completion.run_ids, help="Run id."
    ),
) -> None:
    """Move a run to the current definition of its framework.

    Items that still exist keep their state; the command reports what was
    added and removed.

    Example: opsctl upgrade rel-2-4
    """
    from opsctl.actions.runs import upgrade_run

    result = upgrade_run(state.session(), run_id)
    if not result.changed:
        say(f"{run_id} already follows the current definition")
        return
    say(f"upgraded {run_id} to the current '{result.framework}' definition")
    say(f"added: {', '.join(result.added) or 'nothing'}")
    say(f"removed: {', '.join(result.removed) or 'nothing'}")
    if result.phase_before != result.phase_after:
        say(f"current phase: {result.phase_before} -> {result.phase_after}")
