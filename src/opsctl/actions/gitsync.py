"""Use cases of team mode through git: setting a clone up, the merge driver, the CI check."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from opsctl.actions.results import Result
from opsctl.actions.session import Session
from opsctl.errors import OpsctlError


class GitSetup(Result):
    """``opsctl git setup``: what was configured, one line each."""

    KIND: ClassVar[str] = "git-setup"

    lines: list[str]


def setup(session: Session) -> GitSetup:
    """Register the merge driver in this clone and route the workspace's store files to it.

    Outside a workspace the current folder is taken as where ``.opsctl/`` will be.
    """
    from opsctl.git.setup import setup_git

    found = session.found_workspace
    return GitSetup(lines=setup_git(found.root if found else session.cwd))


class MergedFile(Result):
    """``opsctl merge-file``: the merged document was written to OURS."""

    KIND: ClassVar[str] = "merge-file"

    path: str
    """The file as git names it (``%P``), or OURS when git gave no name."""
    written: str
    notes: list[str]


def merge_file(
    session: Session, base: Path, ours: Path, theirs: Path, shown: str = ""
) -> MergedFile:
    """Three-way merge of a store file into ``ours``, as git's merge driver.

    Input that cannot be merged safely is left with git's conflict markers in
    ``ours`` and raised as :class:`~opsctl.git.merge.Irreconcilable` (exit 1),
    each problem naming the file. That includes a run whose history does not
    hold on either side or in ``base`` (when ``base`` is a readable run): the
    merge rebuilds the hash chain, so it must not start from a broken one.
    """
    from opsctl.git.merge import Irreconcilable, leave_conflict
    from opsctl.git.merge import merge_file as merge_documents
    from opsctl.store.files import atomic_write, dumps

    name = shown or str(ours)
    try:
        merged = merge_documents(ours, theirs, session.now(), base=base)
    except Irreconcilable as exc:
        leave_conflict(base, ours, theirs)
        raise Irreconcilable(
            *(f"{name}: cannot merge: {problem}" for problem in exc.problems)
        ) from exc
    atomic_write(ours, dumps(merged.content()))
    return MergedFile(path=name, written=str(ours), notes=merged.notes)


class SyncCheck(Result):
    """``opsctl sync-check``: how many runs were verified, and every problem found."""

    KIND: ClassVar[str] = "sync-check"

    runs: int
    unreadable: list[str] = Field(
        default_factory=list, description="Files opsctl cannot read or accept (exit 2)."
    )
    problems: list[str] = Field(
        default_factory=list, description="Histories that do not hold (exit 1)."
    )


def _run_problems(session: Session) -> tuple[int, list[str], list[str]]:
    """How many runs hold, the runs that cannot be read, and those whose history does not hold.

    With ``signoffs: signed`` an unsigned, forged or re-signed sign-off is a problem too.
    """
    from opsctl.actions.signing import signoff_policy
    from opsctl.engine.history import verify

    store = session.runs
    unreadable: list[str] = []
    problems: list[str] = []
    checked = 0
    with signoff_policy(session) as policy:
        for run_id in store.ids():
            try:
                document = store.load(run_id)
                store.framework_of(document)
            except OpsctlError as exc:
                unreadable.extend(exc.problems)
                continue
            checked += 1
            finding = verify(document, policy)
            if finding is not None:
                problems.append(f"{store.path(run_id)}: {finding}")
    return checked, unreadable, problems


def _record_problems(session: Session) -> list[str]:
    """What is wrong with the KPI store, the review record and the frameworks."""
    problems: list[str] = []
    for reader in (session.metrics.load, session.reviews.load, lambda: session.catalog):
        try:
            reader()
        except OpsctlError as exc:
            problems.extend(exc.problems)
    return problems


def sync_check(session: Session) -> SyncCheck:
    """For CI: every store file valid, every history intact, every run's definition present.

    Problems are returned, not raised: the CLI exits 2 when a file cannot be
    read (fail closed, like every command) and 1 when a history does not hold.
    """
    checked, unreadable, problems = _run_problems(session)
    return SyncCheck(
        runs=checked, unreadable=unreadable + _record_problems(session), problems=problems
    )
