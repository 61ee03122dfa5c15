"""Three-way merges of store documents, for git's merge driver (``opsctl merge-file``).

Histories are the truth: the merged history is the events both sides share,
then every event only one side has, in timestamp order; the merged state is
what that history replays to. So changes to different items, phases and
approvals combine, the same item changed on both sides ends at the later
change (the other stays in the history), and an approval is voided when an
item of its phase changed after it on the other side. The hash chain is
rebuilt and the merge is recorded as an event, so ``opsctl audit verify``
passes on the result. Because of that, a side whose history does not hold
(and the common ancestor, when git hands one over) is never merged: the
rebuilt chain would present a hand edit as intact.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opsctl.clock import iso
from opsctl.engine.history import verify
from opsctl.engine.transitions import STATUS_ACTIONS, replay
from opsctl.errors import CheckFailed, StoreError
from opsctl.store.documents import Event, RunDocument
from opsctl.store.files import next_head, parse_model, read_json, upgrade
from opsctl.store.metrics import MetricEvent, MetricRecord, MetricsDocument, Reading
from opsctl.store.reviews import ReviewsDocument

MERGE_ACTOR = "opsctl"
ITEM_ACTIONS = {*STATUS_ACTIONS, "reopen"}


class Irreconcilable(CheckFailed):
    """The inputs cannot be merged safely; git's conflict must stay (exit 1)."""

    topic = "merge-file"


@dataclass
class MergeResult:
    """A merged document and what the user should know about it."""

    document: Any
    notes: list[str] = field(default_factory=list)

    def content(self) -> dict[str, Any]:
        """The merged document as the JSON object to write."""
        if isinstance(self.document, dict):
            return self.document
        dumped: dict[str, Any] = self.document.model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
        return dumped


def _identity(event: Event) -> str:
    content = event.model_dump(mode="json", exclude={"prev", "hash"}, exclude_none=True)
    return json.dumps(content, sort_keys=True)


def _combined(
    ours: list[Event], theirs: list[Event]
) -> tuple[list[Event], list[Event], list[Event]]:
    """Split two histories into (shared, only ours, only theirs).

    Events are compared by content rather than hash, so re-chained copies of
    one event (after a rebase or cherry-pick) count as the same event.
    """
    theirs_ids = {_identity(event) for event in theirs}
    ours_ids = {_identity(event) for event in ours}
    shared = [event for event in ours if _identity(event) in theirs_ids]
    return (
        shared,
        [event for event in ours if _identity(event) not in theirs_ids],
        [event for event in theirs if _identity(event) not in ours_ids],
    )


def _voided_later(approval: Event, events: list[Event]) -> bool:
    role, phase = approval.detail.get("role"), approval.phase
    return any(
        e.action == "void-approval"
        and e.phase == phase
        and e.detail.get("role") == role
        and e.detail.get("approver") == approval.actor
        and e.at >= approval.at
        for e in events
    )


def _cross_voids(ours: list[Event], theirs: list[Event]) -> list[Event]:
    """Void events for approvals given on one side of a phase whose items the other side changed.

    The approver signed off a state without the other side's change, so the
    approval no longer describes the phase, whichever happened first.
    """
    voids = []
    for changed, approved in ((ours, theirs), (theirs, ours)):
        for approval in (e for e in approved if e.action == "approve"):
            if _voided_later(approval, approved):
                continue
            prefix = f"{approval.phase}/"
            trigger = next(
                (
                    e
                    for e in changed
                    if e.action in ITEM_ACTIONS and (e.item or "").startswith(prefix)
                ),
                None,
            )
            if trigger is None:
                continue
            why = f"item '{trigger.item}' changed on another branch (found when merging)"
            voids.append(
                Event(
                    at=max(trigger.at, approval.at),
                    actor=MERGE_ACTOR,
                    action="void-approval",
                    phase=approval.phase,
                    detail={
                        "role": approval.detail.get("role", ""),
                        "approver": approval.actor,
                        "reason": why,
                    },
                )
            )
    return voids


