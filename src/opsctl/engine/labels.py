"""Changing a run's labels and the repository facts its conditions depend on.

Every change is one ``label`` event (labels added and removed, and the
condition paths found), applied by :mod:`opsctl.engine.transitions` like any
other, so whether an item applies is part of the history and replays.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field

from opsctl.definitions.model import Framework
from opsctl.engine.applicability import not_applicable
from opsctl.engine.runs import require_active, void_approvals
from opsctl.engine.transitions import record
from opsctl.errors import InvalidField
from opsctl.store.documents import Approval, RunDocument


@dataclass
class LabelChange:
    """What a label change did: labels, facts, and the items that now apply or no longer do."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    facts: list[str] | None = None
    """The condition paths found, when they changed (None: unchanged)."""
    now_apply: list[str] = field(default_factory=list)
    no_longer_apply: list[str] = field(default_factory=list)
    voided: list[Approval] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when an event was recorded."""
        return bool(self.added or self.removed or self.facts is not None)


def check_labels(framework: Framework, labels: Collection[str]) -> None:
    """Refuse a label the framework does not declare."""
    declared = [label.id for label in framework.labels]
    for label in labels:
        if label not in declared:
            known = ", ".join(declared) or "none"
            raise InvalidField(
                "label",
                f"unknown label '{label}' for framework '{framework.id}' (declared: {known})",
            )


def relabel(
    document: RunDocument,
    framework: Framework,
    actor: str,
    at: dt.datetime,
    *,
    add: Collection[str] = (),
    remove: Collection[str] = (),
    facts: Collection[str] | None = None,
) -> LabelChange:
    """Add and remove labels and record the condition paths found, as one ``label`` event.

    Adding a label the run has, or removing one it lacks, changes nothing;
    a call that changes nothing records nothing. Sign-offs of a phase in
    which more items now apply are voided: the checklist they approved grew.
    """
    require_active(document)
    check_labels(framework, add)
    if set(add) & set(remove):
        both = ", ".join(sorted(set(add) & set(remove)))
        raise InvalidField("label", f"'{both}' is both added and removed")
    carried = set(document.labels or ())
    change = LabelChange(
        added=sorted(set(add) - carried),
        removed=sorted(set(remove) & carried),
    )
    if facts is not None and sorted(set(facts)) != (document.facts or []):
        change.facts = sorted(set(facts))
    if not change.changed:
        return change
    before = not_applicable(document, framework)
    detail = {"added": ", ".join(change.added), "removed": ", ".join(change.removed)}
    if change.facts is not None:
        detail["facts"] = ", ".join(change.facts)
    record(
        document, actor, at, "label", detail={k: v for k, v in detail.items() if v or k == "facts"}
    )
    after = not_applicable(document, framework)
    order = [f"{phase.id}/{item.id}" for phase, item in framework.iter_items()]
    change.now_apply = [key for key in order if key in before - after]
    change.no_longer_apply = [key for key in order if key in after - before]
    for phase_id in dict.fromkeys(key.partition("/")[0] for key in change.now_apply):
        why = "labels changed: more items of the phase apply"
        change.voided += void_approvals(document, phase_id, actor, at, why)
    return change
