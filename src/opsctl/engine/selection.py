"""Selecting runs by what they are and who works on them (``runs`` and ``check`` selectors)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from opsctl.engine.runs import item_complete
from opsctl.store.documents import RunHeader, RunStatus


@dataclass(frozen=True)
class RunSelector:
    """Conditions a run must all meet to be selected; an empty selector selects every run."""

    status: RunStatus | None = None
    framework: str | None = None
    assignee: str | None = None
    overdue: bool = False
    labels: tuple[str, ...] = ()
    due_before: dt.date | None = None

    def __bool__(self) -> bool:
        return self != RunSelector()

    def matches(self, run: RunHeader, today: dt.date) -> bool:
        """Whether a run meets every condition of the selector."""
        return (
            (self.status is None or run.status is self.status)
            and (self.framework is None or run.framework.id == self.framework)
            and set(self.labels) <= set(run.labels or ())
            and (self.due_before is None or (run.due is not None and run.due < self.due_before))
            and (self.assignee is None or bool(open_assignments(run, today, self.assignee)))
            and (not self.overdue or is_overdue(run, today))
        )


def open_assignments(run: RunHeader, today: dt.date, assignee: str | None = None) -> list[str]:
    """Keys of the run's assigned items not complete yet (only ``assignee``'s, if given)."""
    return [
        key
        for key, assignment in sorted((run.assignments or {}).items())
        if assignment.assignee is not None
        and (assignee is None or assignment.assignee.lower() == assignee.lower())
        and not item_complete(run.items.get(key), today)[0]
    ]


def is_overdue(run: RunHeader, today: dt.date) -> bool:
    """An active run past its due date, or with an item not complete past the item's date."""
    if run.status is not RunStatus.ACTIVE:
        return False
    if run.due is not None and run.due < today:
        return True
    return any(
        assignment.due is not None
        and assignment.due < today
        and not item_complete(run.items.get(key), today)[0]
        for key, assignment in (run.assignments or {}).items()
    )