def _both_sides_notes(run_id: str, ours: list[Event], theirs: list[Event]) -> list[str]:
    mine = {e.item: e for e in ours if e.action in ITEM_ACTIONS and e.item}
    notes = []
    for event in theirs:
        if event.action in ITEM_ACTIONS and event.item in mine:
            other = mine[event.item]
            winner = max(other, event, key=lambda e: (e.at, e.actor))
            notes.append(
                f"{run_id}: {event.item} changed on both sides; kept the later change "
                f"({winner.action} by {winner.actor} at {iso(winner.at)}); "
                "the other stays in the history"
            )
    return notes


def _require_intact(sides: dict[str, RunDocument | None]) -> None:
    """Refuse to merge when a side's history was edited, removed or does not replay to its state.

    The merge rebuilds the hash chain, so it must not start from a chain or
    state that does not hold: the result would verify as intact.
    """
    for side, document in sides.items():
        finding = verify(document) if document is not None else None
        if finding is not None:
            raise Irreconcilable(
                f"{side}: {finding}; a history that does not hold is never merged "
                f"(opsctl audit verify {finding.run})"
            )


def merge_runs(
    ours: RunDocument, theirs: RunDocument, at: dt.datetime, base: RunDocument | None = None
) -> MergeResult:
    """Merge two versions of one run (the common ancestor is implied by their histories).

    Both sides, and ``base`` when given, must pass :func:`~opsctl.engine.history.verify`.
    """
    if ours.id != theirs.id:
        raise Irreconcilable(f"different runs: '{ours.id}' and '{theirs.id}'")
    if (
        ours.history
        and theirs.history
        and _identity(ours.history[0]) != _identity(theirs.history[0])
    ):
        raise Irreconcilable(
            f"two different runs were started with the id '{ours.id}'; rename one "
            "(opsctl start ... --id) and redo the merge"
        )
    _require_intact({"ours": ours, "theirs": theirs, "base": base})
    shared, only_ours, only_theirs = _combined(ours.history, theirs.history)
    if not only_ours or not only_theirs:
        newer = theirs if only_theirs else ours
        return MergeResult(newer.model_copy(deep=True))
    voids = _cross_voids(only_ours, only_theirs)
    fresh = sorted(
        [(event, 0) for event in only_ours + only_theirs] + [(event, 1) for event in voids],
        key=lambda pair: (pair[0].at, pair[1], pair[0].actor, pair[0].action, pair[0].item or ""),
    )
    events = shared + [event for event, _ in fresh]
    merged = ours.model_copy(deep=True)
    merged.history = []
    for event in events:
        event = event.model_copy(update={"prev": merged.history[-1].hash if merged.history else ""})
        event.hash = event.content_hash()
        merged.history.append(event)
    replayed = replay(merged)
    merged = replayed.model_copy(update={"history": merged.history, "head": merged.head})
    detail = {"ours": str(len(only_ours)), "theirs": str(len(only_theirs))}
    last = merged.history[-1].at
    merge_event = Event(
        at=max(at, last),
        actor=MERGE_ACTOR,
        action="merge",
        detail=detail,
        prev=merged.history[-1].hash,
    )
    merge_event.hash = merged.head = merge_event.content_hash()
    merged.history.append(merge_event)
    return MergeResult(merged, _both_sides_notes(ours.id, only_ours, only_theirs))


def merge_metrics(ours: MetricsDocument, theirs: MetricsDocument) -> MergeResult:
    """Merge KPI readings: every recorded change from both sides, later ones winning."""
    seen: set[str] = set()
    events: list[MetricEvent] = []
    for event in sorted(
        [*ours.history, *theirs.history], key=lambda e: (e.at, e.actor, e.metric, e.period)
    ):
        key = event.model_dump_json()
        if key not in seen:
            seen.add(key)
            events.append(event)
    merged = MetricsDocument()
    for event in events:
        record = merged.metrics.setdefault(event.metric, MetricRecord())
        reading = Reading(
            value=event.value,
            period=event.period,
            by=event.actor,
            at=event.at,
            note=event.note,
            provenance=event.provenance,
        )
        if event.action == "baseline":
            record.baseline = reading
        else:
            record.readings[event.period] = reading
        merged.history.append(event)
        merged.head = next_head(merged.head, event)
    return MergeResult(merged)


