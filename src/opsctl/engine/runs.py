"""The run engine: start a run, record item states, evaluate gates, advance.

Pure functions over a :class:`RunDocument` and the :class:`Framework` it is
pinned to. They change the document in memory and append to its history;
the caller holds the store's lock and saves. Nothing here reads files or
prints.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from opsctl.definitions.model import EvidenceKind, Framework, Item, Phase, definition_digest
from opsctl.engine.applicability import applies, not_applicable, phase_applies
from opsctl.engine.transitions import record
from opsctl.errors import CheckFailed, InvalidField, UsageError
from opsctl.store.documents import (
    Approval,
    ItemState,
    ItemStatus,
    PinnedFramework,
    RunDocument,
    RunHeader,
    RunStatus,
    normalize_ref,
    validate_run_id,
)


def item_key(phase: Phase, item: Item) -> str:
    """How a run document addresses an item: ``phase/item``."""
    return f"{phase.id}/{item.id}"


def slugify(text: str) -> str:
    """A run id made from a title: ``Release 2.4`` becomes ``release-2-4``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:64].rstrip("-") or "run"


def new_run(
    framework: Framework,
    run_id: str,
    title: str,
    due: dt.date | None,
    actor: str,
    at: dt.datetime,
) -> RunDocument:
    """A run of a framework, standing at its first phase."""
    if not title.strip():
        raise InvalidField("title", "must not be empty")
    document = RunDocument(
        id=validate_run_id(run_id),
        title=title.strip(),
        framework=PinnedFramework(id=framework.id, digest=definition_digest(framework)),
        created=at,
        created_by=actor,
        due=due,
        phase=framework.phases[0].id,
    )
    detail = {
        "framework": framework.id,
        "title": document.title,
        "digest": document.framework.digest,
        "phase": framework.phases[0].id,
    }
    if due:
        detail["due"] = due.isoformat()
    record(document, actor, at, "start", detail=detail)
    return document


def link_ref(document: RunDocument, ref: str, actor: str, at: dt.datetime) -> bool:
    """Link a run to a git ref (tag or branch); False when it already was.

    A completed run may be linked too: the release tag often comes last.
    """
    name = normalize_ref(ref.strip())
    if not name or any(character.isspace() for character in name):
        raise InvalidField("ref", f"{ref!r} is not a git ref name")
    if name in (document.refs or []):
        return False
    record(document, actor, at, "link", detail={"ref": name})
    return True


def resolve_item(framework: Framework, ref: str) -> tuple[Phase, Item]:
    """Find an item by ``PHASE/ITEM``, or by its bare id when that is unique in the run."""
    if "/" in ref:
        phase_id, _, item_id = ref.partition("/")
        phase = framework.phase(phase_id)
        if phase is None:
            known = ", ".join(p.id for p in framework.phases)
            raise UsageError(f"unknown phase '{phase_id}' in item {ref!r} (phases: {known})")
        for item in phase.items:
            if item.id == item_id:
                return phase, item
        known = ", ".join(item.id for item in phase.items)
        raise UsageError(f"unknown item '{item_id}' in phase '{phase_id}' (items: {known})")
    matches = [(phase, item) for phase, item in framework.iter_items() if item.id == ref]
    if len(matches) == 1:
        return matches[0]
    if matches:
        options = ", ".join(item_key(phase, item) for phase, item in matches)
        raise UsageError(f"item '{ref}' is ambiguous; say which: {options}")
    raise UsageError(
        f"unknown item '{ref}' in framework '{framework.id}' "
        f"(see 'opsctl frameworks show {framework.id}')"
    )


def state_of(document: RunHeader, phase: Phase, item: Item) -> ItemState | None:
    """The recorded state of an item; None means open."""
    return document.items.get(item_key(phase, item))


def require_active(document: RunDocument) -> None:
    """Refuse any change to a completed run."""
    if document.status is RunStatus.COMPLETED:
        raise UsageError(f"run '{document.id}' is completed; nothing can change")


