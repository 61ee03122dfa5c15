"""Use cases that create and move runs: init, start, label, advance, upgrade."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import ClassVar

from opsctl.actions.items import VoidedSignoff
from opsctl.actions.results import Result
from opsctl.actions.session import Session
from opsctl.clock import parse_due
from opsctl.definitions.model import Framework
from opsctl.engine.applicability import condition_paths, not_applicable
from opsctl.engine.approvals import holders
from opsctl.engine.labels import LabelChange, check_labels, relabel
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
from opsctl.store.documents import RunDocument


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
    labels: list[str]
    not_applicable: list[str]


def _matches(root: Path, pattern: str) -> bool:
    inside = root.resolve()
    return any(found.resolve().is_relative_to(inside) for found in root.glob(pattern.strip()))


def repository_facts(session: Session, framework: Framework) -> list[str]:
    """The paths and globs named by the framework's conditions that match in the repository.

    They are looked up relative to the workspace's folder (the repository
    root, as for file checks) when a run starts, when its labels change and
    when it is upgraded; the run records the answer, so replaying it never
    reads files.
    """
    root = session.workspace.root
    return [path for path in condition_paths(framework) if _matches(root, path)]


def _due_date(session: Session, due: str | None, at: dt.datetime) -> dt.date | None:
    if due:
        return parse_due(due, "due", at.date())
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
    labels: list[str] | None = None,
) -> Started:
    """Start a run of a framework, pinned to its current definition (linked to git refs).

    Labels say what kind of change the run is (``data-migration``); with the
    repository facts found now, they decide which conditional items apply.
    """
    store = session.runs
    framework = session.catalog.get(framework_id).framework
    check_labels(framework, labels or [])
    at = session.now()
    due_date = _due_date(session, due, at)
    chosen = run_id if run_id is not None else _free_id(session, slugify(title))
    document = new_run(framework, chosen, title, due_date, session.actor, at)
    relabel(
        document,
        framework,
        session.actor,
        at,
        add=labels or [],
        facts=repository_facts(session, framework),
    )
    for ref in refs or []:
        link_ref(document, ref, session.actor, at)
    store.create(document, framework)
    return Started(
        run=document.id,
        framework=framework.id,
        framework_title=framework.title,
        phases=len(framework.phases),
        phase_title=framework.phases[0].title,
        labels=document.labels or [],
        not_applicable=sorted(not_applicable(document, framework)),
    )


class Labelled(Result):
    """A run's labels after a change, and which items that made apply or not."""

    KIND: ClassVar[str] = "labelled"

    run: str
    changed: bool
    added: list[str]
    removed: list[str]
    labels: list[str]
    facts: list[str]
    now_apply: list[str]
    no_longer_apply: list[str]
    voided: list[VoidedSignoff]


def _labelled(session: Session, document: RunDocument, change: LabelChange) -> Labelled:
    people = session.config.people
    return Labelled(
        run=document.id,
        changed=change.changed,
        added=change.added,
        removed=change.removed,
        labels=document.labels or [],
        facts=document.facts or [],
        now_apply=change.now_apply,
        no_longer_apply=change.no_longer_apply,
        voided=[
            VoidedSignoff(
                phase=approval.phase,
                role=approval.role,
                approver=approval.by,
                reason=approval.voided or "",
                may_reapprove=holders(approval.role, people),
            )
            for approval in change.voided
        ],
    )


def label_run(
    session: Session, run_id: str, add: list[str] | None = None, remove: list[str] | None = None
) -> Labelled:
    """Add or remove a run's labels and look at the repository facts again (one event)."""
    store = session.runs
    with store.update(run_id) as document:
        framework = store.framework_of(document)
        change = relabel(
            document,
            framework,
            session.actor,
            session.now(),
            add=add or [],
            remove=remove or [],
            facts=repository_facts(session, framework),
        )
    return _labelled(session, document, change)


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
        facts = repository_facts(session, entry.framework)
        relabel(document, entry.framework, session.actor, session.now(), facts=facts)
    return Upgraded(
        run=run_id,
        framework=document.framework.id,
        changed=True,
        added=result.added,
        removed=result.removed,
        phase_before=result.phase_before,
        phase_after=result.phase_after,
    )
