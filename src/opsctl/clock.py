"""The time opsctl records, overridable so demos and tests are reproducible."""

from __future__ import annotations

import datetime as dt
import os
import re

from opsctl.errors import InvalidField, UsageError

ENV_NOW = "OPSCTL_NOW"


def now() -> dt.datetime:
    """The current UTC time, or ``OPSCTL_NOW`` (ISO 8601) when set."""
    fixed = os.environ.get(ENV_NOW)
    if not fixed:
        return dt.datetime.now(dt.timezone.utc)
    try:
        moment = dt.datetime.fromisoformat(fixed.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.timezone.utc)
        moment = moment.astimezone(dt.timezone.utc)
    except (ValueError, OverflowError):
        raise UsageError(f"{ENV_NOW}: not an ISO 8601 time opsctl can use: {fixed!r}") from None
    if not 1900 <= moment.year <= 2999:
        raise UsageError(f"{ENV_NOW}: year out of range (1900-2999): {fixed!r}")
    return moment


def iso(moment: dt.datetime) -> str:
    """A UTC time as ISO 8601 with ``Z``, the form every JSON document uses."""
    return moment.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def today() -> dt.date:
    """The current UTC date (follows ``OPSCTL_NOW``)."""
    return now().date()


def parse_date(text: str, what: str = "date") -> dt.date:
    """A YYYY-MM-DD date from user input, or a UsageError saying what was expected."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidField(what, f"expected YYYY-MM-DD, got {text!r}") from None


RELATIVE_DATE = re.compile(r"\+(\d{1,4})([dw])")
"""A date relative to today: ``+3d`` (three days), ``+2w`` (two weeks)."""


def parse_due(
    text: str, what: str = "due", today: dt.date | None = None, *, past_ok: bool = False
) -> dt.date:
    """A due date from user input, ``YYYY-MM-DD`` or ``+3d`` / ``+2w``, not in the past.

    A relative date is resolved against :func:`today` (``OPSCTL_NOW`` when
    set), so the stored date is absolute and means the same to everyone.
    ``past_ok`` accepts past dates, for selecting rather than setting.
    """
    base = today or now().date()
    relative = RELATIVE_DATE.fullmatch(text.strip())
    if relative is not None:
        days = int(relative.group(1)) * (7 if relative.group(2) == "w" else 1)
        return base + dt.timedelta(days=days)
    try:
        date = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidField(
            what, f"expected YYYY-MM-DD or a relative date like +3d or +2w, got {text!r}"
        ) from None
    if date < base and not past_ok:
        raise InvalidField(what, f"{date.isoformat()} is in the past (today is {base.isoformat()})")
    return date


def parse_period(text: str, what: str = "since") -> dt.timedelta:
    """A length of time from user input: ``7d`` (days) or ``2w`` (weeks), at least a day."""
    found = re.fullmatch(r"\+?(\d{1,4})([dw])", text.strip())
    if found is None or int(found.group(1)) == 0:
        raise InvalidField(what, f"expected a number of days or weeks like 7d or 2w, got {text!r}")
    return dt.timedelta(days=int(found.group(1)) * (7 if found.group(2) == "w" else 1))
