"""People on a run: items handed to a person with a due date, and comments.

Like every change to a run, an assignment and a comment are events
recorded through :func:`opsctl.engine.transitions.record`, so the history
says who handed what to whom, and when, and replays to the same state.
"""

from __future__ import annotations

import datetime as dt

from opsctl.definitions.config import Person
from opsctl.definitions.model import Framework, Phase
from opsctl.engine.approvals import roles_of
from opsctl.engine.runs import item_key, require_active, resolve_item
from opsctl.engine.transitions import record
from opsctl.errors import InvalidField, UsageError
from opsctl.store.documents import Assignment, RunDocument, RunHeader


def roster_person(email: str, people: list[Person]) -> Person:
    """The roster entry of a person (email matched case-insensitively), or a UsageError."""
    for person in people:
        if person.email.lower() == email.strip().lower():
            return person
    known = ", ".join(person.email for person in people) or "nobody yet (opsctl team add)"
    raise UsageError(f"unknown person '{email}': not in the team roster (people: {known})")


def phase_passed(document: RunHeader, framework: Framework, phase_id: str) -> bool:
    """Whether the run has already left this phase (all phases, once it is completed)."""
    order = [p.id for p in framework.phases]
    current = order.index(document.phase) if document.phase in order else len(order)
    return order.index(phase_id) < current


def _refuse_passed(document: RunDocument, framework: Framework, phase: Phase, key: str) -> None:
    """Refuse to hand out an item of a phase the run has already left."""
    if phase_passed(document, framework, phase.id):
        raise UsageError(
            f"item '{key}' belongs to phase '{phase.id}', which run '{document.id}' has "
            f"already passed (it is in phase '{document.phase}')"
        )


def assignment_of(document: RunDocument, key: str) -> Assignment:
    """An item's assignment; an empty one when nobody is assigned and no date set."""
    return (document.assignments or {}).get(key) or Assignment()


def assign(
    document: RunDocument,
    framework: Framework,
    ref: str,
    email: str,
    people: list[Person],
    actor: str,
    at: dt.datetime,
    *,
    due: dt.date | None = None,
    any_role: bool = False,
) -> str:
    """Hand an item to a person from the roster (holding its owner role, unless ``any_role``).

    A due date given replaces the item's; none given keeps it. Returns the
    item's key. Reassigning is recorded like assigning (``was`` names the
    previous assignee).
    """
    require_active(document)
    phase, item = resolve_item(framework, ref)
    key = item_key(phase, item)
    _refuse_passed(document, framework, phase, key)
    person = roster_person(email, people)
    if not any_role and item.owner not in roles_of(person.email, people):
        held = ", ".join(person.roles) or "no role"
        raise UsageError(
            f"{person.email} does not hold the role {item.owner} that owns '{key}' "
            f"(holds {held}); pass --any-role to assign anyway (recorded)"
        )
    previous = assignment_of(document, key)
    chosen = due or previous.due
    detail = {"assignee": person.email}
    if chosen:
        detail["due"] = chosen.isoformat()
    if previous.assignee:
        detail["was"] = previous.assignee
    if any_role:
        detail["any_role"] = "yes"
    record(document, actor, at, "assign", phase=phase.id, item=key, detail=detail)
    return key


def unassign(
    document: RunDocument, framework: Framework, ref: str, actor: str, at: dt.datetime
) -> str:
    """Take an item back from its assignee (its due date stays); returns the item's key."""
    require_active(document)
    phase, item = resolve_item(framework, ref)
    key = item_key(phase, item)
    previous = assignment_of(document, key)
    if previous.assignee is None:
        raise UsageError(f"item '{key}' is not assigned to anyone")
    detail = {"assignee": "", "was": previous.assignee}
    if previous.due:
        detail["due"] = previous.due.isoformat()
    record(document, actor, at, "assign", phase=phase.id, item=key, detail=detail)
    return key


def comment(
    document: RunDocument,
    framework: Framework,
    ref: str | None,
    text: str,
    actor: str,
    at: dt.datetime,
) -> str | None:
    """Leave a comment on a run or one of its items (completed runs too); returns the item key."""
    if not text.strip():
        raise InvalidField("text", "a comment must not be empty")
    key = None
    phase_id = None
    if ref is not None:
        phase, item = resolve_item(framework, ref)
        key, phase_id = item_key(phase, item), phase.id
    record(document, actor, at, "comment", phase=phase_id, item=key, detail={"text": text.strip()})
    return key
