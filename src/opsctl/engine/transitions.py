"""The one state machine of a run: how each event of its history changes its state.

Every change to a run is an event. :func:`record` chains a new event onto
the history and applies it; :func:`replay` rebuilds a run from its history
by applying the stored events with the same :func:`apply`. So the state a
command leaves behind and the state an audit, a report of a past period or
a merge derives from the history cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from opsctl.store.documents import (
    Approval,
    Assignment,
    Comment,
    Event,
    ItemState,
    ItemStatus,
    RunDocument,
    RunStatus,
)

STATUS_ACTIONS = {
    "done": ItemStatus.DONE,
    "skipped": ItemStatus.SKIPPED,
    "blocked": ItemStatus.BLOCKED,
}
"""History actions that set an item's status."""


def _set_status(document: RunDocument, event: Event) -> None:
    if event.item is None:
        return
    detail = event.detail
    document.items[event.item] = ItemState.model_validate(
        {
            "status": STATUS_ACTIONS[event.action],
            "by": event.actor,
            "at": event.at,
            "evidence": detail.get("evidence"),
            "note": detail.get("note"),
            "reason": detail.get("reason"),
            "expires": detail.get("expires"),
        }
    )


def _reopen(document: RunDocument, event: Event) -> None:
    if event.item is not None:
        document.items.pop(event.item, None)


def _advance(document: RunDocument, event: Event) -> None:
    if document.status is RunStatus.COMPLETED or document.phase is None:
        return
    if event.detail.get("from", document.phase) != document.phase:
        return
    target = event.detail.get("to", "completed")
    document.phase = None if target == "completed" else target


def _complete(document: RunDocument, event: Event) -> None:
    if document.phase is None and document.status is RunStatus.ACTIVE:
        document.status = RunStatus.COMPLETED
        document.completed = event.at


def _approve(document: RunDocument, event: Event) -> None:
    # A signed sign-off's detail also holds its ``signature``: it proves who
    # signed (audit verify checks it) and changes nothing in the state.
    detail = event.detail
    document.approvals.append(
        Approval(
            phase=event.phase or "",
            role=detail.get("role", ""),
            by=event.actor,
            at=event.at,
            comment=detail.get("comment"),
            digest=detail.get("digest", ""),
        )
    )


def _void_approval(document: RunDocument, event: Event) -> None:
    # A signed revoke's ``signature`` is ignored here, as in _approve.
    wanted = (event.phase, event.detail.get("role"), event.detail.get("approver"))
    for approval in document.approvals:
        if approval.voided is None and (approval.phase, approval.role, approval.by) == wanted:
            approval.voided = event.detail.get("reason", "")
            return


def _upgrade(document: RunDocument, event: Event) -> None:
    detail = event.detail
    for key in filter(None, (part.strip() for part in detail.get("removed", "").split(","))):
        document.items.pop(key, None)
    kept = {part.strip() for part in detail.get("phases", "").split(",")}
    document.approvals = [a for a in document.approvals if a.phase in kept]
    document.framework.digest = detail.get("digest", document.framework.digest)
    document.phase = detail.get("phase") or document.phase


def _link(document: RunDocument, event: Event) -> None:
    ref = event.detail.get("ref")
    if ref and ref not in (document.refs or []):
        document.refs = sorted([*(document.refs or []), ref])


def _names(text: str) -> set[str]:
    return {part.strip() for part in text.split(",") if part.strip()}


def _label(document: RunDocument, event: Event) -> None:
    """Labels added and removed, and the condition paths found when the event was recorded.

    Labels change by difference, so two people labelling one run on two
    branches both keep their label when the histories merge.
    """
    detail = event.detail
    labels = set(document.labels or ()) | _names(detail.get("added", ""))
    document.labels = sorted(labels - _names(detail.get("removed", ""))) or None
    if "facts" in detail:
        document.facts = sorted(_names(detail["facts"])) or None


def _assign(document: RunDocument, event: Event) -> None:
    """An item's assignee and due date as the event states them (empty: none).

    The event carries the whole resulting assignment, so when two branches
    assign one item the later event wins, as for an item's status.
    """
    if event.item is None:
        return
    detail = event.detail
    assignments = dict(document.assignments or {})
    assignment = Assignment.model_validate(
        {
            "assignee": detail.get("assignee") or None,
            "due": detail.get("due") or None,
            "any_role": True if detail.get("any_role") == "yes" else None,
        }
    )
    if assignment.assignee is None and assignment.due is None:
        assignments.pop(event.item, None)
    else:
        assignments[event.item] = assignment
    document.assignments = assignments or None


def _comment(document: RunDocument, event: Event) -> None:
    comment = Comment(
        at=event.at, by=event.actor, item=event.item, text=event.detail.get("text", "")
    )
    document.comments = [*(document.comments or []), comment]


TRANSITIONS: dict[str, Callable[[RunDocument, Event], None]] = {
    **dict.fromkeys(STATUS_ACTIONS, _set_status),
    "reopen": _reopen,
    "advance": _advance,
    "complete": _complete,
    "approve": _approve,
    "void-approval": _void_approval,
    "upgrade": _upgrade,
    "link": _link,
    "label": _label,
    "assign": _assign,
    "comment": _comment,
}
"""What each action does to a run; actions not listed (start, a refused advance,
a merge) leave the state as it is."""


def apply(document: RunDocument, event: Event) -> None:
    """Change a run's state by one event, whether just recorded or replayed."""
    transition = TRANSITIONS.get(event.action)
    if transition is not None:
        transition(document, event)


def record(
    document: RunDocument,
    actor: str,
    at: dt.datetime,
    action: str,
    phase: str | None = None,
    item: str | None = None,
    detail: dict[str, str] | None = None,
) -> Event:
    """Append an event to the run's history, chained to the one before it, and apply it."""
    event = Event(
        at=at,
        actor=actor,
        action=action,
        phase=phase,
        item=item,
        detail=detail or {},
        prev=document.history[-1].hash if document.history else "",
    )
    event.hash = document.head = event.content_hash()
    document.history.append(event)
    apply(document, event)
    return event


def replay(
    document: RunDocument, until: dt.datetime | None = None, first_phase: str | None = None
) -> RunDocument:
    """The run its history alone leads to (only events before ``until``, if given).

    The result carries every field a run has, history excluded, so it can be
    compared with the stored document field by field. ``first_phase`` stands
    in for histories whose start event predates recording the phase.
    """
    start = document.history[0] if document.history else None
    detail = start.detail if start else {}
    state = RunDocument.model_validate(
        {
            "id": document.id,
            "title": detail.get("title", document.title),
            "framework": {
                "id": detail.get("framework", document.framework.id),
                "digest": detail.get("digest", document.framework.digest),
            },
            "created": start.at if start else document.created,
            "created_by": start.actor if start else document.created_by,
            "due": detail.get("due", document.due),
            "phase": detail.get("phase", first_phase),
        }
    )
    for event in document.history[1:]:
        if until is not None and event.at >= until:
            break
        apply(state, event)
    return state
