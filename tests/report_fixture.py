"""A fixed workspace for the report tests, built in code with the calls a team's commands make.

Like ``opsctl demo`` it goes through the run engine, the approvals, the run
store and the metrics store, never special cases; unlike the demo every time
is a fixed date in 2026, so the reports never depend on today.

The story, all UTC:

- ``rel-2-8`` (release-management): 2026-06-01 to 2026-08-20, completed before Q4;
  waives the optional ``innovation/market-validated``.
- ``ops-success`` (operations-success): started 2026-07-01, stays in its first
  phase; in November a success criterion is done and one is waived.
- ``rel-2-9`` (release-management): 2026-09-01, waives ``coordination/testing-complete``
  (expires 2027-03-31), completed 2026-11-16.
- ``rel-3-0`` (release-management, due 2026-11-20): started 2026-10-05, a refused
  advance on 2026-10-07, passes planning on 10-09, waives testing-complete on
  10-14 (expires 2026-12-10), passes coordination on 11-03, a director's sign-off
  on 11-06 voided by blocking ``execution/monitoring-live`` on 11-10, a refused
  advance on 11-24. Past its due date at the end of November.
- ``checkout-redesign`` (feature-development): started 2026-11-02, its
  ``requirements/success-criteria`` blocked on 11-12.
- ``q1-planning`` (feature-development): started 2026-12-10 (after November).

KPIs: baselines for 2026-01, monthly readings 2026-02 to 2026-12. At the end
of November development-efficiency and defect-escape-rate (lower is better)
are on track, quality-assurance is at risk, delivery-success is off track and
operational-efficiency has a zero baseline (no percent change, but off track
against halving the manual share). delivery-success 2026-11
is recorded twice (62 replaced by 63). quality-assurance has no 2026-08 reading.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from opsctl.actions.demo import DEV, DIRECTOR, OPS, PM, QA, ROSTER
from opsctl.definitions.catalog import Catalog, load_catalog
from opsctl.definitions.config import Person
from opsctl.definitions.model import Framework, Metric
from opsctl.engine.applicability import applies
from opsctl.engine.approvals import approve, holders
from opsctl.engine.runs import (
    GateRefused,
    advance,
    item_complete,
    item_key,
    new_run,
    set_item,
    state_of,
)
from opsctl.review.context import ReportContext, ReportInputs, build_context
from opsctl.review.periods import Period, month, quarter
from opsctl.review.readings import record_reading
from opsctl.review.render import workspace_report
from opsctl.store.documents import ItemStatus, RunDocument
from opsctl.store.metrics import MetricsStore
from opsctl.store.reviews import ReviewStore
from opsctl.store.runs import RunStore
from opsctl.store.workspace import Workspace, init_workspace

MONTH = "2026-11"
QUARTER = "2026-Q4"


# KPI -> (baseline for 2026-01, {period: value}).
READINGS: dict[str, tuple[float, dict[str, float]]] = {
    "development-efficiency": (
        20.0,
        dict(
            zip(
                [f"2026-{m:02d}" for m in range(2, 13)],
                [21, 22, 23, 24, 25, 26, 27, 28, 28.5, 29, 30],
                strict=True,
            )
        ),
    ),
    "quality-assurance": (
        50.0,
        {
            "2026-02": 51,
            "2026-03": 52,
            "2026-04": 53,
            "2026-05": 54,
            "2026-06": 55,
            "2026-07": 56,
            "2026-09": 60,
            "2026-10": 61,
            "2026-11": 62,
            "2026-12": 63,
        },
    ),
    "delivery-success": (
        60.0,
        dict(
            zip(
                [f"2026-{m:02d}" for m in range(2, 13)],
                [60.5, 61, 61, 61.5, 62, 62, 62.5, 62.5, 62.8, 63, 63.5],
                strict=True,
            )
        ),
    ),
    "defect-escape-rate": (
        20.0,
        dict(
            zip(
                [f"2026-{m:02d}" for m in range(2, 13)],
                [19.5, 19, 18, 17, 16, 15.5, 15, 14, 13, 12.5, 12],
                strict=True,
            )
        ),
    ),
    "operational-efficiency": (
        0.0,
        dict(
            zip(
                [f"2026-{m:02d}" for m in range(2, 13)],
                [2, 4, 5, 7, 8, 10, 11, 12, 14, 15, 17],
                strict=True,
            )
        ),
    ),
}
REPLACED = ("delivery-success", "2026-11", 62.0)
"""A reading recorded first and replaced by the value in READINGS."""


@dataclass(frozen=True)
class Texts:
    """The user-written text of the fixture, so a test can make it hostile."""

    team: str = "Checkout product team"
    release_title: str = "Release 3.0"
    feature_title: str = "Checkout redesign"
    skip_reason: str = "Hotfix-only scope; full regression runs in the 3.1 cycle"
    block_reason: str = "Waiting for the new dashboards from the platform team"
    note: str = "Runbook reviewed with on-call"
    comment: str = "Go for 3.0"


PLAIN = Texts()
NASTY = "Pipe | tick ` line\nbreak <script>alert(1)</script> *bold* _under_ [link](x)"
HOSTILE = Texts(
    team=NASTY,
    release_title=f"Release {NASTY}",
    feature_title=f"Checkout {NASTY}",
    skip_reason=f"Skip {NASTY}",
    block_reason=f"Block {NASTY}",
    note=f"Note {NASTY}",
    comment=f"Comment {NASTY}",
)


def at(day: str, hour: int = 9) -> dt.datetime:
    """A fixed UTC time on a YYYY-MM-DD day."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), dt.timezone.utc)


