"""How a report writes its numbers: rounded half-up, one decimal where a whole number misleads.

Python's ``round`` and ``format`` round half to even on the binary value
(``f"{12.25:.1f}"`` is ``12.2``); a director checking a figure by hand rounds
half up. Every number a report prints goes through :func:`rounded`, on the
shortest decimal form of the value, so ``2/16`` is ``12.5%`` and ``12.25``
shows as ``12.3``.

Change columns follow one convention (:data:`CHANGE_LEGEND`): the sign says
which way the reading moved, ``+`` up and ``-`` down, and a word says whether
that is better or worse for the KPI, so a lower-is-better KPI that fell reads
``-21.7% (better)``.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Context, Decimal

_WIDE = Context(prec=400)
"""Enough digits to quantize any finite float (up to about 1.8e308) to a few decimals."""

CHANGE_LEGEND = (
    "Change columns: the sign says which way the reading moved (+ went up, - went down), "
    "in percent of the earlier reading; (better) or (worse) says whether that is good for "
    "the KPI, whose better direction is named beside it."
)


def rounded(value: float, digits: int = 1) -> Decimal:
    """``value`` rounded half-up to ``digits`` decimals, from its shortest decimal form."""
    exponent = Decimal(1).scaleb(-digits)
    return Decimal(repr(float(value))).quantize(exponent, ROUND_HALF_UP, context=_WIDE)


def number(value: float | None, digits: int = 1, sign: bool = False) -> str:
    """A number for a report: half-up, trailing zeros dropped; ``n/a`` when missing or not finite.

    With ``sign`` the number carries ``+`` or ``-`` (``0`` has none).
    """
    if value is None or not math.isfinite(value):
        return "n/a"
    text = f"{rounded(value, digits):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", "0"):
        return "0"
    return f"+{text}" if sign and not text.startswith("-") else text


def percent(part: int, whole: int) -> float:
    """``part`` of ``whole`` in percent, half-up to one decimal (100 for an empty whole)."""
    if whole == 0:
        return 100.0
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def raw_change(baseline: float, value: float) -> float | None:
    """The change from ``baseline`` to ``value`` in percent of the baseline (+ went up)."""
    if baseline == 0:
        return None
    change = (value - baseline) / abs(baseline) * 100
    return change if math.isfinite(change) else None


def verdict(change: float | None, direction: str) -> str:
    """``better``, ``worse`` or ``no change``, for a KPI whose better ``direction`` is given."""
    if change is None or rounded(change) == 0:
        return "no change"
    went_up = change > 0
    return "better" if went_up == (direction == "higher") else "worse"


def signed(change: float) -> str:
    """A change in percent with its sign and always one decimal: ``+45.0``, ``-21.7``, ``0.0``."""
    value = rounded(change)
    if value == 0:
        return "0.0"
    return f"{value:+f}"


def change_text(change: float | None, direction: str) -> str:
    """A change cell: ``-21.7% (better)``, ``0.0% (no change)`` or ``n/a``."""
    if change is None or not math.isfinite(change):
        return "n/a"
    return f"{signed(change)}% ({verdict(change, direction)})"
