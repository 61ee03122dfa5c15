"""Run commands: init, start, runs, status, log, upgrade."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from opsctl import clock
from opsctl.actions.identity import current_actor
from opsctl.cli import state
from opsctl.cli.output import (
    FormatOption,
    OutputFormat,
    console,
    emit_json,
    err_console,
    print_columns,
    say,
)
from opsctl.errors import StoreError, UsageError


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
    from opsctl.store.workspace import init_workspace

    if git:
        from opsctl.git.setup import repository_root, setup_git

        repository_root(path)
    workspace = init_workspace(path, team)
    say(f"created {workspace.dir}")
    if git:
        for line in setup_git(workspace.root):
            console().print(line)
    say("next: opsctl frameworks list, then opsctl start FRAMEWORK --title TITLE")


def start(
    framework_id: str = typer.Argument(
        ..., metavar="FRAMEWORK", help="Framework id (see opsctl frameworks list)."
    ),
    title: str = typer.Option(..., "--title", "-t", help="What this run is for."),
    run_id: str | None = typer.Option(None, "--id", help="Run id (default: from the title)."),
    due: str | None = typer.Option(None, "--due", help="Due date, YYYY-MM-DD."),
) -> None:
    """Start a run of a framework for a concrete initiative.

    Example: opsctl start release-management --title "Release 2.4" --due 2026-12-15
    """
    from opsctl.engine.runs import new_run, slugify

    store = state.store()
    framework = state.catalog().get(framework_id).framework
    due_date = clock.parse_date(due, "due") if due else None
    defaults = state.workspace().config().defaults
    at = clock.now()
    if due_date is None and defaults.due_in_days:
        due_date = at.date() + dt.timedelta(days=defaults.due_in_days)
    chosen = run_id or _free_id(slugify(title))
    document = new_run(framework, chosen, title, due_date, current_actor(), at)
    store.create(document, framework)
    console().print(
        f"started {document.id}: {framework.title}, phase 1 of {len(framework.phases)} "
        f"({framework.phases[0].title})"
    )
    say(f"next: opsctl walk {document.id}   or   opsctl status {document.id}")


def _free_id(base: str) -> str:
    store = state.store()
    candidate, number = base, 2
    while store.exists(candidate):
        candidate, number = f"{base[:60]}-{number}", number + 1
    return candidate


def runs(output_format: OutputFormat = FormatOption) -> None:
    """List the workspace's runs: id, framework, phase, progress, due, status.

    Example: opsctl runs --format json
    """
    from opsctl.engine.views import run_summary

    store = state.store()
    documents, errors = store.headers()
    today = clock.today()
    rows = []
    for document in documents:
        try:
            rows.append(run_summary(document, store.framework_of(document), today))
        except StoreError as exc:
            errors.append(exc)
    if output_format is OutputFormat.JSON:
        emit_json("runs", {"runs": rows})
    elif not rows and not errors:
        say("no runs yet; start one with: opsctl start FRAMEWORK --title TITLE")
    else:
        lines = []
        for row in rows:
            done, total = row["progress"]["complete"], row["progress"]["total"]
            lines.append(
                [
                    row["id"],
                    row["framework"],
                    f"{row['phase_number']}/{row['phases']} {row['phase'] or ''}".rstrip(),
                    f"{done}/{total}",
                    (row["due"] or "-") + (" overdue" if row["overdue"] else ""),
                    row["status"],
                ]
            )
        print_columns(["ID", "FRAMEWORK", "PHASE", "PROGRESS", "DUE", "STATUS"], lines)
    for message in dict.fromkeys(str(error) for error in errors):
        err_console().print(f"opsctl: error: {message}", markup=False)
    if errors:
        raise typer.Exit(StoreError.exit_code)


def status(
    run_id: str = typer.Argument(..., metavar="RUN", help="Run id (see opsctl runs)."),
    all_phases: bool = typer.Option(False, "--all", "-a", help="Show every phase's items."),
    output_format: OutputFormat = FormatOption,
) -> None:
    """Show a run: current phase, items with state, owner and evidence, what blocks the gate.

    Example: opsctl status rel-2-4 --all
    """
    from opsctl.cli.render import print_status
    from opsctl.engine.views import run_status

    store = state.store()
    document = store.load(run_id)
    framework = store.framework_of(document)
    view = run_status(
        document, framework, clock.today(), state.current_digest(document.framework.id)
    )
    if output_format is OutputFormat.JSON:
        emit_json("run-status", view)
        return
    print_status(view, all_phases)


def log(
    run_id: str = typer.Argument(..., metavar="RUN", help="Run id."),
    limit: int = typer.Option(0, "--limit", "-n", min=0, help="Only the last N events."),
    output_format: OutputFormat = FormatOption,
) -> None:
    """Show a run's history: who did what, when.

    Example: opsctl log rel-2-4 -n 20
    """
    document = state.store().load(run_id)
    events = document.history[-limit:] if limit else document.history
    if output_format is OutputFormat.JSON:
        emit_json(
            "run-log",
            {"run": document.id, "events": [e.model_dump(mode="json") for e in events]},
        )
        return
    print_columns(
        ["WHEN (UTC)", "WHO", "WHAT", "ON", "DETAILS"],
        [
            [
                event.at.strftime("%Y-%m-%d %H:%M:%S"),
                event.actor,
                event.action,
                event.item or event.phase or "",
                "; ".join(
                    f"{key}: {' '.join(value.split())}"
                    for key, value in sorted(event.detail.items())
                ),
            ]
            for event in events
        ],
    )


def upgrade(run_id: str = typer.Argument(..., metavar="RUN", help="Run id.")) -> None:
    """Move a run to the current definition of its framework.

    Items that still exist keep their state; the command reports what was
    added and removed.

    Example: opsctl upgrade rel-2-4
    """
    from opsctl.engine.upgrade import rebase_run

    store = state.store()
    with store.update(run_id) as document:
        from opsctl.engine.runs import require_active

        require_active(document)
        entry = state.catalog().entries.get(document.framework.id)
        if entry is None:
            raise UsageError(
                f"framework '{document.framework.id}' no longer exists; the run keeps its "
                "pinned copy and cannot be upgraded"
            )
        if state.current_digest(document.framework.id) == document.framework.digest:
            say(f"{run_id} already follows the current definition")
            return
        old = store.framework_of(document)
        store.pin(entry.framework)
        result = rebase_run(document, old, entry.framework, current_actor(), clock.now())
    say(f"upgraded {run_id} to the current '{document.framework.id}' definition")
    say(f"added: {', '.join(result.added) or 'nothing'}")
    say(f"removed: {', '.join(result.removed) or 'nothing'}")
    if result.phase_before != result.phase_after:
        say(f"current phase: {result.phase_before} -> {result.phase_after}")
