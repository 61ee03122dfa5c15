"""The CI gate: what a check demands of a run, and what is missing, per run and phase.

By default a check answers "is anything broken or late?": a phase the run
has already passed must still be complete, a run past its due date must
have no required item open, and no waiver may have lapsed; the current
phase, in progress and on time, is reported (``pending``), not failed.
Release jobs ask for more: that a run has passed a phase (``through``) or
every phase (``complete``). ``opsctl check`` renders the resulting
:class:`CheckReport` in the format a pipeline understands
(:mod:`opsctl.gate.formats`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import Enum

from opsctl.definitions.model import Framework, Phase
from opsctl.engine.applicability import applies, phase_applies, why_not
from opsctl.engine.runs import item_complete, item_key, phases_through_current, state_of
from opsctl.errors import UsageError
from opsctl.store.documents import ItemState, ItemStatus, RunHeader, RunState


class Result(str, Enum):
    """The verdict on one item or sign-off."""

    PASSED = "passed"
    FAILED = "failed"
    WAIVED = "waived"
    NOT_REQUIRED = "not-required"
    """Optional, or not applicable to the run (its message then starts "not applicable")."""
    PENDING = "pending"
    """Open in the current phase, which is in progress and on time: reported, not failed."""


class Mode(str, Enum):
    """What a check demands of a run."""

    HEALTH = "health"
    """Nothing broken or late (the default, for every commit)."""
    PHASES = "phases"
    """The selected phases are complete (``--phase``)."""
    THROUGH = "through"
    """The run has passed a phase with its sign-offs (``--through``)."""
    COMPLETE = "complete"
    """The run has passed every phase (``--complete``)."""


@dataclass(frozen=True)
class Demand:
    """What to check: a mode and, for ``phases`` and ``through``, a phase (or current/all)."""

    mode: Mode = Mode.HEALTH
    phase: str = "current"


@dataclass(frozen=True)
class ItemResult:
    """One checklist item as CI sees it."""

    key: str
    title: str
    owner: str
    help: str
    status: str
    result: Result
    message: str = ""


@dataclass(frozen=True)
class ApprovalResult:
    """One required sign-off."""

    role: str
    result: Result
    by: str = ""


Entry = ItemResult | ApprovalResult
Failures = dict[tuple[str, str], str]
"""Why an item's automated check failed, by (run id, item key)."""


@dataclass
class PhaseResult:
    """A phase's items and sign-offs."""

    id: str
    title: str
    items: list[ItemResult] = field(default_factory=list)
    approvals: list[ApprovalResult] = field(default_factory=list)

    def entries(self) -> list[Entry]:
        """Items, then sign-offs."""
        return [*self.items, *self.approvals]

    @property
    def ok(self) -> bool:
        """True when nothing required is missing."""
        return all(entry.result is not Result.FAILED for entry in self.entries())


