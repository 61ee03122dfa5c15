"""What a report lists from a run's history: sign-offs, overdue runs, waivers granted.

Each is read from the events, never from the run's current state alone, so
a waiver granted in the month counts even when the item was done later, and
a sign-off voided after it was given still shows who gave it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from opsctl.definitions.model import Framework
from opsctl.review.periods import Period
from opsctl.store.documents import Event, RunDocument


def day(moment: dt.datetime | dt.date | None) -> str:
    """A date as ``YYYY-MM-DD`` ('' for none)."""
    if moment is None:
        return ""
    return (moment.date() if isinstance(moment, dt.datetime) else moment).isoformat()


@dataclass(frozen=True)
class SignOffLine:
    """A sign-off given or voided in the period: who signed, in what role, and what became of it."""

    run: str
    phase: str
    approver: str
    role: str
    date: str
    state: str
    comment: str = ""
    voided_on: str = ""
    voided_by: str = ""
    voided_because: str = ""


def _key(event: Event) -> tuple[str, str, str]:
    approver = event.actor if event.action == "approve" else event.detail.get("approver", "")
    return (event.phase or "", event.detail.get("role", ""), approver.lower())


def sign_offs(document: RunDocument, period: Period) -> list[SignOffLine]:
    """Every sign-off given or voided within the period, each as its approver gave it.

    A voided sign-off names what voided it (the change and who made it) and
    when; the approver stays the person who signed.
    """
    lines: list[SignOffLine] = []
    given: dict[tuple[str, str, str], Event] = {}
    voided: dict[int, Event] = {}
    for event in document.history:
        if event.action == "approve":
            given[_key(event)] = event
        elif event.action == "void-approval" and _key(event) in given:
            voided[id(given.pop(_key(event)))] = event
    for event in document.history:
        if event.action != "approve":
            continue
        void = voided.get(id(event))
        if not period.contains(event.at) and not (void and period.contains(void.at)):
            continue
        lines.append(
            SignOffLine(
                run=document.id,
                phase=event.phase or "",
                approver=event.actor,
                role=event.detail.get("role", ""),
                date=day(event.at),
                state="voided" if void else "standing",
                comment=event.detail.get("comment", ""),
                voided_on=day(void.at) if void else "",
                voided_by=void.actor if void else "",
                voided_because=void.detail.get("reason", "") if void else "",
            )
        )
    return lines


@dataclass(frozen=True)
class OverdueRun:
    """A run past its due date at the period's end, with its open required items summarised."""

    run: str
    title: str
    due: str
    days_late: int
    phase: str
    open_items: int
    by_owner: str
    first_items: str


def overdue_run(
    document: RunDocument, open_items: list[tuple[str, str]], cutoff: dt.date
) -> OverdueRun | None:
    """One line for a late run: ``open_items`` are its open required items as (key, owner role).

    ``cutoff`` is the (exclusive) day it is judged as of: days late count to the day before.
    """
    if not open_items or document.due is None:
        return None
    owners = Counter(owner for _, owner in open_items)
    by_owner = ", ".join(f"{role} {count}" for role, count in sorted(owners.items()))
    keys = [key for key, _ in open_items]
    shown = ", ".join(keys[:3]) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")
    return OverdueRun(
        run=document.id,
        title=document.title,
        due=day(document.due),
        days_late=max(0, (cutoff - document.due).days - 1),
        phase=document.phase or "completed",
        open_items=len(open_items),
        by_owner=by_owner,
        first_items=shown,
    )


@dataclass(frozen=True)
class WaiverLine:
    """A waiver as granted: the item, why, by whom, when, and what became of the item since."""

    run: str
    key: str
    title: str
    owner: str
    detail: str
    by: str
    date: str
    expires: str
    now: str
    comment: str = ""


def latest_comment(document: RunDocument, key: str) -> str:
    """The last comment left on an item (as the run stood), with who and when; "" if none.

    ``opsctl comment RUN ITEM TEXT`` is how a team explains an item; a
    report shows it wherever the item appears.
    """
    on_item = [comment for comment in document.comments or () if comment.item == key]
    if not on_item:
        return ""
    last = on_item[-1]
    return f"{last.text} ({last.by}, {day(last.at)})"


def waivers_granted(
    document: RunDocument, framework: Framework, end: dt.datetime
) -> list[tuple[dt.datetime, WaiverLine]]:
    """Every waiver (``skipped``) recorded before ``end``, with its moment, whatever happened later.

    A report keeps those of its period, and those since the last review.
    """
    titles = {
        f"{phase.id}/{item.id}": (item.title, item.owner) for phase, item in framework.iter_items()
    }
    lines = []
    for event in document.history:
        if event.action != "skipped" or event.at >= end or event.item is None:
            continue
        title, owner = titles.get(event.item, (event.item, ""))
        state = document.items.get(event.item)
        lines.append(
            (
                event.at,
                WaiverLine(
                    run=document.id,
                    key=event.item,
                    title=title,
                    owner=owner,
                    detail=event.detail.get("reason", ""),
                    by=event.actor,
                    date=day(event.at),
                    expires=event.detail.get("expires", ""),
                    now=state.status.value if state is not None else "open",
                    comment=latest_comment(document, event.item),
                ),
            )
        )
    return lines
