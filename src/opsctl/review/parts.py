"""One run's share of a review report, reduced from the run as it stood at the period's end.

A report over ten thousand runs cannot hold a million history events at
once. Each run is read, replayed to the period's end and reduced to a
:class:`RunPart` (its report line, the items and events the report lists,
the figures its insights add up), and then let go; :mod:`opsctl.review.context`
adds the parts up. A part depends only on the run file, its pinned
definition and the :class:`Window`, so it can be kept in the run index and
reused while the file is unchanged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from opsctl.definitions.model import Framework
from opsctl.engine.applicability import applies
from opsctl.engine.runs import item_complete, item_key, progress, state_of
from opsctl.engine.transitions import replay
from opsctl.review.attention import (
    OverdueRun,
    SignOffLine,
    WaiverLine,
    day,
    latest_comment,
    overdue_run,
    sign_offs,
    waivers_granted,
)
from opsctl.review.figures import percent
from opsctl.review.insights import phase_durations
from opsctl.review.periods import Period
from opsctl.store.documents import ItemStatus, RunDocument, RunStatus

PROGRAM_CHECKLIST = ("operations-success", "success-validation")
"""The framework and phase that hold the program's success checklist."""
EXPIRING_WITHIN_DAYS = 30
PART_FORMAT = "report-part 3"
"""Names the shape of :class:`RunPart`: kept parts of another shape are never read."""


@dataclass(frozen=True)
class RunLine:
    """A run as a report shows it."""

    id: str
    title: str
    framework: str
    status: str
    phase: str
    phase_number: int
    phases: int
    complete: int
    total: int
    percent: float
    due: str
    overdue: bool
    started: str
    completed: str


@dataclass(frozen=True)
class ItemLine:
    """An item needing attention: overdue, blocked or waived."""

    run: str
    key: str
    title: str
    owner: str
    detail: str
    by: str = ""
    date: str = ""
    comment: str = ""
    """The last comment on the item as the run stood (``opsctl comment``), with who and when."""


@dataclass(frozen=True)
class GateLine:
    """A gate passed or refused, or a sign-off given, in the period."""

    run: str
    phase: str
    date: str
    actor: str
    outcome: str
    detail: str


@dataclass(frozen=True)
class Happening:
    """Something that passed or slipped since the last review."""

    run: str
    date: str
    text: str


@dataclass(frozen=True)
class Window:
    """What a part depends on besides the run: the period, and the day lateness is judged as of.

    ``cutoff`` (exclusive) is the period's end, or today for a period not
    yet over.
    """

    period: Period
    cutoff: dt.date

    @property
    def end(self) -> dt.datetime:
        """The period's end as a UTC moment: runs are replayed to just before it."""
        return dt.datetime.combine(self.period.end, dt.time(), tzinfo=dt.timezone.utc)

    @property
    def name(self) -> str:
        """The window as a cache name: parts kept for one window never serve another."""
        period = self.period
        return f"{PART_FORMAT} {period.cadence} {period.label} {self.cutoff.isoformat()}"


def report_window(period: Period, today: dt.date | None) -> Window:
    """The window of a report: judged as of the period's end, or of today if that comes first."""
    return Window(period, period.end if today is None else min(period.end, today))


@dataclass
class RunPart:
    """One run's share of a report (see the module's docstring).

    A run started after the period has no ``line`` and adds nothing
    (:attr:`counted`). ``since_*`` hold everything up to the period's end;
    the report keeps what falls after the last review.
    """

    run: str
    framework: str
    framework_title: str
    created: dt.datetime
    line: RunLine | None = None
    started: bool = False
    completed: bool = False
    active: bool = False
    phase: str = ""
    starter: str = ""
    overdue: list[ItemLine] = field(default_factory=list)
    blocked: list[ItemLine] = field(default_factory=list)
    overdue_run: OverdueRun | None = None
    gates: list[GateLine] = field(default_factory=list)
    sign_offs: list[SignOffLine] = field(default_factory=list)
    waivers_granted: list[WaiverLine] = field(default_factory=list)
    waivers_expiring: list[ItemLine] = field(default_factory=list)
    phase_days: list[tuple[str, str, float]] = field(default_factory=list)
    """(phase id, phase title, days spent in it) for each phase entered before the end."""
    waived: list[str] = field(default_factory=list)
    """``framework:phase/item`` of every item standing waived at the end."""
    checklist: list[ItemLine] | None = None
    """The program's success checklist, for a run of :data:`PROGRAM_CHECKLIST`'s framework."""
    since_passed: list[tuple[dt.datetime, Happening]] = field(default_factory=list)
    since_slipped: list[tuple[dt.datetime, Happening]] = field(default_factory=list)
    since_waived: list[tuple[dt.datetime, WaiverLine]] = field(default_factory=list)

    @property
    def counted(self) -> bool:
        """Whether the run counts in the report: it was started before the period ended."""
        return self.line is not None


