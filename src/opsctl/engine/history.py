"""Tamper evidence: a run's history is a hash chain, and its state must follow from it.

Each event carries the hash of the event before it and its own hash, like
git's commits. :func:`verify` recomputes the chain and replays the history
into a fresh state, reporting the first event that was edited, removed or
reordered, and any stored state that does not follow from the history.

This makes silent edits visible; it is not access control against someone
determined to rewrite the whole file and every hash after their edit. In a
workspace with ``signoffs: signed`` :func:`verify` also checks each
sign-off's SSH signature (through a :class:`SignoffPolicy` the caller
builds, since checking runs ssh-keygen), which a rewrite cannot forge.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from opsctl.clock import iso
from opsctl.engine.signatures import SIGNATURE, is_signoff, signoff_payload
from opsctl.engine.transitions import replay
from opsctl.store.documents import Event, RunDocument

SignatureCheck = Callable[[Event, bytes], str | None]
"""Checks a sign-off's signature over its payload: None when it holds, else what is wrong."""


@dataclass(frozen=True)
class SignoffPolicy:
    """Every sign-off must be signed (those before ``since`` may be unsigned) and verify."""

    check: SignatureCheck
    since: dt.date | None = None


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


def _item_difference(document: RunDocument, state: RunDocument) -> str | None:
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
    return None


def _state_difference(document: RunDocument, state: RunDocument) -> str | None:
    """The first field of a run that differs from the replay of its history."""
    if document.framework.digest != state.framework.digest:
        return "the pinned definition digest does not follow from the history"
    if document.phase != state.phase:
        return f"phase is {_shown(document.phase)} but the history leads to {_shown(state.phase)}"
    if document.status is not state.status:
        return (
            f"status is '{document.status.value}' but the history leads to '{state.status.value}'"
        )
    items = _item_difference(document, state)
    if items is not None:
        return items
    if document.approvals != state.approvals:
        return "the sign-offs do not follow from the history"
    stored = document.model_dump(mode="json", exclude={"history", "head"})
    replayed = state.model_dump(mode="json", exclude={"history", "head"})
    for field in sorted(stored):
        if stored[field] != replayed.get(field):
            return f"{field} is {stored[field]!r} but the history leads to {replayed.get(field)!r}"
    return None


def _shown(phase: str | None) -> str:
    return f"'{phase}'" if phase is not None else "none (completed)"


def check_signoffs(document: RunDocument, policy: SignoffPolicy) -> AuditFinding | None:
    """The first sign-off that is unsigned, forged or re-signed; None when all hold."""
    for number, event in enumerate(document.history, start=1):
        if not is_signoff(event):
            continue
        if SIGNATURE not in event.detail:
            if policy.since is not None and event.at.date() < policy.since:
                continue
            return AuditFinding(
                document.id,
                number,
                f"{_describe(event)} is unsigned: this workspace has 'signoffs: signed' and "
                f"every {'revocation' if event.action == 'void-approval' else 'sign-off'} "
                "must carry its author's SSH signature",
            )
        problem = policy.check(event, signoff_payload(document.id, event))
        if problem is not None:
            return AuditFinding(document.id, number, f"{_describe(event)} {problem}")
    return None


def verify(document: RunDocument, signoffs: SignoffPolicy | None = None) -> AuditFinding | None:
    """The first problem with a run's history or state; None when it is intact.

    With ``signoffs``, every sign-off's signature is checked too, after the
    chain and the state.
    """
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
    return check_signoffs(document, signoffs) if signoffs is not None else None
