"""Patterns a quarterly review looks for: the phases where runs stall, the items most waived.

The recommendations built on them (and on KPIs, late runs and blocked
items) live in :mod:`opsctl.review.advice`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from opsctl.store.documents import RunDocument

if TYPE_CHECKING:
    from collections.abc import Iterable

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


def stalls(stays: Iterable[tuple[str, str, str, float]]) -> list[Stall]:
    """The phases with the longest average stay, from (framework, phase, phase title, days).

    Reports count each run's days up to the period's end
    (:func:`phase_durations`), so the figure never depends on the day a
    report is rendered.
    """
    totals: dict[tuple[str, str], list[float]] = {}
    titles: dict[tuple[str, str], str] = {}
    for framework, phase, title, days in stays:
        totals.setdefault((framework, phase), []).append(days)
        titles[(framework, phase)] = title
    ranked = sorted(
        (
            Stall(fw, phase, titles[(fw, phase)], len(days), round(sum(days) / len(days), 1))
            for (fw, phase), days in totals.items()
        ),
        key=lambda stall: (-stall.average_days, stall.framework, stall.phase),
    )
    return ranked[:TOP]


def most_waived(waived: Iterable[str]) -> list[tuple[str, int]]:
    """The items skipped most often across runs, each given as ``framework:phase/item``."""
    counts = Counter(waived)
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:TOP]
