"""Review periods: a month (``2026-11``) or a quarter (``2026-Q4``)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from opsctl.errors import InvalidField

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month or quarter, from ``start`` (inclusive) to ``end`` (exclusive)."""

    start: dt.date
    end: dt.date
    label: str
    cadence: str

    def contains(self, moment: dt.datetime | dt.date) -> bool:
        """Whether a date or UTC time falls in the period."""
        day = moment.date() if isinstance(moment, dt.datetime) else moment
        return self.start <= day < self.end

    def months(self) -> list[str]:
        """The ``YYYY-MM`` labels of the months in the period."""
        labels, day = [], self.start
        while day < self.end:
            labels.append(f"{day.year:04d}-{day.month:02d}")
            day = _add_months(day, 1)
        return labels

    def previous(self) -> Period:
        """The period of the same cadence just before this one."""
        return _at(self.cadence, _add_months(self.start, -(1 if self.cadence == "monthly" else 3)))

    def next(self) -> Period:
        """The period of the same cadence just after this one."""
        return _at(self.cadence, self.end)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _year(text: str, field: str, label: str) -> int:
    year = int(text)
    if not 1900 <= year <= 2999:
        raise InvalidField(field, f"year out of range (1900-2999) in {label!r}")
    return year


def month(label: str, field: str = "month") -> Period:
    """The month ``YYYY-MM``; errors name ``field``."""
    match = _MONTH.fullmatch(label)
    if not match:
        raise InvalidField(field, f"expected YYYY-MM, got {label!r}")
    start = dt.date(_year(match[1], field, label), int(match[2]), 1)
    return Period(start, _add_months(start, 1), label, "monthly")


def quarter(label: str) -> Period:
    """The quarter ``YYYY-Qn``."""
    match = _QUARTER.fullmatch(label.upper())
    if not match:
        raise InvalidField("quarter", f"expected YYYY-Qn such as 2026-Q4, got {label!r}")
    start = dt.date(_year(match[1], "quarter", label), (int(match[2]) - 1) * 3 + 1, 1)
    return Period(start, _add_months(start, 3), label.upper(), "quarterly")


def labelled(cadence: str, label: str) -> Period:
    """The period a label names: a month (``YYYY-MM``) if monthly, else a quarter (``YYYY-Qn``)."""
    return month(label) if cadence == "monthly" else quarter(label)


def _at(cadence: str, day: dt.date) -> Period:
    """The period containing a day; computed, so it may lie outside the years people type."""
    if cadence == "monthly":
        start = dt.date(day.year, day.month, 1)
        return Period(start, _add_months(start, 1), f"{day.year:04d}-{day.month:02d}", "monthly")
    start = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    label = f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    return Period(start, _add_months(start, 3), label, "quarterly")


def containing(cadence: str, day: dt.date) -> Period:
    """The month or quarter a date falls in."""
    return _at(cadence, day)


def last_complete(cadence: str, today: dt.date) -> Period:
    """The most recent month or quarter that has ended."""
    return containing(cadence, today).previous()


def trailing_months(period: Period, count: int) -> list[str]:
    """The ``count`` month labels ending with the first month of ``period``, oldest first."""
    labels: list[str] = []
    current = _at("monthly", period.start)
    for _ in range(count):
        labels.insert(0, current.label)
        current = current.previous()
    return labels


def period_of(day: dt.date) -> str:
    """The month a date falls in."""
    return f"{day.year:04d}-{day.month:02d}"


def months_between(start: str, end: str) -> int:
    """Whole months from one period to another (negative if ``end`` is earlier)."""
    start_year, start_month = (int(part) for part in start.split("-"))
    end_year, end_month = (int(part) for part in end.split("-"))
    return (end_year - start_year) * 12 + (end_month - start_month)
