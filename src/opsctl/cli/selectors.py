"""The run selectors ``runs`` and ``check`` share: status, framework, assignee, dates, labels."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

import typer

from opsctl.cli import completion

if TYPE_CHECKING:
    from opsctl.engine.selection import RunSelector


class StatusChoice(str, Enum):
    """Where a selected run stands."""

    ACTIVE = "active"
    COMPLETED = "completed"


StatusOption = typer.Option(None, "--status", help="Only runs that are active or completed.")
FrameworkOption = typer.Option(
    None,
    "--framework",
    autocompletion=completion.framework_ids,
    help="Only runs of this framework.",
)
AssigneeOption = typer.Option(
    None,
    "--assignee",
    autocompletion=completion.people,
    help="Only runs with an item not complete assigned to this EMAIL.",
)
OverdueOption = typer.Option(
    False, "--overdue", help="Only active runs past their due date or with an item overdue."
)
LabelOption = typer.Option(
    [], "--label", "-l", help="Only runs carrying this label (repeatable: all of them)."
)
DueBeforeOption = typer.Option(
    None, "--due-before", help="Only runs due before this date (YYYY-MM-DD, +3d, +2w)."
)


def selector(
    status: StatusChoice | None,
    framework: str | None,
    assignee: str | None,
    overdue: bool,
    labels: list[str],
    due_before: str | None,
) -> RunSelector | None:
    """The selector the flags describe; None when none was given (nothing more is imported)."""
    if not (status or framework or assignee or overdue or labels or due_before):
        return None
    from opsctl.clock import parse_due
    from opsctl.engine.selection import RunSelector
    from opsctl.store.documents import RunStatus

    return RunSelector(
        status=RunStatus(status.value) if status else None,
        framework=framework,
        assignee=assignee,
        overdue=overdue,
        labels=tuple(labels),
        due_before=parse_due(due_before, "due_before", past_ok=True) if due_before else None,
    )
