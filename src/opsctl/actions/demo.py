"""``opsctl demo``: a sample workspace built with the same calls a team makes.

It creates a workspace with a roster, walks a release run through its first
phases with evidence, a waiver and sign-offs, leaves a feature run blocked
on an item, tracks the program's success checklist, records six months of
KPI readings, and renders the monthly and quarterly reviews. Every step goes
through the engine and store a user's commands go through; only the times
are spread over the past months so the reports have a story to tell.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from opsctl.actions.reports import save_report
from opsctl.actions.results import Result
from opsctl.actions.session import Session
from opsctl.definitions.catalog import Catalog
from opsctl.definitions.config import Person
from opsctl.definitions.model import Framework
from opsctl.engine.applicability import applies
from opsctl.engine.approvals import approve
from opsctl.engine.labels import relabel
from opsctl.engine.runs import GateRefused, advance, new_run, resolve_item, set_item
from opsctl.errors import UsageError
from opsctl.review.periods import Period, last_complete, trailing_months
from opsctl.review.readings import record_reading
from opsctl.review.render import workspace_report
from opsctl.store.documents import ItemStatus, RunDocument
from opsctl.store.metrics import MetricsStore
from opsctl.store.runs import RunStore
from opsctl.store.workspace import Workspace, init_workspace

PM, DIRECTOR, OPS, QA, DEV = (
    "pm@example.com",
    "director@example.com",
    "ops@example.com",
    "qa@example.com",
    "dev@example.com",
)
ROSTER = """people:
  - {email: director@example.com, name: Dana Director, roles: [product-director]}
  - {email: pm@example.com, name: Priya PM, roles: [product-manager]}
  - {email: ops@example.com, name: Omar Ops, roles: [operations]}
  - {email: qa@example.com, name: Quinn QA, roles: [qa]}
  - {email: dev@example.com, name: Devi Dev, roles: [development]}
"""
OWNERS = {
    "product-director": DIRECTOR,
    "product-manager": PM,
    "operations": OPS,
    "qa": QA,
    "development": DEV,
}
"""Who in the demo roster does the work of each role."""
# Six months of readings for each KPI: (baseline, monthly readings, oldest first).
READINGS: dict[str, tuple[float, list[float]]] = {
    "development-efficiency": (21.0, [22.4, 23.9, 25.1, 26.8, 27.9, 29.6]),
    "quality-assurance": (62.0, [63.5, 64.0, 66.2, 67.9, 70.1, 71.0]),
    "delivery-success": (58.0, [58.5, 59.0, 58.2, 60.1, 61.0, 61.4]),
    "operational-efficiency": (24.0, [25.0, 27.5, 29.0, 31.5, 33.0, 34.8]),
    "defect-escape-rate": (18.0, [17.5, 16.8, 16.1, 15.2, 14.9, 14.1]),
}


@dataclass(frozen=True)
class DemoResult:
    """Where the demo put things."""

    workspace: Workspace
    month: Period
    quarter: Period
    reports: list[Path]
    runs: list[str]


class _Clock:
    """Hands out increasing times, a few hours apart, from a start."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def tick(self, hours: float = 5) -> dt.datetime:
        self.now += dt.timedelta(hours=hours)
        return self.now


def _run(
    store: RunStore,
    framework: Framework,
    run_id: str,
    title: str,
    due: dt.date,
    at: dt.datetime,
    steps: Callable[[RunDocument, Framework], None],
    labels: tuple[str, ...] = (),
) -> None:
    document = new_run(framework, run_id, title, due, PM, at)
    relabel(document, framework, PM, at, add=labels)
    store.create(document, framework)
    with store.update(run_id) as fresh:
        steps(fresh, framework)


def _evidence(fw: Framework, key: str, proof: str) -> str | None:
    """Evidence of the kind an item asks for: a link, a file path, text, or none."""
    _, item = resolve_item(fw, key)
    kinds = {
        "none": None,
        "link": f"https://wiki.example.com/{key}",
        "file": f"docs/{key.replace('/', '-')}.md",
        "text": proof,
    }
    return kinds[item.evidence.value]


def _done(run: RunDocument, fw: Framework, key: str, actor: str, at: dt.datetime) -> None:
    proof = f"Recorded by {actor.split('@')[0]} during the demo walk-through"
    set_item(run, fw, key, ItemStatus.DONE, actor, at, evidence=_evidence(fw, key, proof))


def _rest_of_phase(run: RunDocument, fw: Framework, phase_id: str, clock: _Clock) -> None:
    """Complete the phase's other required items that apply to the run, each by its owner."""
    phase = fw.phase(phase_id)
    assert phase is not None
    for item in phase.gate_items():
        key = f"{phase_id}/{item.id}"
        if applies(run, phase, item) and key not in run.items:
            _done(run, fw, key, OWNERS[item.owner], clock.tick(6))


