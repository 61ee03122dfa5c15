"""Read use cases over one run: its status and its history (the list: :mod:`listing`).

Their results are the documented JSON shapes (docs/json.md) and what the
text renderings read.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from pydantic import Field

from opsctl.actions.listing import RunSummary, run_summary
from opsctl.actions.results import Result, View
from opsctl.actions.session import Session
from opsctl.definitions.config import Person
from opsctl.definitions.model import Framework, Item, Phase
from opsctl.engine.applicability import applies, phase_applies, why_not
from opsctl.engine.runs import gate_report, item_key, state_of
from opsctl.store.documents import Event, RunDocument


def _omitted(value: object) -> bool:
    return value is None


class MissingItem(View):
    """An item keeping a gate shut."""

    item: str
    owner: str
    why: str


class GateView(View):
    """What a phase's gate needs and has."""

    met: bool
    missing: list[MissingItem]
    approvals_required: list[str]
    approvals_missing: list[str]


class ItemView(View):
    """An item of a phase with its recorded state (absent fields: not recorded)."""

    key: str
    id: str
    title: str
    owner: str
    required: bool
    evidence_kind: str
    status: str
    applicable: bool = True
    condition: str | None = Field(
        default=None,
        exclude_if=_omitted,
        description="Why the item does not apply, if it does not.",
    )
    by: str | None = Field(default=None, exclude_if=_omitted)
    at: dt.datetime | None = Field(default=None, exclude_if=_omitted)
    evidence: str | None = Field(default=None, exclude_if=_omitted)
    note: str | None = Field(default=None, exclude_if=_omitted)
    reason: str | None = Field(default=None, exclude_if=_omitted)
    expires: dt.date | None = Field(default=None, exclude_if=_omitted)
    assignee: str | None = Field(default=None, exclude_if=_omitted)
    due: dt.date | None = Field(default=None, exclude_if=_omitted)
    any_role: bool | None = Field(default=None, exclude_if=_omitted)


class CommentView(View):
    """A comment on the run or one of its items."""

    at: dt.datetime
    by: str
    item: str | None = Field(default=None, exclude_if=_omitted)
    text: str


class SignoffLine(View):
    """One sign-off a phase needs or had: signed, voided, or waiting (and who may give it)."""

    role: str
    state: str
    by: str | None = Field(default=None, exclude_if=_omitted)
    at: dt.datetime | None = Field(default=None, exclude_if=_omitted)
    reason: str | None = Field(default=None, exclude_if=_omitted)
    may_sign: list[str] = Field(default_factory=list)


class PhaseView(View):
    """A phase of a run: its gate, items and sign-offs."""

    id: str
    title: str
    group: str | None = Field(default=None, exclude_if=_omitted)
    applicable: bool = True
    current: bool
    gate: GateView
    items: list[ItemView]
    signoffs: list[SignoffLine] = Field(default_factory=list)


def person_label(email: str, people: list[Person]) -> str:
    """A person as ``Name <email>`` when the roster knows a name, else the email."""
    for person in people:
        if person.email.lower() == email.lower() and person.name:
            return f"{person.name} <{person.email}>"
    return email


def _signoffs(document: RunDocument, phase: Phase, people: list[Person]) -> list[SignoffLine]:
    """Who signed the phase, whose sign-off was voided, and who still has to sign."""
    lines: list[SignoffLine] = []
    signed: set[str] = set()
    for approval in document.approvals:
        if approval.phase != phase.id:
            continue
        state = "voided" if approval.voided is not None else "signed"
        if state == "signed":
            signed.add(approval.role)
        lines.append(
            SignoffLine(
                role=approval.role,
                state=state,
                by=person_label(approval.by, people),
                at=approval.at,
                reason=approval.voided,
            )
        )
    for role in phase.gate.approvals if phase_applies(document, phase) else []:
        if role not in signed:
            holders = [person_label(p.email, people) for p in people if role in p.roles]
            lines.append(SignoffLine(role=role, state="waiting", may_sign=holders))
    return lines


class DefinitionView(View):
    """The definition a run is pinned to, against the current one."""

    digest: str
    current_digest: str | None
    changed: bool


class ApprovalView(View):
    """A sign-off as stored."""

    phase: str
    role: str
    by: str
    at: dt.datetime
    digest: str
    comment: str | None = Field(default=None, exclude_if=_omitted)
    voided: str | None = Field(default=None, exclude_if=_omitted)


class RunStatus(Result):
    """``opsctl status``: every phase, item state and gate of one run."""

    KIND: ClassVar[str] = "run-status"

    run: RunSummary
    definition: DefinitionView
    approvals: list[ApprovalView]
    phases: list[PhaseView]
    comments: list[CommentView] = Field(default_factory=list)


def _item_view(document: RunDocument, phase: Phase, item: Item) -> ItemView:
    state = state_of(document, phase, item)
    recorded = state.model_dump(exclude={"status"}) if state else {}
    assignment = (document.assignments or {}).get(item_key(phase, item))
    if assignment is not None:
        recorded |= assignment.model_dump(exclude_defaults=True)
    return ItemView(
        key=item_key(phase, item),
        id=item.id,
        title=item.title,
        owner=item.owner,
        required=item.required,
        evidence_kind=item.evidence.value,
        status=state.status.value if state else "open",
        applicable=applies(document, phase, item),
        condition=why_not(document, phase, item) or None,
        **recorded,
    )


def _phase_view(
    document: RunDocument, phase: Phase, today: dt.date, people: list[Person]
) -> PhaseView:
    report = gate_report(document, phase, today)
    return PhaseView(
        id=phase.id,
        title=phase.title,
        group=phase.group,
        applicable=phase_applies(document, phase),
        current=phase.id == document.phase,
        gate=GateView(
            met=report.met,
            missing=[
                MissingItem(item=item_key(m.phase, m.item), owner=m.item.owner, why=m.why)
                for m in report.missing
            ],
            approvals_required=list(phase.gate.approvals),
            approvals_missing=report.approvals_missing,
        ),
        items=[_item_view(document, phase, item) for item in phase.items],
        signoffs=_signoffs(document, phase, people),
    )


def status_of(
    document: RunDocument,
    framework: Framework,
    today: dt.date,
    current_digest: str | None,
    people: list[Person] | None = None,
) -> RunStatus:
    """Everything ``opsctl status`` shows of a loaded run."""
    return RunStatus(
        run=run_summary(document, framework, today),
        definition=DefinitionView(
            digest=document.framework.digest,
            current_digest=current_digest,
            changed=current_digest != document.framework.digest,
        ),
        approvals=[ApprovalView(**approval.model_dump()) for approval in document.approvals],
        phases=[_phase_view(document, phase, today, people or []) for phase in framework.phases],
        comments=[CommentView(**comment.model_dump()) for comment in document.comments or []],
    )


def run_status(session: Session, run_id: str) -> RunStatus:
    """One run's status, read from the store."""
    document = session.runs.load(run_id)
    framework = session.runs.framework_of(document)
    return status_of(
        document,
        framework,
        session.today(),
        session.current_digest(document.framework.id),
        session.config.people,
    )


class RunLog(Result):
    """``opsctl log``: a run's history, oldest first."""

    KIND: ClassVar[str] = "run-log"

    run: str
    events: list[Event]


def run_log(session: Session, run_id: str, limit: int = 0) -> RunLog:
    """A run's history (only the last ``limit`` events, if given)."""
    document = session.runs.load(run_id)
    events = document.history[-limit:] if limit else document.history
    return RunLog(run=document.id, events=events)