def catalog() -> Catalog:
    """The built-in frameworks (the fixture workspace has none of its own)."""
    return load_catalog()


def _evidence(framework: Framework, key: str) -> str | None:
    """Evidence of the kind an item asks for, as a user would pass it."""
    phase_id, _, item_id = key.partition("/")
    phase = framework.phase(phase_id)
    assert phase is not None
    item = next(item for item in phase.items if item.id == item_id)
    return {
        "none": None,
        "link": f"https://wiki.example.com/{key}",
        "file": f"docs/{key.replace('/', '-')}.md",
        "text": f"Recorded for {key}",
    }[item.evidence.value]


def _done(
    run: RunDocument,
    fw: Framework,
    key: str,
    actor: str,
    when: dt.datetime,
    note: str | None = None,
) -> None:
    set_item(run, fw, key, ItemStatus.DONE, actor, when, evidence=_evidence(fw, key), note=note)


def _hours(day: str) -> Iterator[dt.datetime]:
    hour = 9
    while True:
        yield at(day, hour)
        hour += 1


def _finish_phase(
    run: RunDocument, fw: Framework, people: list[Person], day: str, actor: str = PM
) -> None:
    """Complete what the current phase still needs on one day, sign it off and advance."""
    phase = fw.phase(run.phase or "")
    assert phase is not None
    clock = _hours(day)
    for item in phase.gate_items():
        if not applies(run, phase, item):
            continue
        if not item_complete(state_of(run, phase, item), dt.date.fromisoformat(day))[0]:
            _done(run, fw, item_key(phase, item), actor, next(clock))
    for role in phase.gate.approvals:
        approve(run, fw, people, holders(role, people)[0], next(clock), role=role)
    advance(run, fw, actor, next(clock))


def _create(
    store: RunStore,
    framework: Framework,
    run_id: str,
    title: str,
    due: dt.date | None,
    created: dt.datetime,
) -> None:
    store.create(new_run(framework, run_id, title, due, PM, created), framework)


def _rel_2_8(run: RunDocument, fw: Framework, people: list[Person]) -> None:
    set_item(
        run,
        fw,
        "innovation/market-validated",
        ItemStatus.SKIPPED,
        PM,
        at("2026-06-02"),
        reason="No market test for a maintenance release",
    )
    ends = ["06-10", "06-20", "06-30", "07-10", "07-20", "07-30", "08-10", "08-20"]
    for end in ends:
        _finish_phase(run, fw, people, f"2026-{end}")