def _release(clock: _Clock, people: list[Person]) -> Callable[[RunDocument, Framework], None]:
    def steps(run: RunDocument, fw: Framework) -> None:
        for key in ("stakeholders-aligned", "timeline-published", "success-criteria-defined"):
            _done(run, fw, f"planning/{key}", PM, clock.tick(20))
        _rest_of_phase(run, fw, "planning", clock)
        advance(run, fw, PM, clock.tick())
        _done(run, fw, "coordination/scope-frozen", DEV, clock.tick(30))
        set_item(
            run,
            fw,
            "coordination/testing-complete",
            ItemStatus.SKIPPED,
            QA,
            clock.tick(30),
            reason="Hotfix-only scope; full regression runs in the 2.5 cycle",
            expires=clock.now.date() + dt.timedelta(days=45),
        )
        _done(run, fw, "coordination/deployment-prepared", OPS, clock.tick(20))
        _rest_of_phase(run, fw, "coordination", clock)
        advance(run, fw, PM, clock.tick())
        _done(run, fw, "execution/deployment-coordinated", OPS, clock.tick(40))
        _done(run, fw, "execution/monitoring-live", OPS, clock.tick(8))
        _done(run, fw, "execution/success-tracking-started", PM, clock.tick(4))
        _rest_of_phase(run, fw, "execution", clock)
        approve(run, fw, people, DIRECTOR, clock.tick(), comment="Go for release")
        with contextlib.suppress(GateRefused):
            advance(run, fw, PM, clock.tick(2))

    return steps


def _feature(clock: _Clock) -> Callable[[RunDocument, Framework], None]:
    def steps(run: RunDocument, fw: Framework) -> None:
        first = fw.phases[0]
        for item in first.items[:-1]:
            _done(run, fw, f"{first.id}/{item.id}", PM, clock.tick(30))
        set_item(
            run,
            fw,
            f"{first.id}/{first.items[-1].id}",
            ItemStatus.BLOCKED,
            PM,
            clock.tick(10),
            reason="Waiting for legal review of the new payment terms",
        )

    return steps


def _success(clock: _Clock) -> Callable[[RunDocument, Framework], None]:
    def steps(run: RunDocument, fw: Framework) -> None:
        first = fw.phases[0]
        for item in first.items[:2]:
            _done(run, fw, f"{first.id}/{item.id}", OPS, clock.tick(48))

    return steps


def build_demo(root: Path, catalog: Catalog, today: dt.date) -> DemoResult:
    """Build the sample workspace in a new folder and render its reviews."""
    if root.exists() and any(root.iterdir()):
        raise UsageError(f"{root}: folder exists and is not empty; choose a new one")
    root.mkdir(parents=True, exist_ok=True)
    workspace = init_workspace(root, team="Checkout product team")
    template = workspace.config_path.read_text(encoding="utf-8")
    with_roster = template.replace("people: []\n", ROSTER, 1)
    workspace.config_path.write_text(with_roster, encoding="utf-8")
    config = workspace.config()
    people = config.people
    month = last_complete("monthly", today)
    quarter = last_complete("quarterly", today)
    start = dt.datetime.combine(month.end - dt.timedelta(days=40), dt.time(9), dt.timezone.utc)
    clock = _Clock(start)
    store = RunStore(workspace)
    due = today + dt.timedelta(days=20)
    _run(
        store,
        catalog.get("release-management").framework,
        "rel-2-4",
        "Release 2.4",
        due,
        clock.tick(),
        _release(clock, people),
        labels=("customer-facing",),
    )
    _run(
        store,
        catalog.get("feature-development").framework,
        "checkout-redesign",
        "Checkout redesign",
        month.end - dt.timedelta(days=5),
        clock.tick(),
        _feature(clock),
    )
    _run(
        store,
        catalog.get("operations-success").framework,
        "ops-success",
        f"Operations success {month.label[:4]}",
        due,
        clock.tick(),
        _success(clock),
    )
    metrics = MetricsStore(workspace)
    months = trailing_months(month, 7)
    with metrics.update() as document:
        for metric_id, (baseline, values) in READINGS.items():
            at = dt.datetime.combine(month.end, dt.time(8), dt.timezone.utc)
            record_reading(
                document,
                metric_id,
                baseline,
                months[0],
                OPS,
                at,
                "pre-framework baseline",
                baseline=True,
            )
            for label, value in zip(months[1:], values, strict=True):
                record_reading(document, metric_id, value, label, OPS, at)
    reviews = [("monthly", month.previous()), ("monthly", month), ("quarterly", quarter)]
    reports = [root / "reports" / f"{period.label}.md" for _, period in reviews]
    # Each review is held on the morning its period's review falls due, in that order.
    for kind, period in sorted(reviews, key=lambda review: review[1].end):
        output = root / "reports" / f"{period.label}.md"
        text = workspace_report(workspace, catalog, config.team, kind, period, people=config.people)
        written_at = dt.datetime.combine(period.end, dt.time(10), dt.timezone.utc)
        save_report(workspace, kind, period.label, text, output, PM, written_at)
    return DemoResult(
        workspace, month, quarter, reports, ["rel-2-4", "checkout-redesign", "ops-success"]
    )


class DemoBuilt(Result):
    """``opsctl demo``: the sample workspace and the reports rendered in it."""

    KIND: ClassVar[str] = "demo"

    workspace: str
    reports: list[str]


def demo_workspace(session: Session, path: Path) -> DemoBuilt:
    """Build the sample workspace in a new folder (see :func:`build_demo`)."""
    built = build_demo(path, session.catalog, session.today())
    return DemoBuilt(
        workspace=str(built.workspace.root), reports=[str(report) for report in built.reports]
    )
