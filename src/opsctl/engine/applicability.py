"""Which items and phases apply to a run, from its labels and the repository facts it recorded.

A run keeps its ``labels`` and the ``facts`` (the paths named by its
definition's conditions that matched when last evaluated); both are set
only by ``label`` events, so applicability replays like every other state.
An item that does not apply is *not applicable*: it never blocks a gate and
does not count towards progress.
"""

from __future__ import annotations

from opsctl.definitions.model import Framework, Item, Phase
from opsctl.store.documents import RunHeader


def phase_applies(document: RunHeader, phase: Phase) -> bool:
    """Whether a phase applies to the run (a phase without ``when`` always does)."""
    if phase.when is None:
        return True
    return phase.when.holds(document.labels or (), document.facts or ())


def applies(document: RunHeader, phase: Phase, item: Item) -> bool:
    """Whether an item applies to the run: its phase applies and so does its own condition."""
    if not phase_applies(document, phase):
        return False
    return item.when is None or item.when.holds(document.labels or (), document.facts or ())


def not_applicable(document: RunHeader, framework: Framework) -> frozenset[str]:
    """The ``phase/item`` keys of the items that do not apply to the run."""
    if not framework.conditional_keys:
        return frozenset()
    condition = (tuple(document.labels or ()), tuple(document.facts or ()))
    known = framework.applicability_memo.get(condition)
    if known is None:
        known = framework.applicability_memo[condition] = frozenset(
            f"{phase.id}/{item.id}"
            for phase, item in framework.iter_items()
            if not applies(document, phase, item)
        )
    return known


def why_not(document: RunHeader, phase: Phase, item: Item) -> str:
    """Why an item does not apply (``applies when label data-migration``); empty if it does."""
    if applies(document, phase, item):
        return ""
    when = phase.when if not phase_applies(document, phase) else item.when
    return f"applies when {when.describe()}" if when else ""


def condition_paths(framework: Framework) -> list[str]:
    """Every path or glob the framework's conditions name, in order, once each."""
    paths: list[str] = []
    for phase in framework.phases:
        for when in [phase.when, *(item.when for item in phase.items)]:
            paths += [path for path in (when.paths if when else []) if path not in paths]
    return paths