def merge_reviews(ours: ReviewsDocument, theirs: ReviewsDocument) -> MergeResult:
    """Merge the record of written reports: one per period, the later one winning."""
    chosen: dict[tuple[str, str], Any] = {}
    for record in sorted([*ours.reports, *theirs.reports], key=lambda r: (r.at, r.path)):
        chosen[(record.cadence, record.period)] = record
    merged = ReviewsDocument()
    for key in sorted(chosen):
        merged.reports.append(chosen[key])
        merged.head = next_head(merged.head, chosen[key])
    return MergeResult(merged)


def _load(path: Path, kind: str) -> Any:
    from opsctl.store.documents import RUN_SCHEMA, RUN_UPGRADES
    from opsctl.store.metrics import METRICS_SCHEMA
    from opsctl.store.reviews import REVIEWS_SCHEMA

    models: dict[str, tuple[type[Any], int, dict[int, Any]]] = {
        "run": (RunDocument, RUN_SCHEMA, RUN_UPGRADES),
        "metrics": (MetricsDocument, METRICS_SCHEMA, {}),
        "reviews": (ReviewsDocument, REVIEWS_SCHEMA, {}),
    }
    model, current, upgrades = models[kind]
    return parse_model(model, upgrade(read_json(path), path, current, upgrades), path)


def _base_run(path: Path | None) -> RunDocument | None:
    """The common ancestor as a run, or None when git gave none or it is not a readable run."""
    if path is None:
        return None
    try:
        if read_json(path).get("kind") != "run":
            return None
        base: RunDocument = _load(path, "run")
    except StoreError:
        return None
    return base


def merge_file(
    ours_path: Path, theirs_path: Path, at: dt.datetime, base: Path | None = None
) -> MergeResult:
    """Merge the document ``theirs_path`` into ``ours_path``'s content (not written here).

    ``base`` is the common ancestor git hands over: a run there is verified
    like both sides; anything else there (empty, another kind) is ignored.
    """
    try:
        kinds = {read_json(path).get("kind") for path in (ours_path, theirs_path)}
    except StoreError as exc:
        raise Irreconcilable(str(exc)) from None
    if len(kinds) != 1:
        raise Irreconcilable(
            f"the two sides are different kinds of document: {sorted(map(str, kinds))}"
        )
    kind = kinds.pop()
    try:
        if kind == "definition":
            if read_json(ours_path) != read_json(theirs_path):
                raise Irreconcilable("two different definitions under one digest")
            return MergeResult(read_json(ours_path))
        if kind not in ("run", "metrics", "reviews"):
            raise Irreconcilable(f"not an opsctl store document (kind {kind!r})")
        ours, theirs = _load(ours_path, str(kind)), _load(theirs_path, str(kind))
    except StoreError as exc:
        raise Irreconcilable(str(exc)) from None
    if kind == "run":
        return merge_runs(ours, theirs, at, _base_run(base))
    if kind == "metrics":
        return merge_metrics(ours, theirs)
    return merge_reviews(ours, theirs)


def leave_conflict(base: Path, ours: Path, theirs: Path) -> None:
    """Let git's own ``merge-file`` write its usual conflict markers into ``ours``.

    For input :func:`merge_file` refuses: the user resolves it as any other
    conflict. git's exit code is ignored; the caller reports the refusal.
    """
    subprocess.run(
        [
            "git",
            "merge-file",
            "-L",
            "ours",
            "-L",
            "base",
            "-L",
            "theirs",
            str(ours),
            str(base),
            str(theirs),
        ],
        check=False,
    )
