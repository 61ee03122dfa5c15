"""Open work across every run: what is on a person's plate (``opsctl todo``).

An item is on a person's plate when it is assigned to them, or when nobody
is assigned and they hold its owner role (then only once the run has
reached its phase, and only if it is required). A phase waiting for a
sign-off is on the plate of everyone holding the role.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import ClassVar

from pydantic import Field

from opsctl.actions.results import Result, View
from opsctl.actions.session import Session
from opsctl.definitions.config import Person
from opsctl.definitions.model import Framework, Item, Phase
from opsctl.engine.applicability import applies, phase_applies
from opsctl.engine.approvals import roles_of
from opsctl.engine.people import assignment_of, roster_person
from opsctl.engine.runs import gate_report, item_complete, item_key, state_of
from opsctl.store.documents import ItemStatus, RunDocument, RunStatus


class OpenItem(View):
    """An item not complete yet, who has it, by when, and what it waits for."""

    run: str
    run_title: str
    phase: str
    item: str
    title: str
    owner: str
    status: str
    required: bool
    assignee: str | None
    due: dt.date | None = Field(description="The item's due date, else its run's.")
    overdue: bool
    waiting_for: str = Field(description="What must happen before it can be done; empty: ready.")
    unblocks: str = Field(description="What completing it unblocks.")


class PendingSignoff(View):
    """A phase waiting for a sign-off in a role."""

    run: str
    run_title: str
    phase: str
    role: str
    ready: bool = Field(description="Every item the gate needs is complete; only sign-offs miss.")
    due: dt.date | None
    holders: list[str]


@dataclass
class Work:
    """Every open item and pending sign-off of the active runs (and the runs read)."""

    items: list[OpenItem]
    signoffs: list[PendingSignoff]
    documents: list[RunDocument] = field(default_factory=list)


def _waiting_for(document: RunDocument, later: bool, reason: str) -> str:
    if reason.startswith("blocked"):
        return reason
    if later:
        return f"phase '{document.phase}' to pass its gate"
    return ""


def _open_item(
    document: RunDocument, phase: Phase, item: Item, later: bool, today: dt.date
) -> OpenItem | None:
    """The item as open work, or None when it is complete or nobody should pick it up yet."""
    complete, reason = item_complete(state_of(document, phase, item), today)
    key = item_key(phase, item)
    assignment = assignment_of(document, key)
    if complete or (assignment.assignee is None and (later or not item.required)):
        return None
    due = assignment.due or document.due
    state = state_of(document, phase, item)
    return OpenItem(
        run=document.id,
        run_title=document.title,
        phase=phase.id,
        item=key,
        title=item.title,
        owner=item.owner,
        status=state.status.value if state else ItemStatus.OPEN.value,
        required=item.required,
        assignee=assignment.assignee,
        due=due,
        overdue=due is not None and due < today,
        waiting_for=_waiting_for(document, later, reason),
        unblocks=f"the gate of phase '{phase.id}'" if item.required else "nothing (optional)",
    )


def _run_work(
    document: RunDocument, framework: Framework, today: dt.date, people: list[Person]
) -> Work:
    work = Work([], [])
    order = [phase.id for phase in framework.phases]
    current = order.index(document.phase) if document.phase in order else len(order)
    for index, phase in enumerate(framework.phases):
        if not phase_applies(document, phase):
            continue
        for item in phase.items:
            if applies(document, phase, item):
                found = _open_item(document, phase, item, index > current, today)
                work.items += [found] if found else []
        if index != current:
            continue
        report = gate_report(document, phase, today)
        work.signoffs += [
            PendingSignoff(
                run=document.id,
                run_title=document.title,
                phase=phase.id,
                role=role,
                ready=not report.missing,
                due=document.due,
                holders=[p.email for p in people if role in p.roles],
            )
            for role in report.approvals_missing
        ]
    return work


def open_work(session: Session) -> Work:
    """The open items and pending sign-offs of every active run, soonest due first."""
    store = session.runs
    headers, errors = store.headers()
    if errors:
        raise errors[0]
    today = session.today()
    work = Work([], [])
    for header in headers:
        if header.status is not RunStatus.ACTIVE:
            continue
        document = store.load(header.id)
        found = _run_work(document, store.framework_of(document), today, session.config.people)
        work.items += found.items
        work.signoffs += found.signoffs
        work.documents.append(document)
    work.items.sort(key=lambda i: (i.due or dt.date.max, i.run, i.item))
    work.signoffs.sort(key=lambda s: (s.due or dt.date.max, s.run, s.phase, s.role))
    return work


def plate(work: Work, email: str, people: list[Person]) -> Work:
    """The part of the open work that is a person's."""
    roles = roles_of(email, people)
    wanted = email.lower()
    return Work(
        items=[
            item
            for item in work.items
            if (item.assignee or "").lower() == wanted
            or (item.assignee is None and item.owner in roles)
        ],
        signoffs=[signoff for signoff in work.signoffs if signoff.role in roles],
    )


class Todo(Result):
    """``opsctl todo``: one person's open items and pending sign-offs, soonest due first."""

    KIND: ClassVar[str] = "todo"

    person: str
    roles: list[str]
    items: list[OpenItem]
    signoffs: list[PendingSignoff]


def todo(session: Session, person: str | None = None, overdue: bool = False) -> Todo:
    """What a person (default: the one acting) has to do across every active run."""
    people = session.config.people
    email = roster_person(person, people).email if person else session.actor
    mine = plate(open_work(session), email, people)
    items = [item for item in mine.items if item.overdue] if overdue else mine.items
    signoffs = mine.signoffs
    if overdue:
        today = session.today()
        signoffs = [s for s in signoffs if s.due is not None and s.due < today]
    return Todo(
        person=email,
        roles=sorted(roles_of(email, people)),
        items=items,
        signoffs=signoffs,
    )
