"""Sign-offs: who may approve a phase's gate, and what an approval records.

In a workspace with ``signoffs: signed`` the use case hands :func:`approve`
and :func:`revoke` a ``sign`` function (an SSH key, see
:mod:`opsctl.actions.signing`): each sign-off event is signed over
:func:`~opsctl.engine.signatures.signoff_payload` before it is recorded,
so the hash chain covers the signature.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from opsctl.definitions.config import Person
from opsctl.definitions.model import Framework, Item, Phase
from opsctl.engine.runs import gate_report, item_key, require_active, state_of
from opsctl.engine.signatures import REVOKED_PREFIX, SIGNATURE, signoff_payload
from opsctl.engine.transitions import record
from opsctl.errors import CheckFailed, InvalidField, UsageError, digest
from opsctl.store.documents import Approval, Event, ItemStatus, RunDocument

Signer = Callable[[bytes], str]
"""Signs a sign-off's payload, returning the armored SSH signature."""


def phase_digest(document: RunDocument, phase: Phase) -> str:
    """A digest of a phase's item states, so an approval says what it approved."""
    states = {}
    for item in phase.items:
        state = state_of(document, phase, item)
        states[item_key(phase, item)] = state.status.value if state else "open"
    return digest(states)


def roles_of(actor: str, people: list[Person]) -> set[str]:
    """The roles the roster gives a person (matched by email, case-insensitively)."""
    return {
        role for person in people if person.email.lower() == actor.lower() for role in person.roles
    }


def holders(role: str, people: list[Person]) -> list[str]:
    """Who holds a role."""
    return [person.email for person in people if role in person.roles]


def _phase_to_approve(document: RunDocument, framework: Framework, phase_id: str | None) -> Phase:
    if document.phase is None:
        raise UsageError(f"run '{document.id}' is completed; nothing is left to approve")
    wanted = phase_id or document.phase
    phase = framework.phase(wanted)
    if phase is None:
        known = ", ".join(p.id for p in framework.phases)
        raise UsageError(f"unknown phase '{wanted}' (phases: {known})")
    order = [p.id for p in framework.phases]
    if order.index(phase.id) > order.index(document.phase):
        raise UsageError(
            f"phase '{phase.id}' is not reached yet (current: '{document.phase}'); "
            "only the current phase, or an earlier one whose sign-off was voided, can be approved"
        )
    return phase


def standing(document: RunDocument, phase: Phase, actor: str) -> list[Approval]:
    """The actor's sign-offs of a phase that still count."""
    return [
        approval
        for approval in document.approvals
        if approval.phase == phase.id
        and approval.voided is None
        and approval.by.lower() == actor.lower()
    ]


def _refuse_incomplete(document: RunDocument, phase: Phase, today: dt.date) -> None:
    """A sign-off approves finished work: refuse while a required item is incomplete."""
    missing = gate_report(document, phase, today).missing
    if missing:
        listed = ", ".join(f"{item_key(m.phase, m.item)} ({m.why})" for m in missing)
        raise CheckFailed(
            f"phase '{phase.id}' cannot be signed off while required items are incomplete: {listed}"
        )


def _record_signoff(
    document: RunDocument,
    actor: str,
    at: dt.datetime,
    action: str,
    phase: str,
    detail: dict[str, str],
    sign: Signer | None,
) -> None:
    """Record a sign-off event, signed first when a signer is given."""
    if sign is not None:
        unsigned = Event(at=at, actor=actor, action=action, phase=phase, detail=detail)
        detail = {**detail, SIGNATURE: sign(signoff_payload(document.id, unsigned))}
    record(document, actor, at, action, phase=phase, detail=detail)


