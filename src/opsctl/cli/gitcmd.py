"""Team mode through git: ``opsctl git setup``, ``opsctl merge-file``, ``opsctl sync-check``."""

from __future__ import annotations

from pathlib import Path

import typer

from opsctl.cli import state
from opsctl.cli.output import console, say, warn
from opsctl.errors import CheckFailed, StoreError

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
    from opsctl.actions.gitsync import setup as setup_clone

    for line in setup_clone(state.session()).lines:
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
    from opsctl.actions.gitsync import merge_file as merge

    result = merge(state.session(), base, ours, theirs, shown)
    for note in result.notes:
        warn(f"opsctl: merge-file: {result.path}: {note}")


def sync_check() -> None:
    """For CI: every store file is valid, every history intact, every run's definition present.

    Exit 0 when all holds; 2 when a file cannot be read (a broken config,
    a truncated run, a missing runs folder or pinned definition); 1 listing
    each history that does not hold (an event edited by hand, a state that
    does not follow from its history).

    Example: opsctl sync-check
    """
    from opsctl.actions.gitsync import sync_check as check

    result = check(state.session())
    if result.unreadable:
        raise StoreError(*result.unreadable, *result.problems, topic="sync-check")
    if result.problems:
        raise CheckFailed(*result.problems, topic="sync-check")
    say(f"ok: {result.runs} runs intact, KPI and review records valid, frameworks valid")