def run_line(document: RunDocument, framework: Framework, as_of: dt.date) -> RunLine:
    """A run's progress as a report line."""
    complete, total = progress(document, framework, as_of)
    phase = framework.phase(document.phase) if document.phase else None
    return RunLine(
        id=document.id,
        title=document.title,
        framework=framework.id,
        status=document.status.value,
        phase=phase.title if phase else "completed",
        phase_number=framework.phases.index(phase) + 1 if phase else len(framework.phases),
        phases=len(framework.phases),
        complete=complete,
        total=total,
        percent=percent(complete, total),
        due=day(document.due),
        overdue=bool(document.due and document.due <= as_of and phase is not None),
        started=day(document.created),
        completed=day(document.completed),
    )


def state_at(document: RunDocument, framework: Framework, until: dt.datetime) -> RunDocument:
    """A run as it stood at a moment, replayed from its history.

    Reports of past periods show the state at the period's end, so work done
    later never rewrites a report already committed.
    """
    if not document.history or document.history[-1].at < until:
        return document
    state = replay(document, until, framework.phases[0].id)
    return state.model_copy(
        update={"history": [event for event in document.history if event.at < until]}
    )


def _attention(
    document: RunDocument, framework: Framework, cutoff: dt.date
) -> tuple[list[ItemLine], list[ItemLine]]:
    overdue, blocked = [], []
    late = document.due is not None and document.due < cutoff and document.phase is not None
    for phase, item in framework.iter_items():
        state = state_of(document, phase, item)
        key = item_key(phase, item)
        if state is not None and state.status is ItemStatus.BLOCKED:
            reason = state.reason or ""
            blocked.append(
                ItemLine(
                    document.id,
                    key,
                    item.title,
                    item.owner,
                    reason,
                    state.by,
                    comment=latest_comment(document, key),
                )
            )
        due = late and item.required and applies(document, phase, item)
        if due and not item_complete(state, cutoff)[0]:
            detail = f"due {day(document.due)}"
            overdue.append(ItemLine(document.id, key, item.title, item.owner, detail))
    return overdue, blocked


def _gates(document: RunDocument, period: Period) -> list[GateLine]:
    """Gates passed (``advance``) and refused within the period."""
    gates: list[GateLine] = []
    for event in document.history:
        if event.action not in ("advance", "advance-refused") or not period.contains(event.at):
            continue
        passed = event.action == "advance"
        detail = f"to {event.detail.get('to', '')}" if passed else event.detail.get("missing", "")
        outcome = "passed" if passed else "refused"
        line = GateLine(document.id, event.phase or "", day(event.at), event.actor, outcome, detail)
        gates.append(line)
    return gates


def _expiring(document: RunDocument, framework: Framework, period: Period) -> list[ItemLine]:
    """Waivers standing at the period's end that lapse within 30 days of it."""
    expiring = []
    horizon = period.end + dt.timedelta(days=EXPIRING_WITHIN_DAYS)
    for phase, item in framework.iter_items():
        state = state_of(document, phase, item)
        if state is None or state.status is not ItemStatus.SKIPPED or state.expires is None:
            continue
        if period.start <= state.expires < horizon:
            expiring.append(
                ItemLine(
                    document.id,
                    item_key(phase, item),
                    item.title,
                    item.owner,
                    state.reason or "",
                    state.by,
                    state.expires.isoformat(),
                )
            )
    return expiring


