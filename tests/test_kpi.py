"""KPIs as a library: improvement, the status rule, readings and review periods."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from opsctl.definitions.metric import DEFAULT_DEADLINE_QUARTERS
from opsctl.definitions.model import Direction, Metric
from opsctl.errors import UsageError
from opsctl.review.kpi import KpiStatus, improvement, judge
from opsctl.review.periods import (
    containing,
    last_complete,
    month,
    months_between,
    period_of,
    quarter,
    trailing_months,
)
from opsctl.review.readings import parse_period, record_reading
from opsctl.store.metrics import MetricRecord, MetricsDocument, Reading

AT = dt.datetime(2026, 11, 5, 9, tzinfo=dt.timezone.utc)
OPS = "ops@example.com"


def metric(direction: Direction = Direction.HIGHER, target: float = 40) -> Metric:
    return Metric(
        id="throughput",
        title="Throughput",
        unit="items per week",
        direction=direction,
        target_improvement_pct=target,
    )


def reading(value: float, period: str) -> Reading:
    return Reading(value=value, period=period, by=OPS, at=AT)


def record(
    baseline: float | None, *readings: tuple[str, float], base: str = "2026-01"
) -> MetricRecord:
    return MetricRecord(
        baseline=reading(baseline, base) if baseline is not None else None,
        readings={period: reading(value, period) for period, value in readings},
    )


# --- improvement -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "baseline", "value", "expected"),
    [
        (Direction.HIGHER, 20, 29, 45.0),
        (Direction.HIGHER, 20, 15, -25.0),
        (Direction.LOWER, 20, 12, 40.0),  # a fall is an improvement when lower is better
        (Direction.LOWER, 20, 25, -25.0),
        (Direction.HIGHER, 50, 50, 0.0),
        (Direction.HIGHER, -10, -5, 50.0),  # measured against the baseline's magnitude
        (Direction.LOWER, -10, -5, -50.0),
    ],
)
def test_improvement_is_direction_aware(
    direction: Direction, baseline: float, value: float, expected: float
) -> None:
    assert improvement(direction, baseline, value) == pytest.approx(expected)


@pytest.mark.parametrize("direction", list(Direction))
@pytest.mark.parametrize("value", [0.0, 5.0, -5.0])
def test_improvement_from_zero_baseline_is_none(direction: Direction, value: float) -> None:
    assert improvement(direction, 0.0, value) is None
    assert improvement(direction, -0.0, value) is None


def test_improvement_never_returns_nan_or_inf() -> None:
    for baseline in (1e-320, 1e-300, 1.0, 1e300):
        for value in (-1e308, 0.0, 1e308):
            result = improvement(Direction.HIGHER, baseline, value)
            assert result is None or math.isfinite(result)


# --- judge: the documented status rule -----------------------------------------------------


def test_no_record_is_no_data_with_a_next_step() -> None:
    view = judge(metric(), "fw", None)
    assert view.status is KpiStatus.NO_DATA
    assert "opsctl metric baseline throughput" in view.message
    assert view.improvement_pct is None
    assert view.progress_pct is None


def test_no_baseline_is_no_data() -> None:
    view = judge(metric(), "fw", record(None, ("2026-05", 30)))
    assert view.status is KpiStatus.NO_DATA
    assert "no baseline" in view.message
    assert view.latest is not None
    assert view.latest.value == 30


def test_no_reading_is_no_data() -> None:
    view = judge(metric(), "fw", record(20))
    assert view.status is KpiStatus.NO_DATA
    assert "no reading yet" in view.message
    assert "opsctl metric record throughput" in view.message


def test_zero_baseline_is_no_data_never_nan() -> None:
    view = judge(metric(), "fw", record(0, ("2026-05", 30)))
    assert view.status is KpiStatus.NO_DATA
    assert "baseline is 0" in view.message
    assert view.improvement_pct is None
    assert view.progress_pct is None
    assert "nan" not in view.message.lower()


# Target +40% over twelve months from 2026-01: by 2026-07 (six months) half of it is expected.
# Baseline 100: 120 is +20% = 50% progress (= expected), 110 is 25% (= half), 109 is 22.5%.
@pytest.mark.parametrize(
    ("value", "period", "status"),
    [
        (120, "2026-07", KpiStatus.ON_TRACK),  # exactly the expected progress
        (130, "2026-07", KpiStatus.ON_TRACK),
        (119.9, "2026-07", KpiStatus.AT_RISK),
        (110, "2026-07", KpiStatus.AT_RISK),  # exactly half the expected progress
        (109, "2026-07", KpiStatus.OFF_TRACK),
        (95, "2026-07", KpiStatus.OFF_TRACK),  # went the wrong way
        (140, "2026-03", KpiStatus.ON_TRACK),  # target met early
        (140, "2027-07", KpiStatus.ON_TRACK),  # target met late still counts
        (139, "2027-07", KpiStatus.AT_RISK),  # past the horizon, expected caps at 100%
        (119, "2027-07", KpiStatus.OFF_TRACK),
        (100, "2026-01", KpiStatus.ON_TRACK),  # nothing expected yet, nothing lost
        (99, "2026-01", KpiStatus.OFF_TRACK),
    ],
)
def test_status_rule(value: float, period: str, status: KpiStatus) -> None:
    view = judge(metric(), "fw", record(100, (period, value)))
    assert view.status is status, view.message


def test_status_rule_for_lower_is_better() -> None:
    lower = metric(Direction.LOWER, target=40)
    # Baseline 20 in 2026-01; by 2026-07 half the -40% is expected: 16 is on track.
    assert judge(lower, "fw", record(20, ("2026-07", 16))).status is KpiStatus.ON_TRACK
    assert judge(lower, "fw", record(20, ("2026-07", 18))).status is KpiStatus.AT_RISK
    assert judge(lower, "fw", record(20, ("2026-07", 19))).status is KpiStatus.OFF_TRACK
    assert judge(lower, "fw", record(20, ("2026-07", 24))).status is KpiStatus.OFF_TRACK


def test_judge_reports_numbers_and_uses_the_latest_period() -> None:
    view = judge(metric(), "fw", record(100, ("2026-04", 105), ("2026-07", 120), ("2026-02", 90)))
    assert view.latest is not None
    assert view.latest.period == "2026-07"
    assert view.improvement_pct == pytest.approx(20)
    assert view.progress_pct == pytest.approx(50)
    assert view.expected_pct == pytest.approx(50)
    assert view.framework == "fw"
    assert view.goal == pytest.approx(140)
    assert view.due == "2027-01"
    assert view.message == (
        "+20.0% vs baseline (better), 50% of the way to 140 (+40% target, due 2027-01; "
        "50% expected by 2026-07)"
    )


def test_expected_progress_is_months_over_the_default_deadline() -> None:
    assert DEFAULT_DEADLINE_QUARTERS == 4
    assert metric().deadline_months == 12
    view = judge(metric(), "fw", record(100, ("2026-04", 100)))
    assert view.expected_pct == pytest.approx(25)
    capped = judge(metric(), "fw", record(100, ("2029-01", 100)))
    assert capped.expected_pct == pytest.approx(100)
    before = judge(metric(), "fw", record(100, ("2025-10", 100)))  # reading before the baseline
    assert before.expected_pct == 0


@pytest.mark.parametrize("direction", list(Direction))
@pytest.mark.parametrize("baseline", [0.0, -0.0, 1e-300, -3.0, 1.0, 1e300])
@pytest.mark.parametrize("value", [0.0, -2.0, 0.5, 1e300, -1e300])
def test_message_never_contains_nan(direction: Direction, baseline: float, value: float) -> None:
    view = judge(metric(direction), "fw", record(baseline, ("2026-06", value)))
    assert "nan" not in view.message.lower()
    for number in (view.improvement_pct, view.progress_pct, view.expected_pct):
        assert number is None or not math.isnan(number)


# --- readings ------------------------------------------------------------------------------


def test_record_reading_stores_and_reports_no_previous() -> None:
    document = MetricsDocument()
    assert record_reading(document, "m", 31.5, "2026-11", OPS, AT, "sprint report") is None
    stored = document.metrics["m"].readings["2026-11"]
    assert (stored.value, stored.period, stored.by, stored.at, stored.note) == (
        31.5,
        "2026-11",
        OPS,
        AT,
        "sprint report",
    )
    assert [(e.action, e.metric, e.period, e.value, e.previous) for e in document.history] == [
        ("record", "m", "2026-11", 31.5, None)
    ]


def test_a_later_reading_for_the_same_period_replaces_and_keeps_history() -> None:
    document = MetricsDocument()
    record_reading(document, "m", 31.5, "2026-11", OPS, AT)
    later = AT + dt.timedelta(days=1)
    previous = record_reading(document, "m", 33.0, "2026-11", "pm@example.com", later, "fixed")
    assert previous is not None
    assert previous.value == 31.5
    assert list(document.metrics["m"].readings) == ["2026-11"]
    assert document.metrics["m"].readings["2026-11"].value == 33.0
    assert document.metrics["m"].readings["2026-11"].by == "pm@example.com"
    assert [(e.value, e.previous, e.note) for e in document.history] == [
        (31.5, None, None),
        (33.0, 31.5, "fixed"),
    ]


def test_baseline_is_separate_and_replaced_the_same_way() -> None:
    document = MetricsDocument()
    record_reading(document, "m", 20.0, "2026-01", OPS, AT, baseline=True)
    record_reading(document, "m", 25.0, "2026-02", OPS, AT)
    previous = record_reading(document, "m", 21.0, "2026-01", OPS, AT, baseline=True)
    assert previous is not None
    assert previous.value == 20.0
    saved = document.metrics["m"]
    assert saved.baseline is not None
    assert saved.baseline.value == 21.0
    assert list(saved.readings) == ["2026-02"]  # the baseline is not a reading
    assert [(e.action, e.previous) for e in document.history] == [
        ("baseline", None),
        ("record", None),
        ("baseline", 20.0),
    ]


def test_latest_and_ordered_follow_the_period_not_the_recording_order() -> None:
    document = MetricsDocument()
    for period, value in [("2026-03", 3.0), ("2025-12", 0.0), ("2026-01", 1.0)]:
        record_reading(document, "m", value, period, OPS, AT)
    saved = document.metrics["m"]
    assert [r.period for r in saved.ordered()] == ["2025-12", "2026-01", "2026-03"]
    latest = saved.latest()
    assert latest is not None
    assert latest.period == "2026-03"
    assert MetricRecord().latest() is None


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, float("nan")])
@pytest.mark.parametrize("baseline", [False, True])
def test_record_reading_rejects_non_finite_values(value: float, baseline: bool) -> None:
    document = MetricsDocument()
    record_reading(document, "m", 1.0, "2026-01", OPS, AT)
    before = document.model_dump(mode="json")
    with pytest.raises(UsageError, match="finite"):
        record_reading(document, "m", value, "2026-02", OPS, AT, baseline=baseline)
    assert document.model_dump(mode="json") == before


def test_record_reading_rejects_a_bad_period() -> None:
    document = MetricsDocument()
    with pytest.raises(UsageError, match="YYYY-MM"):
        record_reading(document, "m", 1.0, "2026-13", OPS, AT)
    assert document.history == []


def test_a_rejected_period_leaves_the_document_untouched() -> None:
    document = MetricsDocument()
    with pytest.raises(UsageError):
        record_reading(document, "m", 1.0, "2026-13", OPS, AT)
    assert document.metrics == {}


@pytest.mark.parametrize("text", ["2026-11", "1999-01", "2026-12"])
def test_parse_period_accepts_months(text: str) -> None:
    assert parse_period(text) == text


@pytest.mark.parametrize(
    "text",
    ["2026-13", "2026-00", "2026-1", "26-01", "2026/01", "2026-01-01", "", " 2026-01", "Nov"],
)
def test_parse_period_errors_say_what_was_expected(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_period(text)
    assert "YYYY-MM" in str(caught.value)
    assert repr(text) in str(caught.value)


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        ("2026-01", "2026-01", 0),
        ("2026-01", "2026-11", 10),
        ("2025-12", "2026-01", 1),
        ("2025-11", "2027-02", 15),
        ("2026-11", "2026-01", -10),
    ],
)
def test_months_between(start: str, end: str, months: int) -> None:
    assert months_between(start, end) == months


def test_period_of() -> None:
    assert period_of(dt.date(2026, 1, 31)) == "2026-01"
    assert period_of(dt.date(987, 12, 1)) == "0987-12"


# --- review periods ------------------------------------------------------------------------


def test_month_period() -> None:
    november = month("2026-11")
    assert (november.start, november.end) == (dt.date(2026, 11, 1), dt.date(2026, 12, 1))
    assert (november.label, november.cadence) == ("2026-11", "monthly")
    assert november.months() == ["2026-11"]
    assert november.contains(dt.date(2026, 11, 30))
    assert november.contains(dt.datetime(2026, 11, 1, 0, 0, tzinfo=dt.timezone.utc))
    assert not november.contains(dt.date(2026, 12, 1))
    assert not november.contains(dt.date(2026, 10, 31))


def test_quarter_period() -> None:
    q4 = quarter("2026-Q4")
    assert (q4.start, q4.end) == (dt.date(2026, 10, 1), dt.date(2027, 1, 1))
    assert (q4.label, q4.cadence) == ("2026-Q4", "quarterly")
    assert q4.months() == ["2026-10", "2026-11", "2026-12"]
    assert quarter("2026-q1").label == "2026-Q1"  # case-insensitive, shown upper-case
    assert quarter("2026-Q1").months() == ["2026-01", "2026-02", "2026-03"]


@pytest.mark.parametrize(
    "label", ["2026-13", "2026-00", "2026-1", "2026-Q4", "26-11", "", "2026-11-01"]
)
def test_month_errors_name_the_field(label: str) -> None:
    with pytest.raises(UsageError, match=r"^month: expected YYYY-MM"):
        month(label)


@pytest.mark.parametrize(
    "label", ["2026-Q5", "2026-Q0", "2026Q1", "2026-11", "Q4-2026", "", "2026-Q"]
)
def test_quarter_errors_name_the_field(label: str) -> None:
    with pytest.raises(UsageError, match=r"^quarter: expected YYYY-Qn"):
        quarter(label)


def test_previous_and_next_cross_year_boundaries() -> None:
    assert month("2026-01").previous().label == "2025-12"
    assert month("2025-12").next().label == "2026-01"
    assert month("2026-06").previous().next() == month("2026-06")
    assert quarter("2026-Q1").previous().label == "2025-Q4"
    assert quarter("2025-Q4").next().label == "2026-Q1"
    assert quarter("2026-Q3").next().previous() == quarter("2026-Q3")
    assert quarter("2026-Q1").previous().months() == ["2025-10", "2025-11", "2025-12"]


def test_periods_are_ordered() -> None:
    assert month("2025-12") < month("2026-01") < month("2026-02")
    assert quarter("2025-Q4") < quarter("2026-Q1")


def test_containing_and_last_complete() -> None:
    assert containing("monthly", dt.date(2026, 11, 30)).label == "2026-11"
    assert containing("quarterly", dt.date(2026, 11, 30)).label == "2026-Q4"
    assert last_complete("monthly", dt.date(2026, 1, 1)).label == "2025-12"
    assert last_complete("monthly", dt.date(2026, 1, 31)).label == "2025-12"
    assert last_complete("quarterly", dt.date(2026, 1, 1)).label == "2025-Q4"
    assert last_complete("quarterly", dt.date(2026, 12, 31)).label == "2026-Q3"


def test_trailing_months() -> None:
    assert trailing_months(month("2026-02"), 4) == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert trailing_months(month("2026-11"), 1) == ["2026-11"]
    # Documented: they end with the *first* month of the period.
    assert trailing_months(quarter("2026-Q1"), 3) == ["2025-11", "2025-12", "2026-01"]
    assert len(trailing_months(month("2026-11"), 25)) == 25
    assert trailing_months(month("2026-11"), 25)[0] == "2024-11"