def _rel_2_9(run: RunDocument, fw: Framework, people: list[Person]) -> None:
    _finish_phase(run, fw, people, "2026-09-10")
    set_item(
        run,
        fw,
        "coordination/testing-complete",
        ItemStatus.SKIPPED,
        QA,
        at("2026-09-15"),
        reason="Covered by the 2.8 regression suite",
        expires=dt.date(2027, 3, 31),
    )
    ends = ["09-25", "10-20", "11-02", "11-06", "11-10", "11-13", "11-16"]
    for end in ends:
        _finish_phase(run, fw, people, f"2026-{end}")


def _rel_3_0(run: RunDocument, fw: Framework, people: list[Person], texts: Texts) -> None:
    _done(run, fw, "planning/stakeholders-aligned", PM, at("2026-10-06"))
    _done(run, fw, "planning/timeline-published", PM, at("2026-10-06", 12))
    with contextlib.suppress(GateRefused):  # recorded as a refused advance
        advance(run, fw, PM, at("2026-10-07", 10))
    _done(run, fw, "planning/success-criteria-defined", PM, at("2026-10-08"))
    _done(run, fw, "planning/change-classified", OPS, at("2026-10-08", 12))
    advance(run, fw, PM, at("2026-10-09"))
    _done(run, fw, "coordination/scope-frozen", DEV, at("2026-10-12"))
    set_item(
        run,
        fw,
        "coordination/testing-complete",
        ItemStatus.SKIPPED,
        QA,
        at("2026-10-14"),
        reason=texts.skip_reason,
        expires=dt.date(2026, 12, 10),
    )
    _done(run, fw, "coordination/deployment-prepared", OPS, at("2026-10-20"), note=texts.note)
    _done(run, fw, "coordination/test-report", QA, at("2026-10-21"))
    _done(run, fw, "coordination/dependency-scan", DEV, at("2026-10-21", 11))
    _done(run, fw, "coordination/compatibility-tested", QA, at("2026-10-22"))
    _done(run, fw, "coordination/rollback-plan", OPS, at("2026-10-22", 11))
    _done(run, fw, "coordination/release-notes", PM, at("2026-10-23"))
    advance(run, fw, PM, at("2026-11-03", 10))
    _done(run, fw, "execution/deployment-coordinated", OPS, at("2026-11-05"))
    _done(run, fw, "execution/monitoring-live", OPS, at("2026-11-05", 14))
    _done(run, fw, "execution/success-tracking-started", PM, at("2026-11-06", 11))
    _done(run, fw, "execution/error-budget-checked", OPS, at("2026-11-06", 12))
    _done(run, fw, "execution/oncall-handover", OPS, at("2026-11-06", 13))
    approve(run, fw, people, DIRECTOR, at("2026-11-06", 15), comment=texts.comment)
    set_item(
        run,
        fw,
        "execution/monitoring-live",
        ItemStatus.BLOCKED,
        OPS,
        at("2026-11-10"),
        reason=texts.block_reason,
    )
    with contextlib.suppress(GateRefused):
        advance(run, fw, PM, at("2026-11-24", 16))


def _checkout(run: RunDocument, fw: Framework) -> None:
    _done(run, fw, "requirements/stakeholder-input", PM, at("2026-11-03"))
    _done(run, fw, "requirements/specification", PM, at("2026-11-04"))
    set_item(
        run,
        fw,
        "requirements/success-criteria",
        ItemStatus.BLOCKED,
        PM,
        at("2026-11-12"),
        reason="Waiting for legal review of the new payment terms",
    )


def _ops_success(run: RunDocument, fw: Framework) -> None:
    _done(run, fw, "performance-success/efficiency-metrics", OPS, at("2026-07-15"))
    _done(run, fw, "performance-success/quality-guarded", QA, at("2026-08-10"))
    set_item(
        run,
        fw,
        "success-validation/quality-assurance",
        ItemStatus.SKIPPED,
        DIRECTOR,
        at("2026-11-18"),
        reason="Covered by the QA framework run",
    )
    _done(run, fw, "success-validation/development-process", DIRECTOR, at("2026-11-20"))


def _q1_planning(run: RunDocument, fw: Framework) -> None:
    _done(run, fw, "requirements/stakeholder-input", PM, at("2026-12-11"))


