"""Team mode through git: ``opsctl git setup``, ``opsctl merge-file``, ``opsctl sync-check``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import typer

from opsctl import clock
from opsctl.cli import state
from opsctl.cli.output import console, err_console, say
from opsctl.errors import EXIT_FAILED, OpsctlError

app = typer.Typer(
    no_args_is_help=True, help="Share a workspace through git.\n\nExample: opsctl git setup"
)


@app.command("setup")
def setup() -> None:
    """Register opsctl's merge driver in this clone and route store files to it.

    Run once per clone (git config is not committed); the .gitattributes
    line it adds is meant to be committed.

    Example: opsctl git setup
    """
    from opsctl.git.setup import setup_git

    found = state.workspace_or_none()
    for line in setup_git(found.root if found else Path.cwd()):
        console().print(line)


def merge_file(
    base: Path = typer.Argument(..., metavar="BASE", help="%O: the common ancestor."),
    ours: Path = typer.Argument(..., metavar="OURS", help="%A: our version; the result goes here."),
    theirs: Path = typer.Argument(..., metavar="THEIRS", help="%B: their version."),
    shown: str = typer.Argument("", metavar="[PATH]", help="%P: the path, for messages."),
) -> None:
    """Three-way merge of an opsctl store file; git calls this as the merge driver.

    On success the merged document replaces OURS (exit 0). Input it cannot
    merge safely gets git's usual conflict markers and exit 1.

    Example: git config merge.opsctl.driver "opsctl merge-file %O %A %B %P"
    """
    from opsctl.git.merge import Irreconcilable
    from opsctl.git.merge import merge_file as merge_documents
    from opsctl.store.files import atomic_write, dumps

    name = shown or str(ours)
    try:
        result = merge_documents(ours, theirs, clock.now())
    except Irreconcilable as exc:
        err_console().print(f"opsctl merge-file: {name}: cannot merge: {exc}", markup=False)
        subprocess.run(
            [
                "git",
                "merge-file",
                "-L",
                "ours",
                "-L",
                "base",
                "-L",
                "theirs",
                str(ours),
                str(base),
                str(theirs),
            ],
            check=False,
        )
        raise typer.Exit(EXIT_FAILED) from None
    document = result.document
    content = (
        document
        if isinstance(document, dict)
        else document.model_dump(mode="json", by_alias=True, exclude_none=True)
    )
    atomic_write(ours, dumps(content))
    for note in result.notes:
        err_console().print(f"opsctl merge-file: {name}: {note}", markup=False)


def sync_check() -> None:
    """For CI: every store file is valid, every history intact, every run's definition present.

    Exit 0 when all holds, 1 listing each problem (a file edited by hand,
    a state that does not follow from its history, a missing definition).

    Example: opsctl sync-check
    """
    from opsctl.engine.history import verify
    from opsctl.store.metrics import MetricsStore
    from opsctl.store.reviews import ReviewStore

    problems: list[str] = []
    store = state.store()
    checked = 0
    for run_id in store.ids():
        try:
            document = store.load(run_id)
            store.framework_of(document)
        except OpsctlError as exc:
            problems.append(str(exc))
            continue
        checked += 1
        finding = verify(document)
        if finding is not None:
            problems.append(f"{store.path(run_id)}: {finding}")
    for reader in (MetricsStore(state.workspace()).load, ReviewStore(state.workspace()).load):
        try:
            reader()
        except OpsctlError as exc:
            problems.append(str(exc))
    try:
        state.catalog()
    except OpsctlError as exc:
        problems.append(str(exc))
    for problem in problems:
        err_console().print(f"opsctl: sync-check: {problem}", markup=False)
    if problems:
        raise typer.Exit(EXIT_FAILED)
    say(f"ok: {checked} runs intact, KPI and review records valid, frameworks valid")
