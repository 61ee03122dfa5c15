"""What a quarterly review should act on, derived from the data.

The seed's review cycle asks for a quarterly optimization review; these are
its recommendations: KPIs off track or at risk, the phases where runs stall
longest, the items waived most often, and work that is overdue or blocked.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from opsctl.definitions.model import Framework
from opsctl.engine.runs import item_key
from opsctl.store.documents import ItemStatus, RunDocument

if TYPE_CHECKING:
    from collections.abc import Sequence

TOP = 3
STALL_DAYS = 14
"""A phase runs stay in longer than this on average is worth a recommendation."""


@dataclass(frozen=True)
class Stall:
    """How long runs of a framework stay in one phase, on average."""

    framework: str
    phase: str
    phase_title: str
    runs: int
    average_days: float


@dataclass(frozen=True)
class Recommendation:
    """One thing the quarterly review should act on, and why."""

    topic: str
    text: str


class _Kpi(Protocol):
    @property
    def title(self) -> str: ...
    @property
    def framework(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def message(self) -> str: ...


class _Item(Protocol):
    @property
    def run(self) -> str: ...


def phase_durations(
    document: RunDocument, first_phase: str, until: dt.datetime
) -> dict[str, float]:
    """Days spent in each phase a run entered before ``until``, read from its history."""
    seconds: dict[str, float] = {}
    current, entered = first_phase, document.created
    for event in document.history:
        if event.at >= until:
            break
        if event.action == "advance":
            seconds[current] = seconds.get(current, 0.0) + (event.at - entered).total_seconds()
            current, entered = event.detail.get("to", "completed"), event.at
    if current != "completed":
        seconds[current] = seconds.get(current, 0.0) + (until - entered).total_seconds()
    return {phase: total / 86_400 for phase, total in seconds.items()}


def stalls(runs: Sequence[tuple[RunDocument, Framework]], until: dt.datetime) -> list[Stall]:
    """The phases with the longest average stay, counting time up to ``until``.

    Reports pass the period's end, so the figure never depends on the day a
    report is rendered.
    """
    totals: dict[tuple[str, str], list[float]] = {}
    titles: dict[tuple[str, str], str] = {}
    for document, framework in runs:
        if document.created >= until:
            continue
        for phase_id, days in phase_durations(document, framework.phases[0].id, until).items():
            phase = framework.phase(phase_id)
            if phase is None:
                continue
            totals.setdefault((framework.id, phase_id), []).append(days)
            titles[(framework.id, phase_id)] = phase.title
    ranked = sorted(
        (
            Stall(fw, phase, titles[(fw, phase)], len(days), round(sum(days) / len(days), 1))
            for (fw, phase), days in totals.items()
        ),
        key=lambda stall: (-stall.average_days, stall.framework, stall.phase),
    )
    return ranked[:TOP]


def most_waived(runs: Sequence[tuple[RunDocument, Framework]]) -> list[tuple[str, int]]:
    """The items skipped most often across runs, as ``framework:phase/item``."""
    counts: Counter[str] = Counter()
    for document, framework in runs:
        for phase, item in framework.iter_items():
            state = document.items.get(item_key(phase, item))
            if state is not None and state.status is ItemStatus.SKIPPED:
                counts[f"{framework.id}:{item_key(phase, item)}"] += 1
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:TOP]


def recommendations(
    kpis: Sequence[_Kpi],
    stalled: Sequence[Stall],
    waived: Sequence[tuple[str, int]],
    overdue: Sequence[_Item],
    blocked: Sequence[_Item],
) -> list[Recommendation]:
    """Concrete next steps for the review, most pressing first."""
    found: list[Recommendation] = []
    for kpi in kpis:
        if kpi.status in ("off track", "at risk"):
            found.append(
                Recommendation(
                    "KPI",
                    f"{kpi.title} is {kpi.status} ({kpi.message}); agree a recovery plan with "
                    f"the owners of '{kpi.framework}' and review it next month.",
                )
            )
        elif kpi.status == "no data":
            found.append(Recommendation("KPI", f"{kpi.title}: {kpi.message}."))
    for stall in stalled:
        if stall.average_days < STALL_DAYS:
            continue
        found.append(
            Recommendation(
                "Flow",
                f"Runs of '{stall.framework}' spend {stall.average_days:g} days on average in "
                f"'{stall.phase_title}' ({stall.runs} run(s)); look for the blocking step and "
                "consider automating or splitting it.",
            )
        )
    for key, count in waived:
        found.append(
            Recommendation(
                "Checklist",
                f"'{key}' was waived in {count} run(s); either fix what makes it hard to do "
                "or make it optional in the framework.",
            )
        )
    runs_late = sorted({item.run for item in overdue})
    if runs_late:
        found.append(
            Recommendation(
                "Delivery",
                f"{len(runs_late)} run(s) are past their due date ({', '.join(runs_late)}); "
                "re-plan or descope them.",
            )
        )
    if blocked:
        found.append(
            Recommendation(
                "Delivery",
                f"{len(blocked)} item(s) are blocked; each needs an owner to unblock it.",
            )
        )
    return found
