"""Read use cases over runs: the list, one run's status, its history.

Their results are the documented JSON shapes (docs/json.md) and what the
text renderings read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar, TypeGuard

from pydantic import Field

from opsctl.actions.results import Result, View
from opsctl.actions.session import Session
from opsctl.clock import iso
from opsctl.definitions.config import Person
from opsctl.definitions.model import Framework, Item, Phase
from opsctl.engine.applicability import applies, phase_applies, why_not
from opsctl.engine.runs import current_phase, gate_report, item_key, progress, state_of
from opsctl.engine.selection import RunSelector
from opsctl.errors import StoreError
from opsctl.store.documents import Event, RunDocument, RunHeader


def _omitted(value: object) -> bool:
    return value is None


class Progress(View):
    """Required items complete out of all required items."""

    complete: int
    total: int


class RunSummary(View):
    """One line of ``opsctl runs``."""

    id: str
    title: str
    framework: str
    status: str
    phase: str | None
    phase_title: str | None
    phase_number: int
    phases: int
    progress: Progress
    due: str | None
    overdue: bool
    created: str
    labels: list[str] = Field(default_factory=list)


def run_summary(document: RunHeader, framework: Framework, today: dt.date) -> RunSummary:
    """Where a run stands, in one line."""
    complete, total = progress(document, framework, today)
    phase = current_phase(document, framework)
    number = next(n for n, p in enumerate(framework.phases, 1) if p is phase) if phase else 0
    return RunSummary(
        id=document.id,
        title=document.title,
        framework=document.framework.id,
        status=document.status.value,
        phase=phase.id if phase else None,
        phase_title=phase.title if phase else None,
        phase_number=number or len(framework.phases),
        phases=len(framework.phases),
        progress=Progress(complete=complete, total=total),
        due=document.due.isoformat() if document.due else None,
        overdue=bool(document.due and document.due < today and document.phase is not None),
        created=iso(document.created),
        labels=document.labels or [],
    )


class RunList(Result):
    """``opsctl runs``: every readable run; unreadable ones are listed as errors."""

    KIND: ClassVar[str] = "runs"

    runs: list[RunSummary]
    errors: list[str] = Field(default=[], exclude=True)

    def rows(self) -> list[list[str]]:
        """The listing as text columns: id, framework, phase, progress, due, status."""
        return [
            [
                row.id,
                row.framework,
                f"{row.phase_number}/{row.phases} {row.phase or ''}".rstrip(),
                f"{row.progress.complete}/{row.progress.total}",
                (row.due or "-") + (" overdue" if row.overdue else ""),
                row.status,
            ]
            for row in self.runs
        ]


@dataclass(frozen=True)
class RunRows:
    """``opsctl runs`` as a text table: its rows, and the runs that could not be read."""

    rows: list[list[str]]
    errors: list[str]


RUN_COLUMNS = ["ID", "FRAMEWORK", "PHASE", "PROGRESS", "DUE", "STATUS"]


def check_selector(session: Session, selector: RunSelector | None) -> None:
    """Refuse a selector naming a framework or person opsctl does not know (exit 2).

    A misspelt ``--framework`` or ``--assignee`` would select nothing, and
    ``check --all`` over nothing passes: a CI gate must fail closed instead.
    """
    from opsctl.errors import InvalidField

    if selector is None:
        return
    if selector.framework is not None and selector.framework not in session.catalog.entries:
        known = ", ".join(sorted(session.catalog.entries))
        raise InvalidField(
            "framework", f"unknown framework '{selector.framework}' (known: {known})"
        )
    people = [person.email.lower() for person in session.config.people]
    if selector.assignee is not None and selector.assignee.lower() not in people:
        known = ", ".join(person.email for person in session.config.people) or "nobody yet"
        raise InvalidField(
            "assignee", f"'{selector.assignee}' is not on the team roster (the roster: {known})"
        )


def list_runs(session: Session, selector: RunSelector | None = None) -> RunList:
    """Every run of the workspace (those the selector picks, if given), in id order.

    The whole listing is cached under a fingerprint of every run and pinned
    definition file, the day and the selector (:meth:`RunStore.fingerprint`):
    asked again with nothing changed, ten thousand runs are not summed up
    again. Any change is a miss, answered from the run index.
    """
    check_selector(session, selector)
    store = session.runs
    today = session.today()
    source = store.fingerprint(f"runs {today.isoformat()} {selector!r}")
    cache = session.cache
    cached = cache.get_json_bytes("runs-list", source) if source is not None else None
    if cached is not None:
        try:
            return RunList.model_validate_json(cached)
        except ValueError:  # a damaged entry
            pass
    listing = _list_runs(session, today, selector)
    if source is not None:
        cache.put("runs-list", source, listing.model_dump(mode="json") | {"errors": listing.errors})
    return listing


def list_run_rows(session: Session, selector: RunSelector | None = None) -> RunRows:
    """The rows of :func:`list_runs` as text (:meth:`RunList.rows`), cached under the same key.

    Validating ten thousand cached summaries only to print them costs more
    than reading them: the text rows are kept beside the listing.
    """
    check_selector(session, selector)
    source = session.runs.fingerprint(f"runs {session.today().isoformat()} {selector!r}")
    cached = session.cache.get("runs-rows", source) if source is not None else None
    if isinstance(cached, dict):
        rows, errors = cached.get("rows"), cached.get("errors")
        if _is_rows(rows) and _is_texts(errors):
            return RunRows(rows, errors)
    listing = list_runs(session, selector)
    found = RunRows(listing.rows(), listing.errors)
    if source is not None:
        session.cache.put("runs-rows", source, {"rows": found.rows, "errors": found.errors})
    return found


def _is_texts(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(text, str) for text in value)


def _is_rows(value: object) -> TypeGuard[list[list[str]]]:
    return isinstance(value, list) and all(
        _is_texts(row) and len(row) == len(RUN_COLUMNS) for row in value
    )


def _list_runs(session: Session, today: dt.date, selector: RunSelector | None) -> RunList:
    store = session.runs
    documents, errors = store.headers()
    rows = []
    for document in documents:
        if selector and not selector.matches(document, today):
            continue
        try:
            rows.append(run_summary(document, store.framework_of(document), today))
        except StoreError as exc:
            errors.append(exc)
    return RunList(runs=rows, errors=list(dict.fromkeys(str(error) for error in errors)))


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