@dataclass
class RunResult:
    """One run's checked phases."""

    id: str
    title: str
    framework: str
    phases: list[PhaseResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """What fails the run as a whole: late, not yet through a phase, not complete."""

    @property
    def ok(self) -> bool:
        """True when every checked phase is ok and the run as a whole has no problem."""
        return not self.problems and all(phase.ok for phase in self.phases)


@dataclass
class CheckReport:
    """The whole verdict of one ``opsctl check``."""

    runs: list[RunResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    """(file, message) of every input that could not be read: the check fails closed."""

    @property
    def ok(self) -> bool:
        """True when every run is ok and every input could be read."""
        return not self.errors and all(run.ok for run in self.runs)

    def failures(self) -> list[tuple[RunResult, PhaseResult, Entry]]:
        """Everything missing, in order."""
        return [
            (run, phase, entry)
            for run in self.runs
            for phase in run.phases
            for entry in phase.entries()
            if entry.result is Result.FAILED
        ]

    def problem_count(self) -> int:
        """Missing entries plus run-level problems (unreadable inputs are counted apart)."""
        return len(self.failures()) + sum(len(run.problems) for run in self.runs)


def select_phases(document: RunHeader, framework: Framework, which: str) -> list[Phase]:
    """``current`` (default), ``all`` (up to and including the current one) or a phase id."""
    if which == "current":
        if document.phase is None:
            return [framework.phases[-1]]
        phase = framework.phase(document.phase)
        return [phase] if phase else []
    if which == "all":
        return phases_through_current(document, framework)
    return [_phase(document, framework, which)]


def _phase(document: RunHeader, framework: Framework, phase_id: str) -> Phase:
    phase = framework.phase(phase_id)
    if phase is None:
        known = ", ".join(p.id for p in framework.phases)
        raise UsageError(f"unknown phase '{phase_id}' in run '{document.id}' (phases: {known})")
    return phase


def _looked_at(document: RunHeader, framework: Framework, demand: Demand) -> list[Phase]:
    if demand.mode is Mode.PHASES:
        return select_phases(document, framework, demand.phase)
    if demand.mode is Mode.HEALTH:
        return phases_through_current(document, framework)
    last = framework.phases[-1].id if demand.mode is Mode.COMPLETE else demand.phase
    order = [phase.id for phase in framework.phases]
    return list(framework.phases[: order.index(last) + 1])


def demanded_phases(document: RunHeader, framework: Framework, demand: Demand) -> list[Phase]:
    """The phases a check looks at, holding only the items that apply to the run.

    These are the items whose automated checks ``--run-checks`` may run; a
    check of an item that does not apply never runs.
    """
    phases = []
    for phase in _looked_at(document, framework, demand):
        items = [item for item in phase.items if applies(document, phase, item)]
        if items:
            phases.append(phase.model_copy(update={"items": items}))
    return phases


def validate_demand(document: RunHeader, framework: Framework, demand: Demand) -> None:
    """Refuse a phase the run's framework does not have, before anything runs."""
    if demand.mode is Mode.PHASES:
        select_phases(document, framework, demand.phase)
    elif demand.mode is Mode.THROUGH:
        _phase(document, framework, demand.phase)


def _item_verdict(state: ItemState | None, today: dt.date) -> tuple[Result, str]:
    complete, why = item_complete(state, today)
    if complete and state is not None and state.status is ItemStatus.SKIPPED:
        until = f" (until {state.expires.isoformat()})" if state.expires else ""
        return Result.WAIVED, f"waived by {state.by}: {state.reason}{until}"
    if complete and state is not None:
        return Result.PASSED, state.evidence or ""
    return Result.FAILED, why


def _item_result(document: RunHeader, phase: Phase, today: dt.date) -> list[ItemResult]:
    gate_ids = {item.id for item in phase.gate_items()}
    results = []
    for item in phase.items:
        state = state_of(document, phase, item)
        status = state.status.value if state else ItemStatus.OPEN.value
        verdict, message = _item_verdict(state, today)
        if not applies(document, phase, item):
            verdict = Result.NOT_REQUIRED
            message = f"not applicable ({why_not(document, phase, item)})"
        elif item.id not in gate_ids:
            verdict, message = Result.NOT_REQUIRED, "optional"
        results.append(
            ItemResult(
                item_key(phase, item), item.title, item.owner, item.help, status, verdict, message
            )
        )
    return results


def _with_check_failure(result: ItemResult, failure: str | None) -> ItemResult:
    if failure is None or result.result is not Result.FAILED:
        return result
    return replace(result, message=f"{result.message}; automated check failed: {failure}")


def _phase_result(
    document: RunState, phase: Phase, today: dt.date, failures: Failures
) -> PhaseResult:
    """Every item and required sign-off of a phase, failed where missing."""
    approvals = {
        (approval.phase, approval.role): approval.by
        for approval in document.approvals
        if approval.voided is None
    }
    items = [
        _with_check_failure(result, failures.get((document.id, result.key)))
        for result in _item_result(document, phase, today)
    ]
    checked = PhaseResult(phase.id, phase.title, items)
    for role in phase.gate.approvals:
        approver = approvals.get((phase.id, role), "")
        verdict = Result.PASSED if approver else Result.FAILED
        if not approver and not phase_applies(document, phase):
            verdict = Result.NOT_REQUIRED
        checked.approvals.append(ApprovalResult(role, verdict, approver))
    return checked


def _passed(phase: PhaseResult) -> PhaseResult:
    """A phase the run has left: what is missing now was complete once (it regressed)."""
    phase.items = [
        replace(item, message=f"{item.message}, after phase '{phase.id}' was passed")
        if item.result is Result.FAILED
        else item
        for item in phase.items
    ]
    return phase


def _in_progress(phase: PhaseResult) -> PhaseResult:
    """The current phase on time: open items and sign-offs are pending; lapsed waivers fail."""
    phase.items = [
        replace(item, result=Result.PENDING)
        if item.result is Result.FAILED and not item.message.startswith("waiver expired")
        else item
        for item in phase.items
    ]
    phase.approvals = [
        replace(approval, result=Result.PENDING) if approval.result is Result.FAILED else approval
        for approval in phase.approvals
    ]
    return phase


def _late(document: RunState, today: dt.date) -> str | None:
    if document.due is not None and document.due < today and document.phase is not None:
        return f"is past its due date {document.due.isoformat()} with required items open"
    return None


def _health(
    document: RunState,
    framework: Framework,
    today: dt.date,
    failures: Failures,
) -> RunResult:
    result = RunResult(document.id, document.title, document.framework.id)
    current = document.phase
    for phase in phases_through_current(document, framework):
        checked = _phase_result(document, phase, today, failures)
        if phase.id != current:
            result.phases.append(_passed(checked))
            continue
        late = _late(document, today)
        if late is not None and not checked.ok:
            result.problems.append(late)
            result.phases.append(checked)
        else:
            result.phases.append(_in_progress(checked))
    return result


def _release(
    document: RunState,
    framework: Framework,
    demand: Demand,
    today: dt.date,
    failures: Failures,
) -> RunResult:
    """``through`` and ``complete``: every phase up to the named one passed, and complete."""
    order = [phase.id for phase in framework.phases]
    last = order[-1] if demand.mode is Mode.COMPLETE else demand.phase
    result = RunResult(document.id, document.title, document.framework.id)
    reached = len(order) if document.phase is None else order.index(document.phase)
    if reached <= order.index(last):
        where = f"it is in phase '{document.phase}'" if document.phase else "it is completed"
        wanted = "every phase" if demand.mode is Mode.COMPLETE else f"phase '{last}'"
        result.problems.append(f"has not passed {wanted} yet; {where}")
    for phase in framework.phases[: order.index(last) + 1]:
        result.phases.append(_phase_result(document, phase, today, failures))
    return result


def check_run(
    document: RunState,
    framework: Framework,
    demand: Demand,
    today: dt.date,
    check_failures: Failures | None = None,
) -> RunResult:
    """Evaluate a run against what the check demands.

    ``check_failures`` maps (run, item) to why its automated check failed, so
    the report says why the tool could not complete the item itself.
    """
    failures = check_failures or {}
    if demand.mode is Mode.HEALTH:
        return _health(document, framework, today, failures)
    if demand.mode in (Mode.THROUGH, Mode.COMPLETE):
        return _release(document, framework, demand, today, failures)
    result = RunResult(document.id, document.title, document.framework.id)
    for phase in select_phases(document, framework, demand.phase):
        result.phases.append(_phase_result(document, phase, today, failures))
    return result