def is_web_link(text: str) -> bool:
    """Whether text is an http(s) URL with a host, the only links a reviewer can open."""
    if any(character.isspace() for character in text):
        return False
    parts = urlsplit(text)
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def check_evidence(item: Item, evidence: str | None) -> None:
    """Refuse to mark an item done without the evidence its definition asks for."""
    if item.evidence is EvidenceKind.NONE or evidence:
        if item.evidence is EvidenceKind.LINK and evidence and not is_web_link(evidence):
            raise InvalidField(
                "evidence",
                f"item '{item.id}' needs a link: an http(s) URL with a host "
                f"(https://wiki.example.com/page), got {evidence!r}",
            )
        return
    example = {"link": "https://...", "file": "PATH", "text": '"..."'}[item.evidence.value]
    raise InvalidField(
        "evidence", f"item '{item.id}' asks for {item.evidence.value} evidence ({example})"
    )


def check_expiry(expires: dt.date, today: dt.date) -> None:
    """Refuse a waiver that would have lapsed before it was granted."""
    if expires < today:
        raise InvalidField(
            "expires",
            f"{expires.isoformat()} is in the past (today is {today.isoformat()}); "
            "a waiver counts up to and including its expiry date",
        )


def set_item(
    document: RunDocument,
    framework: Framework,
    ref: str,
    status: ItemStatus,
    actor: str,
    at: dt.datetime,
    *,
    evidence: str | None = None,
    note: str | None = None,
    reason: str | None = None,
    expires: dt.date | None = None,
    automated: bool = False,
) -> tuple[Phase, Item]:
    """Record an item as done, skipped (a waiver) or blocked, or reopen it.

    ``automated`` marks a change made by a passing automated check, whose
    evidence is the check's own report rather than the kind a person gives.
    """
    require_active(document)
    phase, item = resolve_item(framework, ref)
    key = item_key(phase, item)
    if status in (ItemStatus.SKIPPED, ItemStatus.BLOCKED) and not (reason and reason.strip()):
        verb = "skip" if status is ItemStatus.SKIPPED else "block"
        raise InvalidField("reason", f"{verb} needs a reason saying why")
    if expires is not None and status is not ItemStatus.SKIPPED:
        raise InvalidField("expires", "applies only to skip (a waiver)")
    if expires is not None:
        check_expiry(expires, at.date())
    if status is ItemStatus.DONE and not automated:
        check_evidence(item, evidence)
    previous = document.items.get(key)
    if status is ItemStatus.OPEN and previous is None:
        raise UsageError(f"item '{key}' is already open")
    detail = {
        name: value
        for name, value in (
            ("evidence", evidence),
            ("note", note),
            ("reason", reason),
            ("expires", expires.isoformat() if expires else None),
            ("was", previous.status.value if previous else None),
        )
        if value
    }
    action = "reopen" if status is ItemStatus.OPEN else status.value
    record(document, actor, at, action, phase=phase.id, item=key, detail=detail)
    void_approvals(document, phase.id, actor, at, f"item '{key}' changed after approval")
    return phase, item


def void_approvals(
    document: RunDocument,
    phase_id: str,
    actor: str,
    at: dt.datetime,
    why: str,
    approved_by: str | None = None,
) -> list[Approval]:
    """Void a phase's standing approvals (only one person's, if given); returns them.

    Approvals of a phase no longer count once its items change; they stay in
    the document and the history, marked void.
    """
    voided = [
        approval
        for approval in document.approvals
        if approval.phase == phase_id
        and approval.voided is None
        and (approved_by is None or approved_by.lower() == approval.by.lower())
    ]
    for approval in voided:
        record(
            document,
            actor,
            at,
            "void-approval",
            phase=phase_id,
            detail={"role": approval.role, "approver": approval.by, "reason": why},
        )
    return voided


@dataclass
class Missing:
    """An item that keeps a gate shut, and why."""

    phase: Phase
    item: Item
    status: ItemStatus
    why: str


