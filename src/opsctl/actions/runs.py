"""Use cases that create and move runs: init, start, advance, upgrade."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import ClassVar

from opsctl.actions.results import Result
from opsctl.actions.session import Session
from opsctl.clock import parse_date
from opsctl.engine.runs import (
    GateRefused,
    advance,
    link_ref,
    new_run,
    require_active,
    slugify,
)
from opsctl.engine.upgrade import rebase_run
from opsctl.errors import UsageError


class Initialized(Result):
    """A new workspace, and what git setup did if asked."""

    KIND: ClassVar[str] = "init"

    folder: str
    git: list[str]


def init_workspace(root: Path, team: str = "", git: bool = False) -> Initialized:
    """Create ``.opsctl/`` in ``root``; with ``git``, also register the merge driver."""
    from opsctl.store.workspace import init_workspace as create

    if git:
        from opsctl.git.setup import repository_root

        repository_root(root)
    workspace = create(root, team)
    lines: list[str] = []
    if git:
        from opsctl.git.setup import setup_git

        lines = setup_git(workspace.root)
    return Initialized(folder=str(workspace.dir), git=lines)


class Started(Result):
    """A run just started."""

    KIND: ClassVar[str] = "started"

    run: str
    framework: str
    framework_title: str
    phases: int
    phase_title: str


def _due_date(session: Session, due: str | None, at: dt.datetime) -> dt.date | None:
    if due:
        return parse_date(due, "due")
    days = session.config.defaults.due_in_days
    return at.date() + dt.timedelta(days=days) if days else None


def _free_id(session: Session, base: str) -> str:
    candidate, number = base, 2
    while session.runs.exists(candidate):
        candidate, number = f"{base[:60]}-{number}", number + 1
    return candidate


def start_run(
    session: Session,
    framework_id: str,
    title: str,
    run_id: str | None = None,
    due: str | None = None,
    refs: list[str] | None = None,
) -> Started:
    """Start a run of a framework, pinned to its current definition (linked to git refs)."""
    store = session.runs
    framework = session.catalog.get(framework_id).framework
    at = session.now()
    due_date = _due_date(session, due, at)
    chosen = run_id if run_id is not None else _free_id(session, slugify(title))
    document = new_run(framework, chosen, title, due_date, session.actor, at)
    for ref in refs or []:
        link_ref(document, ref, session.actor, at)
    store.create(document, framework)
    return Started(
        run=document.id,
        framework=framework.id,
        framework_title=framework.title,
        phases=len(framework.phases),
        phase_title=framework.phases[0].title,
    )


class Linked(Result):
    """A run and the git refs it is linked to."""

    KIND: ClassVar[str] = "linked"

    run: str
    added: list[str]
    refs: list[str]


def link_run(session: Session, run_id: str, refs: list[str]) -> Linked:
    """Link a run to git tags or branches, so ``check --ref`` finds it."""
    with session.runs.update(run_id) as document:
        added = [ref for ref in refs if link_ref(document, ref, session.actor, session.now())]
    return Linked(run=run_id, added=added, refs=document.refs or [])


class Advanced(Result):
    """A run that left its phase."""

    KIND: ClassVar[str] = "advanced"

    run: str
    left: str
    phase: str | None
    phase_title: str | None


def advance_run(session: Session, run_id: str) -> Advanced:
    """Leave the current phase if its gate is met; a refusal is recorded, then raised."""
    store = session.runs
    refused: GateRefused | None = None
    with store.update(run_id) as document:
        left = document.phase or ""
        try:
            following = advance(
                document, store.framework_of(document), session.actor, session.now()
            )
        except GateRefused as exc:
            refused = exc
    if refused is not None:
        raise refused
    return Advanced(
        run=run_id,
        left=left,
        phase=following.id if following else None,
        phase_title=following.title if following else None,
    )


class Upgraded(Result):
    """A run moved to the current definition of its framework."""

    KIND: ClassVar[str] = "upgraded"

    run: str
    framework: str
    changed: bool
    added: list[str]
    removed: list[str]
    phase_before: str | None
    phase_after: str | None


def upgrade_run(session: Session, run_id: str) -> Upgraded:
    """Pin a run to its framework's current definition, keeping what still applies."""
    store = session.runs
    with store.update(run_id) as document:
        require_active(document)
        entry = session.catalog.entries.get(document.framework.id)
        if entry is None:
            raise UsageError(
                f"framework '{document.framework.id}' no longer exists; the run keeps its "
                "pinned copy and cannot be upgraded"
            )
        if session.current_digest(document.framework.id) == document.framework.digest:
            return Upgraded(
                run=run_id,
                framework=document.framework.id,
                changed=False,
                added=[],
                removed=[],
                phase_before=document.phase,
                phase_after=document.phase,
            )
        old = store.framework_of(document)
        store.pin(entry.framework)
        result = rebase_run(document, old, entry.framework, session.actor, session.now())
    return Upgraded(
        run=run_id,
        framework=document.framework.id,
        changed=True,
        added=result.added,
        removed=result.removed,
        phase_before=result.phase_before,
        phase_after=result.phase_after,
    )