def approve(
    document: RunDocument,
    framework: Framework,
    people: list[Person],
    actor: str,
    at: dt.datetime,
    *,
    phase_id: str | None = None,
    role: str | None = None,
    comment: str | None = None,
    sign: Signer | None = None,
) -> list[Approval]:
    """Sign off a phase's gate in every pending role the actor holds.

    Returns the new sign-offs; none when the actor has already signed this
    phase and holds no other pending role (a repeat changes nothing). With
    ``sign``, each sign-off event carries its signature.
    """
    phase = _phase_to_approve(document, framework, phase_id)
    required = phase.gate.approvals
    if not required:
        raise UsageError(f"phase '{phase.id}' needs no sign-off")
    if role is not None and role not in required:
        raise UsageError(f"phase '{phase.id}' needs sign-off by {', '.join(required)}, not {role}")
    done = {a.role for a in document.approvals if a.phase == phase.id and a.voided is None}
    pending = [r for r in required if r not in done and (role is None or r == role)]
    allowed = roles_of(actor, people)
    granted = [r for r in pending if r in allowed]
    if not granted and standing(document, phase, actor):
        return []
    if not pending:
        raise UsageError(f"phase '{phase.id}' is already approved by {', '.join(sorted(done))}")
    if not granted:
        who = "; ".join(f"{r}: {', '.join(holders(r, people)) or 'nobody yet'}" for r in pending)
        raise CheckFailed(
            f"{actor} may not sign off phase '{phase.id}': it needs {', '.join(pending)} "
            f"({who}); the team roster is 'people' in .opsctl/config.yaml"
        )
    _refuse_incomplete(document, phase, at.date())
    check_separation(document, phase, actor)
    digest = phase_digest(document, phase)
    for granted_role in granted:
        detail = {"role": granted_role, "digest": digest}
        if comment:
            detail["comment"] = comment
        _record_signoff(document, actor, at, "approve", phase.id, detail, sign)
    return document.approvals[-len(granted) :]


def check_separation(document: RunDocument, phase: Phase, actor: str) -> None:
    """Refuse a sign-off by the only person who completed the phase's items, if the gate says so."""
    if not phase.gate.separation_of_duties:
        return
    completers = {
        state.by
        for item in phase.items
        if (state := state_of(document, phase, item)) is not None
        and state.status is ItemStatus.DONE
    }
    if {name.lower() for name in completers} == {actor.lower()}:
        raise CheckFailed(
            f"separation of duties: {actor} completed every item of phase '{phase.id}' "
            "and may not also sign it off; ask another holder of the role"
        )


def check_owner(item: Item, actor: str, people: list[Person], enforce_by_default: bool) -> None:
    """Refuse an item change by someone not holding its owner role, where that is enforced."""
    enforce = item.enforce_owner if item.enforce_owner is not None else enforce_by_default
    if not enforce or item.owner in roles_of(actor, people):
        return
    who = ", ".join(holders(item.owner, people)) or "nobody yet"
    raise CheckFailed(
        f"only someone holding the role {item.owner} may change '{item.id}' (held by: {who}); "
        f"{actor} holds {', '.join(sorted(roles_of(actor, people))) or 'no role'}"
    )


def revoke(
    document: RunDocument,
    phase_id: str,
    actor: str,
    reason: str,
    at: dt.datetime,
    sign: Signer | None = None,
) -> list[Approval]:
    """Withdraw the actor's own sign-offs of a phase; they are voided, never deleted.

    Each is voided by a ``void-approval`` event whose reason begins
    ``revoked by``; with ``sign``, that event carries the actor's signature.
    """
    require_active(document)
    if not reason.strip():
        raise InvalidField("reason", "revoke needs a reason saying why")
    why = f"{REVOKED_PREFIX}{actor}: {reason.strip()}"
    revoked = [
        approval
        for approval in document.approvals
        if approval.phase == phase_id
        and approval.voided is None
        and approval.by.lower() == actor.lower()
    ]
    if not revoked:
        raise UsageError(f"no sign-off of phase '{phase_id}' by {actor} to revoke")
    for approval in revoked:
        detail = {"role": approval.role, "approver": approval.by, "reason": why}
        _record_signoff(document, actor, at, "void-approval", phase_id, detail, sign)
    return revoked
