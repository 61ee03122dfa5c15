"""Tamper evidence: a run's history is a hash chain, and its state must follow from it.

Each event carries the hash of the event before it and its own hash, like
git's commits. :func:`verify` recomputes the chain and replays the history
into a fresh state, reporting the first event that was edited, removed or
reordered, and any stored state that does not follow from the history.

This makes silent edits visible; it is not access control against someone
determined to rewrite the whole file and every hash after their edit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from opsctl.clock import iso
from opsctl.store.documents import Approval, Event, ItemState, ItemStatus, RunDocument, RunStatus

STATUS_ACTIONS = {
    "done": ItemStatus.DONE,
    "skipped": ItemStatus.SKIPPED,
    "blocked": ItemStatus.BLOCKED,
}


@dataclass(frozen=True)
class AuditFinding:
    """The first problem found in a run, or None when intact."""

    run: str
    event: int | None
    message: str

    def __str__(self) -> str:
        where = f" event #{self.event}" if self.event is not None else ""
        return f"{self.run}:{where} {self.message}"


def _describe(event: Event) -> str:
    target = f" {event.item or event.phase}" if (event.item or event.phase) else ""
    return f"({event.action}{target} by {event.actor} at {iso(event.at)})"


def check_chain(document: RunDocument) -> AuditFinding | None:
    """The first event whose hash or link to its predecessor is wrong."""
    previous = ""
    for number, event in enumerate(document.history, start=1):
        if event.prev != previous:
            return AuditFinding(
                document.id,
                number,
                f"{_describe(event)} does not follow the event before it: "
                "an event was removed or reordered here",
            )
        if event.content_hash() != event.hash:
            return AuditFinding(
                document.id, number, f"{_describe(event)} was edited: its hash does not match"
            )
        previous = event.hash
    return None


@dataclass
class ReplayedState:
    """What a run's state must be, given its history."""

    phase: str | None
    status: RunStatus
    digest: str
    items: dict[str, ItemState]
    approvals: list[Approval]
    completed: dt.datetime | None = None


def _apply(state: ReplayedState, event: Event) -> None:
    detail = event.detail
    if event.action in STATUS_ACTIONS and event.item:
        state.items[event.item] = ItemState(
            status=STATUS_ACTIONS[event.action],
            by=event.actor,
            at=event.at,
            evidence=detail.get("evidence"),
            note=detail.get("note"),
            reason=detail.get("reason"),
            expires=detail.get("expires"),
        )
    elif event.action == "reopen" and event.item:
        state.items.pop(event.item, None)
    elif event.action == "advance":
        stale = state.phase is not None and detail.get("from", state.phase) != state.phase
        if stale or state.status is RunStatus.COMPLETED:
            return
        target = detail.get("to", "completed")
        state.phase = None if target == "completed" else target
    elif event.action == "complete" and state.phase is None:
        state.status = RunStatus.COMPLETED
        state.completed = event.at
    elif event.action == "approve":
        state.approvals.append(
            Approval(
                phase=event.phase or "",
                role=detail.get("role", ""),
                by=event.actor,
                at=event.at,
                comment=detail.get("comment"),
                digest=detail.get("digest", ""),
            )
        )
    elif event.action == "void-approval":
        for approval in state.approvals:
            same = (approval.phase, approval.role, approval.by)
            if (
                same == (event.phase, detail.get("role"), detail.get("approver"))
                and not approval.voided
            ):
                approval.voided = detail.get("reason", "")
                break
    elif event.action == "upgrade":
        for key in filter(None, (part.strip() for part in detail.get("removed", "").split(","))):
            state.items.pop(key, None)
        kept = {part.strip() for part in detail.get("phases", "").split(",")}
        state.approvals = [a for a in state.approvals if a.phase in kept]
        state.digest = detail.get("digest", state.digest)
        state.phase = detail.get("phase") or state.phase


def replay(
    document: RunDocument, until: dt.datetime | None = None, first_phase: str | None = None
) -> ReplayedState:
    """Rebuild a run's state from its history alone (only events before ``until``, if given).

    ``first_phase`` stands in for histories whose start event predates
    recording the phase.
    """
    start = document.history[0] if document.history else None
    state = ReplayedState(
        phase=start.detail.get("phase", first_phase) if start else first_phase,
        status=RunStatus.ACTIVE,
        digest=start.detail.get("digest", document.framework.digest) if start else "",
        items={},
        approvals=[],
    )
    for event in document.history[1:]:
        if until is not None and event.at >= until:
            break
        _apply(state, event)
    return state


def _start_difference(document: RunDocument) -> str | None:
    start = document.history[0]
    recorded = {
        "title": start.detail.get("title", document.title),
        "due": start.detail.get("due", document.due.isoformat() if document.due else None),
        "framework": start.detail.get("framework", document.framework.id),
    }
    stored = {
        "title": document.title,
        "due": document.due.isoformat() if document.due else None,
        "framework": document.framework.id,
    }
    for field, value in stored.items():
        if value != recorded[field]:
            return f"{field} is {value!r} but the run was started with {recorded[field]!r}"
    if document.created != start.at or document.created_by != start.actor:
        return "created / created_by differ from the start event"
    return None


def _state_difference(document: RunDocument, state: ReplayedState) -> str | None:
    started = _start_difference(document)
    if started is not None:
        return started
    if state.phase is not None and document.phase != state.phase:
        return f"phase is '{document.phase}' but the history leads to '{state.phase}'"
    if document.status is not state.status:
        return (
            f"status is '{document.status.value}' but the history leads to '{state.status.value}'"
        )
    if document.framework.digest != state.digest:
        return "the pinned definition digest does not follow from the history"
    for key in sorted(set(document.items) | set(state.items)):
        stored, replayed = document.items.get(key), state.items.get(key)
        if stored != replayed:
            shown = stored.status.value if stored else "open"
            expected = replayed.status.value if replayed else "open"
            if shown == expected:
                return (
                    f"item '{key}' differs from what the history recorded (evidence, note or time)"
                )
            return f"item '{key}' is '{shown}' but the history leads to '{expected}'"
    if document.approvals != state.approvals:
        return "the sign-offs do not follow from the history"
    return None


def verify(document: RunDocument) -> AuditFinding | None:
    """The first problem with a run's history or state; None when it is intact."""
    if not document.history or document.history[0].action != "start":
        return AuditFinding(
            document.id, 1 if document.history else None, "history does not begin with 'start'"
        )
    broken = check_chain(document)
    if broken is not None:
        return broken
    if document.head != document.history[-1].hash:
        return AuditFinding(
            document.id,
            len(document.history),
            "the last event is not the recorded head: events were removed from the end",
        )
    difference = _state_difference(document, replay(document))
    if difference is not None:
        return AuditFinding(
            document.id, None, f"state does not follow from the history: {difference}"
        )
    return None
