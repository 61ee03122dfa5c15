"""How reports write numbers: half-up rounding and one sign convention for changes."""

from __future__ import annotations

import pytest

from opsctl.review.figures import change_text, number, percent, raw_change, signed, verdict


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [(2, 16, 12.5), (1, 8, 12.5), (2, 25, 8.0), (16, 31, 51.6), (1, 3, 33.3), (0, 0, 100.0)],
)
def test_percent_is_half_up_to_one_decimal(part: int, whole: int, expected: float) -> None:
    assert percent(part, whole) == expected


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (12.25, 1, "12.3"),  # Python's format says 12.2 (half to even on the binary value)
        (0.05, 1, "0.1"),
        (2.675, 2, "2.68"),
        (12.5, 0, "13"),
        (8.0, 1, "8"),
        (-0.04, 1, "0"),
        (1e300, 1, "1" + "0" * 300),
        (None, 1, "n/a"),
        (float("nan"), 1, "n/a"),
    ],
)
def test_number_rounds_half_up(value: float | None, digits: int, expected: str) -> None:
    assert number(value, digits) == expected


def test_changes_carry_the_direction_they_moved_and_a_verdict() -> None:
    fell = raw_change(18, 14.1)
    assert fell is not None
    assert signed(fell) == "-21.7"
    assert change_text(fell, "lower") == "-21.7% (better)"
    assert change_text(fell, "higher") == "-21.7% (worse)"
    rose = raw_change(58, 61.4)
    assert change_text(rose, "higher") == "+5.9% (better)"
    assert change_text(rose, "lower") == "+5.9% (worse)"
    assert change_text(0.01, "higher") == "0.0% (no change)"
    assert verdict(None, "higher") == "no change"
    assert raw_change(0, 5) is None
    assert change_text(None, "lower") == "n/a"