@dataclass
class GateReport:
    """What a phase's gate needs that it does not have yet."""

    phase: Phase
    missing: list[Missing] = field(default_factory=list)
    approvals_missing: list[str] = field(default_factory=list)

    @property
    def met(self) -> bool:
        """True when nothing is missing."""
        return not self.missing and not self.approvals_missing


def item_complete(state: ItemState | None, today: dt.date) -> tuple[bool, str]:
    """Whether an item counts as complete for a gate, with the reason if not."""
    if state is None:
        return False, "open"
    if state.status is ItemStatus.DONE:
        return True, ""
    if state.status is ItemStatus.SKIPPED:
        if state.expires is not None and state.expires < today:
            return False, f"waiver expired on {state.expires.isoformat()}"
        return True, ""
    return False, f"blocked: {state.reason}"


def gate_report(document: RunDocument, phase: Phase, today: dt.date) -> GateReport:
    """Evaluate one phase's gate against the run's recorded state.

    Items that do not apply to the run are not asked for; a phase that does
    not apply asks for nothing, sign-offs included.
    """
    report = GateReport(phase)
    if not phase_applies(document, phase):
        return report
    for item in phase.gate_items():
        if not applies(document, phase, item):
            continue
        state = state_of(document, phase, item)
        complete, why = item_complete(state, today)
        if not complete:
            status = state.status if state else ItemStatus.OPEN
            report.missing.append(Missing(phase, item, status, why))
    approved = {
        approval.role
        for approval in document.approvals
        if approval.phase == phase.id and approval.voided is None
    }
    report.approvals_missing = [role for role in phase.gate.approvals if role not in approved]
    return report


def current_phase(document: RunHeader, framework: Framework) -> Phase | None:
    """The phase the run stands in; None once completed."""
    return framework.phase(document.phase) if document.phase else None


def phases_through_current(document: RunHeader, framework: Framework) -> list[Phase]:
    """Every phase up to and including the current one (all, once completed)."""
    if document.phase is None:
        return list(framework.phases)
    index = [phase.id for phase in framework.phases].index(document.phase)
    return list(framework.phases[: index + 1])


def advance(
    document: RunDocument, framework: Framework, actor: str, at: dt.datetime
) -> Phase | None:
    """Leave the current phase if its gate is met; returns the new phase (None: completed)."""
    require_active(document)
    phase = current_phase(document, framework)
    assert phase is not None
    report = gate_report(document, phase, at.date())
    if not report.met:
        message = describe_gate(report)
        missing = message.partition("missing: ")[2]
        record(document, actor, at, "advance-refused", phase=phase.id, detail={"missing": missing})
        raise GateRefused(message)
    index = framework.phases.index(phase)
    later = [p for p in framework.phases[index + 1 :] if phase_applies(document, p)]
    following = later[0] if later else None
    detail = {"from": phase.id, "to": following.id if following else "completed"}
    record(document, actor, at, "advance", phase=phase.id, detail=detail)
    if following is None:
        record(document, actor, at, "complete")
    return following


class GateRefused(CheckFailed):
    """A gate is not met; the refusal is recorded in the run's history."""


def describe_gate(report: GateReport) -> str:
    """One line saying what a gate is missing."""
    parts = [f"{item_key(m.phase, m.item)} ({m.why}, owner {m.item.owner})" for m in report.missing]
    parts += [f"sign-off by {role}" for role in report.approvals_missing]
    return f"gate of phase '{report.phase.id}' is not met; missing: " + "; ".join(parts)


def progress(document: RunHeader, framework: Framework, today: dt.date) -> tuple[int, int]:
    """(complete, total) over every required item of the run that applies to it."""
    required = framework.required_keys - not_applicable(document, framework)
    complete = sum(
        1
        for key, state in document.items.items()
        if key in required and item_complete(state, today)[0]
    )
    return complete, len(required)
