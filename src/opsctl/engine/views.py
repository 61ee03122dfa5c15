"""Plain-data views of runs: the shapes ``--format json`` prints, and text builds on.

These are the documented JSON contract (docs/json.md): change a shape only
with a new ``version``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from opsctl.clock import iso
from opsctl.definitions.model import Framework
from opsctl.engine.runs import current_phase, gate_report, item_key, progress, state_of
from opsctl.store.documents import ItemState, RunDocument, RunHeader


def _state_view(state: ItemState | None) -> dict[str, Any]:
    if state is None:
        return {"status": "open"}
    return state.model_dump(mode="json", exclude_none=True)


def run_summary(document: RunHeader, framework: Framework, today: dt.date) -> dict[str, Any]:
    """One line of ``opsctl runs``."""
    complete, total = progress(document, framework, today)
    phase = current_phase(document, framework)
    return {
        "id": document.id,
        "title": document.title,
        "framework": document.framework.id,
        "status": document.status.value,
        "phase": phase.id if phase else None,
        "phase_title": phase.title if phase else None,
        "phase_number": framework.phases.index(phase) + 1 if phase else len(framework.phases),
        "phases": len(framework.phases),
        "progress": {"complete": complete, "total": total},
        "due": document.due.isoformat() if document.due else None,
        "overdue": bool(document.due and document.due < today and document.phase is not None),
        "created": iso(document.created),
    }


def run_status(
    document: RunDocument, framework: Framework, today: dt.date, current_digest: str | None
) -> dict[str, Any]:
    """Everything ``opsctl status`` shows: every phase, item state and gate."""
    phases = []
    for phase in framework.phases:
        report = gate_report(document, phase, today)
        phases.append(
            {
                "id": phase.id,
                "title": phase.title,
                "current": phase.id == document.phase,
                "gate": {
                    "met": report.met,
                    "missing": [
                        {"item": item_key(m.phase, m.item), "owner": m.item.owner, "why": m.why}
                        for m in report.missing
                    ],
                    "approvals_required": list(phase.gate.approvals),
                    "approvals_missing": report.approvals_missing,
                },
                "items": [
                    {
                        "key": item_key(phase, item),
                        "id": item.id,
                        "title": item.title,
                        "owner": item.owner,
                        "required": item.required,
                        "evidence_kind": item.evidence.value,
                        **_state_view(state_of(document, phase, item)),
                    }
                    for item in phase.items
                ],
            }
        )
    return {
        "run": run_summary(document, framework, today),
        "definition": {
            "digest": document.framework.digest,
            "current_digest": current_digest,
            "changed": current_digest != document.framework.digest,
        },
        "approvals": [a.model_dump(mode="json", exclude_none=True) for a in document.approvals],
        "phases": phases,
    }