def _readings(workspace: Workspace) -> None:
    with MetricsStore(workspace).update() as document:
        for metric_id, (baseline, values) in READINGS.items():
            record_reading(
                document,
                metric_id,
                baseline,
                "2026-01",
                OPS,
                at("2026-02-01", 8),
                "pre-framework baseline",
                baseline=True,
            )
            for period, value in values.items():
                year, month_number = (int(part) for part in period.split("-"))
                recorded = dt.datetime(
                    year + month_number // 12, month_number % 12 + 1, 1, 8, tzinfo=dt.timezone.utc
                )
                if (metric_id, period) == REPLACED[:2]:
                    record_reading(document, metric_id, REPLACED[2], period, OPS, recorded)
                    recorded += dt.timedelta(days=1)
                record_reading(document, metric_id, float(value), period, OPS, recorded)


def build_workspace(root: Path, texts: Texts = PLAIN) -> Workspace:
    """Build the fixture workspace in ``root`` (created; must not hold a workspace yet)."""
    root.mkdir(parents=True, exist_ok=True)
    workspace = init_workspace(root, team=texts.team)
    config = workspace.config_path.read_text(encoding="utf-8").replace("people: []\n", ROSTER, 1)
    workspace.config_path.write_text(config, encoding="utf-8")
    people = workspace.config().people
    frameworks = catalog()
    release = frameworks.get("release-management").framework
    feature = frameworks.get("feature-development").framework
    success = frameworks.get("operations-success").framework
    store = RunStore(workspace)

    _create(store, release, "rel-2-8", "Release 2.8", dt.date(2026, 8, 31), at("2026-06-01"))
    with store.update("rel-2-8") as run:
        _rel_2_8(run, release, people)
    _create(store, success, "ops-success", "Operations success 2026", None, at("2026-07-01"))
    _create(store, release, "rel-2-9", "Release 2.9", dt.date(2026, 11, 30), at("2026-09-01"))
    with store.update("rel-2-9") as run:
        _rel_2_9(run, release, people)
    _create(store, release, "rel-3-0", texts.release_title, dt.date(2026, 11, 20), at("2026-10-05"))
    with store.update("rel-3-0") as run:
        _rel_3_0(run, release, people, texts)
    _create(store, feature, "checkout-redesign", texts.feature_title, None, at("2026-11-02"))
    with store.update("checkout-redesign") as run:
        _checkout(run, feature)
    with store.update("ops-success") as run:
        _ops_success(run, success)
    _create(store, feature, "q1-planning", "Q1 planning", dt.date(2027, 1, 31), at("2026-12-10"))
    with store.update("q1-planning") as run:
        _q1_planning(run, feature)
    _readings(workspace)
    return workspace


def period_of(kind: str, label: str) -> Period:
    """The month or quarter a report covers."""
    return month(label) if kind == "monthly" else quarter(label)


def kpis(frameworks: Catalog | None = None) -> list[tuple[Metric, str]]:
    """Every KPI of the catalog with the framework defining it."""
    frameworks = frameworks or catalog()
    return [(metric, fw.id) for fw in frameworks.frameworks() for metric in fw.metrics]


def context_of(workspace: Workspace, kind: str, label: str) -> ReportContext:
    """The report context of a period, built the way ``opsctl report`` builds it."""
    store = RunStore(workspace)
    runs = []
    for run_id in store.ids():
        document = store.load(run_id)
        runs.append((document, store.framework_of(document)))
    frameworks = catalog().frameworks()
    inputs = ReportInputs(
        people=tuple(workspace.config().people),
        owners={fw.id: fw.approval for fw in frameworks if fw.approval},
        reviews=ReviewStore(workspace).load(),
    )
    return build_context(
        kind,
        period_of(kind, label),
        workspace.config().team,
        runs,
        kpis(),
        MetricsStore(workspace).load(),
        inputs,
    )


def render(
    workspace: Workspace,
    kind: str,
    label: str,
    generated_at: str = "",
    output_format: str = "markdown",
) -> str:
    """A report rendered through the same function ``opsctl report`` calls."""
    config = workspace.config()
    return workspace_report(
        workspace,
        catalog(),
        config.team,
        kind,
        period_of(kind, label),
        generated_at,
        people=config.people,
        output_format=output_format,
    )
