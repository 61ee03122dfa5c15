"""Use cases on items and sign-offs: done, skip, block, reopen, approve, revoke.

``opsctl done`` and ``opsctl walk`` record an item through the same
:func:`set_item_status`; every result names the sign-offs the change voided.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from opsctl.actions.results import Result, View
from opsctl.actions.session import Session
from opsctl.actions.signing import signer
from opsctl.definitions.config import Person
from opsctl.definitions.model import EvidenceKind
from opsctl.engine.approvals import approve, holders, revoke, standing
from opsctl.engine.runs import item_key, resolve_item, set_item
from opsctl.errors import InvalidField
from opsctl.git.setup import git_output
from opsctl.store.documents import ItemStatus, RunDocument


class VoidedSignoff(View):
    """A sign-off that no longer counts: whose, in which role, why, who may sign again."""

    phase: str
    role: str
    approver: str
    reason: str
    may_reapprove: list[str]


def _voided_since(document: RunDocument, start: int, people: list[Person]) -> list[VoidedSignoff]:
    """The sign-offs voided by the events recorded from ``start`` on."""
    return [
        VoidedSignoff(
            phase=event.phase or "",
            role=event.detail.get("role", ""),
            approver=event.detail.get("approver", ""),
            reason=event.detail.get("reason", ""),
            may_reapprove=holders(event.detail.get("role", ""), people),
        )
        for event in document.history[start:]
        if event.action == "void-approval"
    ]


class ItemChanged(Result):
    """An item's new state, and the sign-offs the change voided."""

    KIND: ClassVar[str] = "item"

    run: str
    item: str
    status: str
    voided: list[VoidedSignoff]


def _repository_root(session: Session) -> Path:
    """The top of the git repository holding the workspace, else the workspace's folder."""
    root = session.workspace.root
    top = git_output(root, "rev-parse", "--show-toplevel")
    return Path(top).resolve() if top else root


def file_evidence(session: Session, evidence: str) -> str:
    """A file given as evidence, as a path relative to the repository; it must exist there.

    Teammates read the evidence from their own clone, so a file outside the
    repository (or one that does not exist) proves nothing to them.
    """
    root = _repository_root(session)
    path = (session.cwd / evidence).resolve()
    if not path.exists():
        raise InvalidField("evidence", f"file {evidence!r} does not exist")
    if path != root and root not in path.parents:
        raise InvalidField("evidence", f"file {evidence!r} is outside the repository ({root})")
    return path.relative_to(root).as_posix() or "."


def set_item_status(
    session: Session,
    run_id: str,
    ref: str,
    status: ItemStatus,
    *,
    evidence: str | None = None,
    note: str | None = None,
    reason: str | None = None,
    expires: dt.date | None = None,
) -> ItemChanged:
    """Record an item done, skipped (a waiver), blocked or open again."""
    store = session.runs
    with store.update(run_id) as document:
        framework = store.framework_of(document)
        session.guard_owner(framework, ref)
        if status is ItemStatus.DONE and evidence:
            _, item = resolve_item(framework, ref)
            if item.evidence is EvidenceKind.FILE:
                evidence = file_evidence(session, evidence)
        start = len(document.history)
        phase, item = set_item(
            document,
            framework,
            ref,
            status,
            session.actor,
            session.now(),
            evidence=evidence,
            note=note,
            reason=reason,
            expires=expires,
        )
        voided = _voided_since(document, start, session.config.people)
    return ItemChanged(run=run_id, item=item_key(phase, item), status=status.value, voided=voided)


class Signature(View):
    """A sign-off that still counts."""

    role: str
    by: str
    at: dt.datetime


class SignedOff(Result):
    """Sign-offs granted or withdrawn for one phase (``already``: a repeat, nothing recorded)."""

    KIND: ClassVar[str] = "signoff"

    run: str
    phase: str
    roles: list[str]
    by: str
    voided: list[VoidedSignoff]
    already: list[Signature] = Field(default_factory=list)


def approve_phase(
    session: Session,
    run_id: str,
    phase: str | None = None,
    role: str | None = None,
    comment: str | None = None,
    key: str | None = None,
) -> SignedOff:
    """Sign off a phase's gate in every pending role the actor holds.

    With ``signoffs: signed`` each sign-off is signed with the actor's SSH key
    (``key``, else git's user.signingkey, else ssh-agent); a key that is not
    theirs in the roster is refused (exit 1) and nothing is recorded.
    """
    store = session.runs
    people = session.config.people
    with signer(session, key) as sign, store.update(run_id) as document:
        framework = store.framework_of(document)
        granted = approve(
            document,
            framework,
            people,
            session.actor,
            session.now(),
            phase_id=phase,
            role=role,
            comment=comment,
            sign=sign,
        )
        signed_phase = framework.phase(phase or document.phase or "")
        already = standing(document, signed_phase, session.actor) if signed_phase else []
    return SignedOff(
        run=run_id,
        phase=granted[0].phase if granted else (phase or document.phase or ""),
        roles=[approval.role for approval in granted],
        by=session.actor,
        voided=[],
        already=[] if granted else [Signature(role=a.role, by=a.by, at=a.at) for a in already],
    )


def revoke_signoff(
    session: Session, run_id: str, phase: str, reason: str | None, key: str | None = None
) -> SignedOff:
    """Withdraw the actor's own sign-offs of a phase; they stay in the history, voided.

    With ``signoffs: signed`` the revocation is signed like a sign-off.
    """
    store = session.runs
    with signer(session, key) as sign, store.update(run_id) as document:
        start = len(document.history)
        revoked = revoke(document, phase, session.actor, reason or "", session.now(), sign)
        voided = _voided_since(document, start, session.config.people)
    return SignedOff(
        run=run_id,
        phase=phase,
        roles=[approval.role for approval in revoked],
        by=session.actor,
        voided=voided,
    )
