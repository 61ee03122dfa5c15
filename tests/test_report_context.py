"""The report context, built and checked apart from any template, on the fixed fixture workspace.

The workspace is built in code by ``report_fixture`` (see its docstring for the story).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path

import pytest

import report_fixture as fx
from opsctl.actions.demo import OPS
from opsctl.engine.runs import new_run, set_item
from opsctl.review.context import ReportContext, build_context
from opsctl.review.periods import month
from opsctl.store.documents import ItemStatus
from opsctl.store.metrics import MetricsDocument
from opsctl.store.reviews import ReportRecord, ReviewStore, record_report
from opsctl.store.runs import RunStore
from opsctl.store.workspace import Workspace


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return fx.build_workspace(tmp_path_factory.mktemp("fixture") / "ws")


@pytest.fixture(scope="module")
def november(workspace: Workspace) -> ReportContext:
    return fx.context_of(workspace, "monthly", fx.MONTH)


@pytest.fixture(scope="module")
def q4(workspace: Workspace) -> ReportContext:
    return fx.context_of(workspace, "quarterly", fx.QUARTER)


def ids(lines: list) -> list[str]:
    return [line.id for line in lines]


def test_period_kind_and_team(november: ReportContext, q4: ReportContext) -> None:
    assert (november.kind, november.period.label, november.team) == (
        "monthly",
        "2026-11",
        "Checkout product team",
    )
    assert (q4.kind, q4.period.label) == ("quarterly", "2026-Q4")
    assert november.generated_at == ""


def test_runs_started_in_the_period(november: ReportContext, q4: ReportContext) -> None:
    assert ids(november.runs_started) == ["checkout-redesign"]
    assert ids(q4.runs_started) == ["checkout-redesign", "q1-planning", "rel-3-0"]
    assert november.runs_started[0].started == "2026-11-02"


def test_runs_completed_in_the_period(
    workspace: Workspace, november: ReportContext, q4: ReportContext
) -> None:
    assert ids(november.runs_completed) == ["rel-2-9"]
    assert ids(q4.runs_completed) == ["rel-2-9"]  # rel-2-8 completed in August
    line = november.runs_completed[0]
    assert (line.status, line.phase, line.completed) == ("completed", "completed", "2026-11-16")
    assert (line.complete, line.total, line.percent) == (31, 31, 100)
    assert (line.phase_number, line.phases) == (8, 8)
    assert not line.overdue
    august = fx.context_of(workspace, "monthly", "2026-08")
    assert ids(august.runs_completed) == ["rel-2-8"]
    assert ids(august.runs_started) == []


def test_runs_active_at_the_period_end(
    workspace: Workspace, november: ReportContext, q4: ReportContext
) -> None:
    # q1-planning starts after November; rel-2-8 and rel-2-9 are completed.
    assert ids(november.runs_active) == ["checkout-redesign", "ops-success", "rel-3-0"]
    assert ids(q4.runs_active) == ["checkout-redesign", "ops-success", "q1-planning", "rel-3-0"]
    # A run completed after the period was still active in it.
    october = fx.context_of(workspace, "monthly", "2026-10")
    assert ids(october.runs_active) == ["ops-success", "rel-2-9", "rel-3-0"]
    assert ids(october.runs_completed) == []


def test_run_line_of_an_overdue_run(november: ReportContext) -> None:
    line = {run.id: run for run in november.runs_active}["rel-3-0"]
    assert line.title == "Release 3.0"
    assert line.framework == "release-management"
    assert (line.phase, line.phase_number, line.phases) == ("Execute the release", 3, 8)
    # 16/31 is 51.61...%: one decimal, rounded half-up.
    assert (line.complete, line.total, line.percent) == (16, 31, 51.6)
    assert (line.due, line.overdue) == ("2026-11-20", True)
    others = [run for run in november.runs_active if run.id != "rel-3-0"]
    assert not any(run.overdue for run in others)


def test_progress_by_framework(november: ReportContext, q4: ReportContext) -> None:
    rows = [
        (p.framework, p.runs, p.complete, p.total, p.percent)
        for p in november.progress_by_framework
    ]
    assert rows == [
        ("feature-development", 1, 2, 25, 8),
        ("operations-success", 1, 4, 16, 25),
        ("release-management", 1, 16, 31, 51.6),
    ]
    assert november.progress_by_framework[0].title == "Feature Development"
    feature = q4.progress_by_framework[0]
    assert (feature.framework, feature.runs, feature.complete, feature.total) == (
        "feature-development",
        2,
        3,
        50,
    )


def test_overdue_items_are_required_items_open_past_the_due_date(
    workspace: Workspace, november: ReportContext, q4: ReportContext
) -> None:
    assert {item.run for item in november.overdue} == {"rel-3-0"}
    keys = [item.key for item in november.overdue]
    assert len(keys) == 15
    assert keys[:2] == ["execution/monitoring-live", "success-validation/criteria-assessed"]
    assert "innovation/practice-piloted" in keys
    assert "innovation/market-validated" not in keys  # optional
    assert "coordination/testing-complete" not in keys  # waived until 2026-12-10
    assert "execution/deployment-coordinated" not in keys  # done
    assert {item.detail for item in november.overdue} == {"due 2026-11-20"}
    assert november.overdue[0].owner == "operations"
    # By the end of the quarter the waiver has lapsed, so the waived item is overdue too.
    assert "coordination/testing-complete" in [item.key for item in q4.overdue]
    assert len(q4.overdue) == 16
    # Before the due date nothing is overdue.
    assert fx.context_of(workspace, "monthly", "2026-10").overdue == []


def test_blocked_items_with_reasons(november: ReportContext) -> None:
    assert [(i.run, i.key, i.detail, i.by) for i in november.blocked] == [
        (
            "checkout-redesign",
            "requirements/success-criteria",
            "Waiting for legal review of the new payment terms",
            "pm@example.com",
        ),
        (
            "rel-3-0",
            "execution/monitoring-live",
            "Waiting for the new dashboards from the platform team",
            "ops@example.com",
        ),
    ]
    assert november.blocked[1].owner == "operations"


def test_gates_passed_and_refused(
    workspace: Workspace, november: ReportContext, q4: ReportContext
) -> None:
    passed = [(g.run, g.phase, g.date, g.detail) for g in november.gates if g.outcome == "passed"]
    assert passed == [
        ("rel-2-9", "success-validation", "2026-11-02", "to quality-optimization"),
        ("rel-2-9", "quality-optimization", "2026-11-06", "to efficiency-optimization"),
        ("rel-2-9", "efficiency-optimization", "2026-11-10", "to success-optimization"),
        ("rel-2-9", "success-optimization", "2026-11-13", "to innovation"),
        ("rel-2-9", "innovation", "2026-11-16", "to completed"),
        ("rel-3-0", "coordination", "2026-11-03", "to execution"),
    ]
    refused = [g for g in november.gates if g.outcome == "refused"]
    assert [(g.run, g.phase, g.date, g.actor) for g in refused] == [
        ("rel-3-0", "execution", "2026-11-24", "pm@example.com")
    ]
    assert "execution/monitoring-live (blocked: Waiting for the new dashboards" in refused[0].detail
    assert "execution/success-tracking-started" not in refused[0].detail
    assert "sign-off by product-director" in refused[0].detail
    assert "sign-off by operations" in refused[0].detail
    assert {g.outcome for g in november.gates} == {"passed", "refused"}
    q4_refused = [(g.phase, g.date) for g in q4.gates if g.outcome == "refused"]
    assert q4_refused == [("planning", "2026-10-07"), ("execution", "2026-11-24")]
    assert len([g for g in q4.gates if g.outcome == "passed"]) == 8
    october = fx.context_of(workspace, "monthly", "2026-10")
    assert [g.date for g in october.gates if g.outcome == "refused"] == ["2026-10-07"]


def test_sign_offs_name_the_approver_and_what_voided_them(november: ReportContext) -> None:
    rows = [
        (a.run, a.phase, a.date, a.approver, a.role, a.state, a.voided_on, a.voided_by)
        for a in november.sign_offs
    ]
    assert rows == [
        ("rel-2-9", "success-validation", "2026-11-02", OPS, "operations", "standing", "", ""),
        ("rel-2-9", "innovation", "2026-11-16", OPS, "operations", "standing", "", ""),
        # The director signed; ops's change to an item voided it: the approver stays the director.
        (
            "rel-3-0",
            "execution",
            "2026-11-06",
            "director@example.com",
            "product-director",
            "voided",
            "2026-11-10",
            OPS,
        ),
    ]
    voided = november.sign_offs[-1]
    assert voided.comment == "Go for 3.0"
    assert voided.voided_because == "item 'execution/monitoring-live' changed after approval"
    assert (november.summary["sign_offs_given"], november.summary["sign_offs_voided"]) == (3, 1)


def test_waivers_granted_and_expiring(
    workspace: Workspace, november: ReportContext, q4: ReportContext
) -> None:
    assert [(w.run, w.key, w.detail, w.by, w.date) for w in november.waivers_granted] == [
        (
            "ops-success",
            "success-validation/quality-assurance",
            "Covered by the QA framework run",
            "director@example.com",
            "2026-11-18",
        )
    ]
    # Expiring within 30 days of the period end: the rel-3-0 waiver (2026-12-10), not
    # rel-2-9's (2027-03-31) nor the one without an expiry.
    assert [(w.run, w.key, w.date) for w in november.waivers_expiring] == [
        ("rel-3-0", "coordination/testing-complete", "2026-12-10")
    ]
    assert november.waivers_expiring[0].detail.startswith("Hotfix-only scope")
    assert [(w.run, w.date) for w in q4.waivers_granted] == [
        ("ops-success", "2026-11-18"),
        ("rel-3-0", "2026-10-14"),
    ]
    september = fx.context_of(workspace, "monthly", "2026-09")
    assert [(w.run, w.key) for w in september.waivers_granted] == [
        ("rel-2-9", "coordination/testing-complete")
    ]
    assert september.waivers_expiring == []


def kpi(context: ReportContext, kpi_id: str):
    return {line.id: line for line in context.kpis}[kpi_id]


def test_kpi_lines_against_targets(november: ReportContext) -> None:
    assert [line.id for line in november.kpis] == [
        "defect-escape-rate",
        "delivery-success",
        "development-efficiency",
        "operational-efficiency",
        "quality-assurance",
    ]
    statuses = {line.id: line.status for line in november.kpis}
    assert statuses == {
        "defect-escape-rate": "on track",
        "delivery-success": "off track",
        "development-efficiency": "on track",
        "operational-efficiency": "off track",
        "quality-assurance": "at risk",
    }
    efficiency = kpi(november, "development-efficiency")
    assert (efficiency.baseline, efficiency.baseline_period) == (20, "2026-01")
    assert (efficiency.latest, efficiency.latest_period) == (29, "2026-11")  # not December's 30
    assert efficiency.improvement == pytest.approx(45)
    assert efficiency.progress == pytest.approx(100)
    assert (efficiency.target, efficiency.framework) == (45, "operations-program")
    defects = kpi(november, "defect-escape-rate")
    assert (defects.direction, defects.framework) == ("lower", "quality-assurance")
    assert defects.improvement == pytest.approx(37.5)  # 20 -> 12.5 is a fall, an improvement
    assert kpi(november, "delivery-success").latest == 63  # the replacing reading counts
    # A zero baseline has no percent change, but halving the manual share (100 -> 50) is a
    # goal: 15% automated by November is 30% of the way, 83% expected.
    zero = kpi(november, "operational-efficiency")
    assert (zero.improvement, zero.goal) == (None, 50)
    assert zero.progress == pytest.approx(30)
    assert (zero.target_label, zero.due) == ("50% fewer failures", "2027-01")


def test_kpi_trend_and_change_vs_previous_period(
    november: ReportContext, q4: ReportContext
) -> None:
    quality = kpi(november, "quality-assurance")
    assert quality.trend == [
        ("2026-06", 55),
        ("2026-07", 56),
        ("2026-08", None),
        ("2026-09", 60),
        ("2026-10", 61),
        ("2026-11", 62),
    ]
    assert quality.previous == 61
    assert quality.change_vs_previous == pytest.approx((62 - 61) / 61 * 100)
    # The quarterly trend is the quarter's months; the change is against the previous
    # quarter's latest reading (2026-09), direction-aware.
    assert [m for m, _ in kpi(q4, "delivery-success").trend] == ["2026-10", "2026-11", "2026-12"]
    delivery = kpi(q4, "delivery-success")
    assert (delivery.previous, delivery.latest) == (62.5, 63.5)
    assert delivery.change_vs_previous == pytest.approx(1 / 62.5 * 100)
    defects = kpi(q4, "defect-escape-rate")
    assert (defects.previous, defects.latest) == (14, 12)
    assert defects.change_vs_previous == pytest.approx(2 / 14 * 100)
    assert defects.change_vs_previous > 0
    assert kpi(q4, "development-efficiency").status == "on track"
    assert kpi(q4, "development-efficiency").progress == pytest.approx(50 / 45 * 100)


def test_no_kpi_number_is_nan(november: ReportContext, q4: ReportContext) -> None:
    for context in (november, q4):
        for line in context.kpis:
            numbers = [line.improvement, line.progress, line.change_vs_previous, line.latest]
            numbers += [value for _, value in line.trend]
            assert all(n is None or math.isfinite(n) for n in numbers), line
            assert "nan" not in line.message.lower()


def test_program_checklist_from_the_operations_success_run(november: ReportContext) -> None:
    assert november.checklist_run == "ops-success"
    assert [(item.key, item.detail) for item in november.checklist] == [
        ("success-validation/development-process", "done"),
        ("success-validation/product-delivery", "open"),
        ("success-validation/quality-assurance", "skipped"),
        ("success-validation/operational-excellence", "open"),
    ]
    assert november.checklist[0].owner == "product-director"


def test_stalls_and_most_waived(november: ReportContext, q4: ReportContext) -> None:
    stalls = [(s.framework, s.phase, s.runs) for s in november.stalls]
    assert stalls == [
        ("operations-success", "performance-success", 1),
        ("feature-development", "requirements", 1),
        ("release-management", "execution", 3),
    ]
    # Counted up to the end of November, never to today.
    assert november.stalls[0].average_days == pytest.approx(152.6)
    assert november.stalls[0].phase_title == "Performance success"
    assert q4.stalls[0].average_days > november.stalls[0].average_days
    assert november.most_waived == [
        ("release-management:coordination/testing-complete", 2),
        ("operations-success:success-validation/quality-assurance", 1),
        ("release-management:innovation/market-validated", 1),
    ]


def test_recommendations_name_people_and_existing_runs(
    november: ReportContext, q4: ReportContext
) -> None:
    found = [(r.topic, r.who, r.run, r.text) for r in november.recommendations]
    topics = [topic for topic, *_ in found]
    assert topics == sorted(topics, key=["Delivery", "Sign-off", "KPI"].index)
    late = [r for r in found if r[0] == "Delivery" and "past its due date" in r[3]]
    assert [(who, run) for _, who, run, _ in late] == [("Priya PM (started the run)", "rel-3-0")]
    assert "15 required item(s) open" in late[0][3]
    blocked = [(who, run) for topic, who, run, text in found if text.startswith("unblock")]
    assert blocked == [
        ("Priya PM (product-manager)", "checkout-redesign"),
        ("Omar Ops (operations)", "rel-3-0"),
    ]
    signed = [(who, run) for topic, who, run, _ in found if topic == "Sign-off"]
    assert signed == [("Dana Director", "rel-3-0")]
    kpis = [text for topic, _, _, text in found if topic == "KPI"]
    assert any(t.startswith("Delivery success is off track") for t in kpis)
    assert any(t.startswith("Quality assurance is at risk") for t in kpis)
    assert not any("Development efficiency" in t for t in kpis)  # on track
    # No run of the KPIs' framework exists: none is named, the command to start one is.
    runs = {line.id for line in november.runs_active} | {
        line.id for line in november.runs_completed
    }
    assert all(run in runs for _, _, run, _ in found if run)
    assert all("opsctl start operations-program" in t for t in kpis if "recovery plan" in t)
    # The monthly report leaves stalls and waiver patterns to the quarterly one.
    assert "Flow" not in topics and "Checklist" not in topics
    q4_topics = {r.topic for r in q4.recommendations}
    assert {"Flow", "Checklist"} <= q4_topics
    assert any(
        "'release-management:coordination/testing-complete' was waived in 2" in r.text
        for r in q4.recommendations
    )


def test_context_does_not_read_the_clock(
    workspace: Workspace, november: ReportContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    for now in ("2026-12-05T10:00:00Z", "2031-01-01T00:00:00Z"):
        monkeypatch.setenv("OPSCTL_NOW", now)
        assert fx.context_of(workspace, "monthly", fx.MONTH) == november


def test_empty_workspace(tmp_path: Path) -> None:
    context = build_context("monthly", month("2026-11"), "", [], fx.kpis(), MetricsDocument())
    assert context.runs_active == context.runs_started == context.runs_completed == []
    assert context.checklist == []
    assert context.checklist_run == ""
    assert context.stalls == []
    assert {line.status for line in context.kpis} == {"no data"}
    assert all(line.trend for line in context.kpis)
    assert {v for line in context.kpis for _, v in line.trend} == {None}
    assert {r.topic for r in context.recommendations} == {"KPI"}


def _extra_run(workspace: Workspace, run_id: str, due: dt.date) -> None:
    framework = fx.catalog().get("release-management").framework
    document = new_run(framework, run_id, "Edge", due, fx.PM, fx.at("2026-11-05"))
    RunStore(workspace).create(document, framework)


def test_a_run_due_on_the_last_day_is_consistently_overdue(tmp_path: Path) -> None:
    workspace = fx.build_workspace(tmp_path / "ws")
    _extra_run(workspace, "edge", dt.date(2026, 11, 30))
    context = fx.context_of(workspace, "monthly", fx.MONTH)
    line = {run.id: run for run in context.runs_active}["edge"]
    assert "edge" in {item.run for item in context.overdue}
    assert line.overdue


def test_a_run_due_after_the_period_is_not_overdue(tmp_path: Path) -> None:
    workspace = fx.build_workspace(tmp_path / "ws")
    _extra_run(workspace, "edge", dt.date(2026, 12, 1))
    context = fx.context_of(workspace, "monthly", fx.MONTH)
    assert not {run.id: run for run in context.runs_active}["edge"].overdue
    assert "edge" not in {item.run for item in context.overdue}


def test_later_changes_do_not_rewrite_a_past_period(tmp_path: Path) -> None:
    workspace = fx.build_workspace(tmp_path / "ws")
    before = fx.context_of(workspace, "monthly", fx.MONTH)
    framework = fx.catalog().get("release-management").framework
    with RunStore(workspace).update("rel-3-0") as run:
        set_item(
            run,
            framework,
            "execution/monitoring-live",
            ItemStatus.DONE,
            fx.OPS,
            fx.at("2026-12-02"),
            evidence="https://dash.example.com",
        )
    after = fx.context_of(workspace, "monthly", fx.MONTH)
    assert [i.key for i in after.blocked] == [i.key for i in before.blocked]
    assert dataclasses.asdict(after)["runs_active"] == dataclasses.asdict(before)["runs_active"]


def test_a_waiver_granted_in_the_month_counts_though_the_item_was_done_later(
    tmp_path: Path,
) -> None:
    workspace = fx.build_workspace(tmp_path / "ws")
    framework = fx.catalog().get("release-management").framework
    _extra_run(workspace, "edge", dt.date(2027, 3, 1))
    key = "planning/timeline-published"
    with RunStore(workspace).update("edge") as run:
        set_item(run, framework, key, ItemStatus.SKIPPED, fx.PM, fx.at("2026-11-10"), reason="why")
        done = fx.at("2026-11-20")
        set_item(run, framework, key, ItemStatus.DONE, fx.PM, done, evidence="https://x.example")
    context = fx.context_of(workspace, "monthly", fx.MONTH)
    granted = [(w.run, w.key, w.date, w.now) for w in context.waivers_granted if w.run == "edge"]
    assert granted == [("edge", key, "2026-11-10", "done")]
    assert context.summary["waivers_granted"] == 2  # with ops-success's of 2026-11-18


def test_since_the_last_review_and_the_review_cycle(tmp_path: Path) -> None:
    workspace = fx.build_workspace(tmp_path / "ws")
    with ReviewStore(workspace).update() as document:
        for cadence, period in [("monthly", "2026-10"), ("quarterly", "2026-Q3")]:
            record = ReportRecord(
                cadence=cadence, period=period, path="r.md", by=fx.PM, at=fx.at("2026-11-02")
            )
            record_report(document, record)
        own = ReportRecord(
            cadence="monthly", period="2026-11", path="r.md", by=fx.PM, at=fx.at("2026-12-01")
        )
        record_report(document, own)
        # Held after November's review fell due: not part of the cycle as that report sees it.
        late = ReportRecord(
            cadence="monthly", period="2026-09", path="r.md", by=fx.PM, at=fx.at("2026-12-02")
        )
        record_report(document, late)
    context = fx.context_of(workspace, "monthly", fx.MONTH)
    since = context.since
    assert since is not None
    assert (since.since, since.last_review) == (
        "2026-11-01",
        "the end of 2026-10, the last monthly review held",
    )
    assert [(h.run, h.date) for h in since.passed][:2] == [
        ("rel-2-9", "2026-11-02"),
        ("rel-3-0", "2026-11-03"),
    ]
    assert len(since.passed) == 6
    assert [(h.run, h.date) for h in since.slipped] == [
        ("rel-3-0", "2026-11-10"),  # the director's sign-off voided
        ("rel-3-0", "2026-11-20"),  # past its due date
        ("rel-3-0", "2026-11-24"),  # the execution gate refused
    ]
    assert [(w.run, w.date) for w in since.waived] == [("ops-success", "2026-11-18")]
    cycle = {line.cadence: line for line in context.cycle}
    # The report's own review (recorded) is not counted: it is the one falling due.
    monthly = cycle["monthly"]
    assert (monthly.last_period, monthly.last_held, monthly.next_period, monthly.next_due) == (
        "2026-10",
        "2026-11-02",
        "2026-11",
        "2026-12-01",
    )
    # KPI readings began in February: February to September were never reviewed.
    assert monthly.overdue == [f"2026-{m:02d}" for m in range(2, 10)]
    assert (cycle["quarterly"].last_period, cycle["quarterly"].overdue) == (
        "2026-Q3",
        ["2026-Q1", "2026-Q2"],
    )
