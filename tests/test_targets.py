"""Targets that mean something: four forms, bounds, deadlines, reachability, assumptions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from opsctl.definitions.catalog import load_catalog
from opsctl.definitions.metric import Metric, MetricCategory, TargetKind, metric_errors
from opsctl.review.kpi import (
    KpiStatus,
    deadline_text,
    definition_warning,
    goal_value,
    judge,
    unreachable,
)
from opsctl.store.metrics import MetricRecord, Reading

AT = dt.datetime(2026, 11, 5, 9, tzinfo=dt.timezone.utc)
PERCENT = {"min": 0, "max": 100}


def kpi(kind: str, value: float, direction: str = "higher", **extra: Any) -> Metric:
    return Metric.model_validate(
        {
            "id": "m",
            "title": "M",
            "unit": "%",
            "direction": direction,
            "target": {"kind": kind, "value": value},
            **extra,
        }
    )


def record(baseline: float, *readings: tuple[str, float]) -> MetricRecord:
    def reading(value: float, period: str) -> Reading:
        return Reading(value=value, period=period, by="qa@example.com", at=AT)

    return MetricRecord(
        baseline=reading(baseline, "2026-01"),
        readings={period: reading(value, period) for period, value in readings},
    )


# --- the goal each form asks for, worked by hand ----------------------------------------------


@pytest.mark.parametrize(
    ("metric", "baseline", "goal"),
    [
        (kpi("relative", 40), 80, 112),  # 80 x 1.4
        (kpi("relative", 40, "lower"), 20, 12),  # 20 x 0.6
        (kpi("points", 10), 80, 90),
        (kpi("points", 5, "lower"), 20, 15),
        (kpi("absolute", 95, bounds=PERCENT), 80, 95),
        (kpi("failure-reduction", 40, bounds=PERCENT), 80, 88),  # 20 failing -> 12 failing
        (kpi("failure-reduction", 40, bounds=PERCENT), 50, 70),  # 50 -> 30
        (kpi("failure-reduction", 50, bounds=PERCENT), 0, 50),  # 100 manual -> 50 manual
        (kpi("failure-reduction", 40, bounds=PERCENT), 100, 100),  # nothing left to fix
        (kpi("failure-reduction", 40, "lower", bounds=PERCENT), 20, 12),  # escapes 20 -> 12
    ],
)
def test_goal_of_each_form(metric: Metric, baseline: float, goal: float) -> None:
    assert goal_value(metric, baseline) == pytest.approx(goal)


def test_relative_goal_from_zero_is_undefined() -> None:
    assert goal_value(kpi("relative", 40), 0) is None


def test_the_older_field_is_a_relative_target() -> None:
    old = Metric(id="m", title="M", unit="%", direction="higher", target_improvement_pct=45)
    assert old.goal is not None
    assert (old.goal.kind, old.goal.value) == (TargetKind.RELATIVE, 45)
    assert old.target_label() == "+45%"
    assert goal_value(old, 20) == pytest.approx(29)


def test_an_older_definition_keeps_its_json_form_and_so_its_digest() -> None:
    old = Metric(id="m", title="M", unit="%", direction="higher", target_improvement_pct=45)
    assert old.model_dump(mode="json") == {
        "id": "m",
        "title": "M",
        "unit": "%",
        "direction": "higher",
        "target_improvement_pct": 45.0,
        "help": "",
        "satisfies": [],
    }
    assert Metric.model_validate(old.model_dump(mode="json")) == old


def test_a_new_definition_round_trips_through_its_json_form() -> None:
    new = kpi("failure-reduction", 40, bounds=PERCENT, deadline_quarters=2, assumption="read so")
    assert Metric.model_validate(new.model_dump(mode="json")) == new


@pytest.mark.parametrize(
    ("metric", "label"),
    [
        (kpi("relative", 45), "+45%"),
        (kpi("relative", 30, "lower"), "-30%"),
        (kpi("points", 10), "+10 points"),
        (kpi("points", 1, "lower"), "-1 point"),
        (kpi("absolute", 1_100_000), "1,100,000"),
        (kpi("failure-reduction", 40, bounds=PERCENT), "40% fewer failures"),
    ],
)
def test_target_labels(metric: Metric, label: str) -> None:
    assert metric.target_label() == label


# --- reachability ---------------------------------------------------------------------------


def test_the_issue_case_a_relative_target_on_a_percentage_warns() -> None:
    relative = kpi("relative", 40, bounds=PERCENT)
    warning = unreachable(relative, 80)
    assert "asks for 112, above the maximum 100" in warning
    assert "cannot be met" in warning
    assert unreachable(relative, 70) == ""
    assert "above 71.43" in definition_warning(relative)


def test_the_issue_case_as_failure_reduction_is_met() -> None:
    qa = kpi("failure-reduction", 40, bounds=PERCENT)
    view = judge(qa, "fw", record(80, ("2026-07", 100)))
    assert view.status is KpiStatus.ON_TRACK
    assert view.progress_pct is not None
    assert view.progress_pct >= 100
    assert view.warning == ""


@pytest.mark.parametrize("baseline", [0, 0.5, 50, 71.4, 80, 99.9, 100])
@pytest.mark.parametrize("direction", ["higher", "lower"])
def test_failure_reduction_is_reachable_from_any_baseline(baseline: float, direction: str) -> None:
    metric = kpi("failure-reduction", 40, direction, bounds=PERCENT)
    assert unreachable(metric, baseline) == ""
    assert definition_warning(metric) == ""


def test_points_and_lower_relative_limits() -> None:
    assert "above 90" in definition_warning(kpi("points", 10, bounds=PERCENT))
    assert "from the baseline 95" in unreachable(kpi("points", 10, bounds=PERCENT), 95)
    floor = kpi("relative", 50, "lower", bounds={"min": 10})
    assert "below 20" in definition_warning(floor)
    assert "below the minimum 10" in unreachable(floor, 15)
    assert definition_warning(kpi("relative", 50, bounds={"min": 0})) == ""  # no maximum


def test_the_seed_kpis_have_reachable_targets_and_write_down_their_reading() -> None:
    metrics = load_catalog().metrics()
    seed = ["development-efficiency", "quality-assurance", "delivery-success"]
    seed.append("operational-efficiency")
    for metric_id in seed:
        metric, framework = metrics[metric_id]
        assert framework == "operations-program"
        assert metric.category is MetricCategory.KPI
        assert definition_warning(metric) == "", metric_id
        for baseline in (0.5, 20, 50, 71.5, 74.5, 80, 99):
            assert unreachable(metric, baseline) == "", (metric_id, baseline)
        assert "seed" in metric.assumption
    for metric_id in seed[1:]:
        metric = metrics[metric_id][0]
        assert metric.goal is not None
        assert metric.goal.kind is TargetKind.FAILURE_REDUCTION
        assert (metric.bounds.min, metric.bounds.max) == (0, 100)


def test_the_invented_kpi_is_labelled_an_assumption() -> None:
    escape = load_catalog().metrics()["defect-escape-rate"][0]
    assert escape.assumption.startswith("Not in the seed")


def test_the_programme_value_is_declared_as_the_seed_says() -> None:
    value, framework = load_catalog().metrics()["annual-operations-value"]
    assert framework == "operations-program"
    assert value.category is MetricCategory.VALUE
    assert value.goal is not None
    assert (value.goal.kind, value.goal.value) == (TargetKind.ABSOLUTE, 1_100_000)
    assert value.unit.startswith("USD")
    assert "never converts" in value.assumption


# --- deadlines ------------------------------------------------------------------------------


def test_the_deadline_is_a_field_and_the_default_is_said_to_be_assumed() -> None:
    default = kpi("failure-reduction", 40, bounds=PERCENT)
    assert deadline_text(default) == "due 4 quarters after the baseline (assumed)"
    two = kpi("failure-reduction", 40, bounds=PERCENT, deadline_quarters=2)
    assert deadline_text(two) == "due 2 quarters after the baseline"
    # Baseline 80 in 2026-01, goal 88: by 2026-04 (3 of 6 months) half is expected.
    view = judge(two, "fw", record(80, ("2026-04", 84)))
    assert (view.due, view.expected_pct, view.progress_pct) == ("2026-07", 50, 50)
    assert view.status is KpiStatus.ON_TRACK
    later = judge(two, "fw", record(80, ("2026-07", 84)))
    assert later.expected_pct == 100
    assert later.status is KpiStatus.AT_RISK


def test_a_zero_baseline_is_fine_for_failure_reduction() -> None:
    ops = kpi("failure-reduction", 50, bounds=PERCENT)
    view = judge(ops, "fw", record(0, ("2026-07", 15)))
    assert view.goal == 50
    assert view.progress_pct == pytest.approx(30)
    assert view.improvement_pct is None
    assert view.status is KpiStatus.AT_RISK  # 30% done, 50% expected, at least half of it
    assert view.message.startswith("from 0 to 15, 30% of the way to 50")


def test_a_measure_has_no_target_and_is_not_judged() -> None:
    measure = Metric.model_validate(
        {"id": "m", "title": "M", "unit": "h", "direction": "lower", "category": "measure"}
    )
    view = judge(measure, "fw", record(10, ("2026-02", 8)))
    assert view.status is KpiStatus.NO_DATA
    assert "no target" in view.message
    assert (view.goal, view.due, view.warning) == (None, "", "")


# --- definition errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "loc", "message"),
    [
        (
            {"target": {"kind": "relative", "value": 5}, "target_improvement_pct": 5},
            ("target_improvement_pct",),
            "not both",
        ),
        ({"target": {"kind": "relative", "value": 0}}, ("target", "value"), "more than 0"),
        (
            {"direction": "lower", "target": {"kind": "relative", "value": 100}},
            ("target", "value"),
            "cannot improve by 100% or more",
        ),
        ({"target": {"kind": "points", "value": -1}}, ("target", "value"), "more than 0"),
        (
            {"target": {"kind": "absolute", "value": 120}, "bounds": PERCENT},
            ("target", "value"),
            "outside the metric's bounds",
        ),
        (
            {"target": {"kind": "failure-reduction", "value": 40}},
            ("bounds",),
            "needs bounds.max",
        ),
        (
            {"direction": "lower", "target": {"kind": "failure-reduction", "value": 40}},
            ("bounds",),
            "needs bounds.min",
        ),
        (
            {"target": {"kind": "failure-reduction", "value": 140}, "bounds": PERCENT},
            ("target", "value"),
            "at most 100",
        ),
        ({"target": None}, (), "a kpi needs a target"),
        ({"category": "value"}, (), "a value needs a target"),
        (
            {"target": {"kind": "points", "value": 1}, "bounds": {"min": 5, "max": 5}},
            ("bounds",),
            "must be below",
        ),
    ],
)
def test_definition_errors_name_their_field(
    fields: dict[str, Any], loc: tuple[str, ...], message: str
) -> None:
    data = {"id": "m", "title": "M", "unit": "%", "direction": "higher", **fields}
    problems = metric_errors([Metric.model_validate(data)])
    assert [(found_loc, found) for found_loc, found in problems if message in found] == [
        (("metrics", 0, *loc), next(found for _, found in problems if message in found))
    ], problems


def test_a_measure_needs_no_target() -> None:
    measure = {"id": "m", "title": "M", "unit": "h", "direction": "lower", "category": "measure"}
    assert metric_errors([Metric.model_validate(measure)]) == []
