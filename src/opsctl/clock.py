"""The time opsctl records, overridable so demos and tests are reproducible."""

from __future__ import annotations

import datetime as dt
import os

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
