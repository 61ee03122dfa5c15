"""The CI gate: which required items and sign-offs are missing, per run and phase.

``opsctl check`` builds a :class:`CheckReport` here and renders it in the
format a pipeline understands (:mod:`opsctl.gate.formats`). Exit 0 when the
report is ok, 1 when something is missing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import Enum

from opsctl.definitions.model import Framework, Phase
from opsctl.engine.runs import item_complete, item_key, phases_through_current, state_of
from opsctl.errors import UsageError
from opsctl.store.documents import ItemStatus, RunDocument, RunHeader


class Result(str, Enum):
    """The verdict on one item or sign-off."""

    PASSED = "passed"
    FAILED = "failed"
    WAIVED = "waived"
    NOT_REQUIRED = "not-required"


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

    @property
    def ok(self) -> bool:
        """True when every checked phase is ok."""
        return all(phase.ok for phase in self.phases)


@dataclass
class CheckReport:
    """The whole verdict of one ``opsctl check``."""

    runs: list[RunResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every run is ok."""
        return all(run.ok for run in self.runs)

    def failures(self) -> list[tuple[RunResult, PhaseResult, Entry]]:
        """Everything missing, in order."""
        return [
            (run, phase, entry)
            for run in self.runs
            for phase in run.phases
            for entry in phase.entries()
            if entry.result is Result.FAILED
        ]


def select_phases(document: RunHeader, framework: Framework, which: str) -> list[Phase]:
    """``current`` (default), ``all`` (up to and including the current one) or a phase id."""
    if which == "current":
        if document.phase is None:
            return [framework.phases[-1]]
        phase = framework.phase(document.phase)
        return [phase] if phase else []
    if which == "all":
        return phases_through_current(document, framework)
    phase = framework.phase(which)
    if phase is None:
        known = ", ".join(p.id for p in framework.phases)
        raise UsageError(f"unknown phase '{which}' in run '{document.id}' (phases: {known})")
    return [phase]


def _item_result(document: RunHeader, phase: Phase, today: dt.date) -> list[ItemResult]:
    gate_ids = {item.id for item in phase.gate_items()}
    results = []
    for item in phase.items:
        state = state_of(document, phase, item)
        status = state.status.value if state else ItemStatus.OPEN.value
        complete, why = item_complete(state, today)
        if item.id not in gate_ids:
            verdict, message = Result.NOT_REQUIRED, "optional"
        elif complete and state is not None and state.status is ItemStatus.SKIPPED:
            until = f" (until {state.expires.isoformat()})" if state.expires else ""
            verdict, message = Result.WAIVED, f"waived by {state.by}: {state.reason}{until}"
        elif complete and state is not None:
            verdict, message = Result.PASSED, state.evidence or ""
        else:
            verdict, message = Result.FAILED, why
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


def check_run(
    document: RunDocument,
    framework: Framework,
    which: str,
    today: dt.date,
    check_failures: dict[tuple[str, str], str] | None = None,
) -> RunResult:
    """Evaluate the selected phases of a run: every item and every required sign-off.

    ``check_failures`` maps (run, item) to why its automated check failed, so
    the report says why the tool could not complete the item itself.
    """
    approvals = {
        (approval.phase, approval.role): approval.by
        for approval in document.approvals
        if approval.voided is None
    }
    result = RunResult(document.id, document.title, document.framework.id)
    for phase in select_phases(document, framework, which):
        items = [
            _with_check_failure(result, (check_failures or {}).get((document.id, result.key)))
            for result in _item_result(document, phase, today)
        ]
        checked = PhaseResult(phase.id, phase.title, items)
        for role in phase.gate.approvals:
            approver = approvals.get((phase.id, role), "")
            verdict = Result.PASSED if approver else Result.FAILED
            checked.approvals.append(ApprovalResult(role, verdict, approver))
        result.phases.append(checked)
    return result
