"""Moving a run to the current version of its framework's definition."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from opsctl.definitions.model import Framework, definition_digest
from opsctl.engine.runs import item_key
from opsctl.engine.transitions import record
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
    before = document.phase
    after = before
    if before is not None and new.phase(before) is None:
        old_ids = [phase.id for phase in old.phases]
        passed = set(old_ids[: old_ids.index(before)])
        after = next((p.id for p in new.phases if p.id not in passed), new.phases[-1].id)
    record(
        document,
        actor,
        at,
        "upgrade",
        detail={
            "digest": definition_digest(new),
            "added": ", ".join(added),
            "removed": ", ".join(removed),
            "phases": ", ".join(phase.id for phase in new.phases),
            "phase": after or "",
        },
    )
    return RebaseResult(added, removed, before, document.phase)
