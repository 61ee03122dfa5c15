"""Moving a run to the current version of its framework's definition."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from opsctl.definitions.model import Framework
from opsctl.engine.runs import definition_digest, item_key, record
from opsctl.store.documents import RunDocument


@dataclass(frozen=True)
class RebaseResult:
    """What moving a run to a new definition added and dropped."""

    added: list[str]
    removed: list[str]
    phase_before: str | None
    phase_after: str | None


def rebase_run(
    document: RunDocument, old: Framework, new: Framework, actor: str, at: dt.datetime
) -> RebaseResult:
    """Pin a run to a new definition, keeping the state of items that still exist.

    Phases the run had passed stay passed; if its current phase disappeared,
    it moves to the first phase of the new definition it has not passed.
    """
    old_keys = [item_key(phase, item) for phase, item in old.iter_items()]
    new_keys = [item_key(phase, item) for phase, item in new.iter_items()]
    added = [key for key in new_keys if key not in set(old_keys)]
    removed = [key for key in old_keys if key not in set(new_keys)]
    for key in removed:
        document.items.pop(key, None)
    before = document.phase
    if document.phase is not None and new.phase(document.phase) is None:
        old_ids = [phase.id for phase in old.phases]
        passed = set(old_ids[: old_ids.index(document.phase)])
        document.phase = (
            next(p.id for p in new.phases if p.id not in passed)
            if any(p.id not in passed for p in new.phases)
            else new.phases[-1].id
        )
    kept_phases = {phase.id for phase in new.phases}
    document.approvals = [a for a in document.approvals if a.phase in kept_phases]
    document.framework.digest = definition_digest(new)
    record(
        document,
        actor,
        at,
        "upgrade",
        detail={
            "digest": document.framework.digest,
            "added": ", ".join(added),
            "removed": ", ".join(removed),
            "phases": ", ".join(phase.id for phase in new.phases),
            "phase": document.phase or "",
        },
    )
    return RebaseResult(added, removed, before, document.phase)
