"""Use cases that put people on a run: assign, unassign, comment."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from pydantic import Field

from opsctl.actions.results import Result
from opsctl.actions.session import Session
from opsctl.clock import parse_due
from opsctl.engine.people import assign, assignment_of, comment, unassign
from opsctl.store.documents import RunDocument


class Assigned(Result):
    """An item's assignment after ``opsctl assign`` or ``opsctl unassign``."""

    KIND: ClassVar[str] = "assigned"

    run: str
    item: str
    assignee: str | None
    due: dt.date | None
    any_role: bool
    previous: str | None = Field(description="Who had the item before, if anyone.")


def _assigned(document: RunDocument, key: str) -> Assigned:
    """An item's assignment just recorded; the ``assign`` event names who had it (``was``)."""
    assignment = assignment_of(document, key)
    return Assigned(
        run=document.id,
        item=key,
        assignee=assignment.assignee,
        due=assignment.due,
        any_role=bool(assignment.any_role),
        previous=document.history[-1].detail.get("was") or None,
    )


def assign_item(
    session: Session,
    run_id: str,
    ref: str,
    person: str,
    due: str | None = None,
    any_role: bool = False,
) -> Assigned:
    """Hand an item to a person from the roster, with a due date (``YYYY-MM-DD``, ``+3d``)."""
    due_date = parse_due(due, "due", session.today()) if due else None
    store = session.runs
    with store.update(run_id) as document:
        framework = store.framework_of(document)
        key = assign(
            document,
            framework,
            ref,
            person,
            session.config.people,
            session.actor,
            session.now(),
            due=due_date,
            any_role=any_role,
        )
    return _assigned(document, key)


def unassign_item(session: Session, run_id: str, ref: str) -> Assigned:
    """Take an item back from its assignee; the due date stays."""
    store = session.runs
    with store.update(run_id) as document:
        key = unassign(document, store.framework_of(document), ref, session.actor, session.now())
    return _assigned(document, key)


class Commented(Result):
    """A comment just recorded in a run's history."""

    KIND: ClassVar[str] = "commented"

    run: str
    item: str | None
    by: str
    at: dt.datetime
    text: str


def comment_run(session: Session, run_id: str, ref: str | None, text: str) -> Commented:
    """Leave a comment on a run or one of its items, with the actor and the time."""
    store = session.runs
    at = session.now()
    with store.update(run_id) as document:
        key = comment(document, store.framework_of(document), ref, text, session.actor, at)
    return Commented(run=run_id, item=key, by=session.actor, at=at, text=text.strip())