def _checklist(document: RunDocument, framework: Framework, as_of: dt.date) -> list[ItemLine]:
    """The program's success checklist as this run stood: each item complete or why not."""
    phase = framework.phase(PROGRAM_CHECKLIST[1])
    if phase is None:
        return []
    lines = []
    for item in phase.items:
        state = state_of(document, phase, item)
        complete, why = item_complete(state, as_of)
        status = state.status.value if complete and state else why
        lines.append(ItemLine(document.id, item_key(phase, item), item.title, item.owner, status))
    return lines


def _waived(document: RunDocument, framework: Framework) -> list[str]:
    found = []
    for phase, item in framework.iter_items():
        state = document.items.get(item_key(phase, item))
        if state is not None and state.status is ItemStatus.SKIPPED:
            found.append(f"{framework.id}:{item_key(phase, item)}")
    return found


def _phase_days(
    document: RunDocument, framework: Framework, until: dt.datetime
) -> list[tuple[str, str, float]]:
    found = []
    for phase_id, days in phase_durations(document, framework.phases[0].id, until).items():
        phase = framework.phase(phase_id)
        if phase is not None:
            found.append((phase_id, phase.title, days))
    return found


def _since(document: RunDocument, part: RunPart, end: dt.datetime) -> None:
    """Gates passed and what slipped (refused gates, voided sign-offs, due dates).

    Each is kept with its moment, so the report can keep those from the last
    review on exactly (events keep the offset they were recorded in).
    """
    for event in document.history:
        if event.at >= end:  # a history merged out of order may hold later events
            continue
        if event.action == "advance":
            text = f"passed {event.phase} (now {event.detail.get('to', '')})"
            part.since_passed.append((event.at, Happening(document.id, day(event.at), text)))
        elif event.action == "advance-refused":
            text = f"gate of {event.phase} refused: {event.detail.get('missing', '')}"
            part.since_slipped.append((event.at, Happening(document.id, day(event.at), text)))
        elif event.action == "void-approval":
            text = f"{event.detail.get('role', '')} sign-off of {event.phase} voided"
            part.since_slipped.append((event.at, Happening(document.id, day(event.at), text)))
    due = document.due
    if due is not None and due < end.date() and document.phase is not None:
        text = f"passed its due date with phase {document.phase} open"
        moment = dt.datetime.combine(due, dt.time(), tzinfo=dt.timezone.utc)
        part.since_slipped.append((moment, Happening(document.id, due.isoformat(), text)))


def run_part(document: RunDocument, framework: Framework, window: Window) -> RunPart:
    """Reduce one run (whole, history included) to its share of the report for ``window``."""
    part = RunPart(document.id, framework.id, framework.title, document.created)
    end = window.end
    if document.created >= end:
        return part
    document = state_at(document, framework, end)
    part.created = document.created  # as replayed: the moment its history starts
    period, cutoff = window.period, window.cutoff
    start = dt.datetime.combine(period.start, dt.time(), tzinfo=dt.timezone.utc)
    part.line = run_line(document, framework, cutoff - dt.timedelta(days=1))
    part.started = period.contains(document.created)
    part.completed = document.completed is not None and period.contains(document.completed)
    part.active = document.status is RunStatus.ACTIVE
    part.phase = document.phase or ""
    part.starter = document.history[0].actor if document.history else ""
    if part.active:
        part.overdue, part.blocked = _attention(document, framework, cutoff)
        open_items = [(line.key, line.owner) for line in part.overdue]
        part.overdue_run = overdue_run(document, open_items, cutoff)
    part.gates = _gates(document, period)
    part.sign_offs = sign_offs(document, period)
    part.since_waived = waivers_granted(document, framework, end)
    part.waivers_granted = [line for at, line in part.since_waived if at >= start]
    part.waivers_expiring = _expiring(document, framework, period)
    part.phase_days = _phase_days(document, framework, end)
    part.waived = _waived(document, framework)
    if framework.id == PROGRAM_CHECKLIST[0]:
        part.checklist = _checklist(document, framework, period.end - dt.timedelta(days=1))
    _since(document, part, end)
    return part
