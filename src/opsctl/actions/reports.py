"""Use cases of the review cycle: render a report, write it, record the review as held."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from opsctl.errors import InvalidField
from opsctl.store.files import atomic_write
from opsctl.store.reviews import ReportRecord, ReviewStore, record_report
from opsctl.store.workspace import Workspace


def save_report(
    workspace: Workspace,
    cadence: str,
    period: str,
    text: str,
    output: Path,
    actor: str,
    at: dt.datetime,
) -> None:
    """Write a report atomically and record its review as held."""
    workspace.guard_output(output)
    if output.is_dir():
        raise InvalidField("output", f"{output}: is a directory")
    try:
        atomic_write(output, text)
    except OSError as exc:
        raise InvalidField("output", f"{output}: {exc.strerror or exc}") from None
    try:
        shown = output.resolve().relative_to(workspace.root).as_posix()
    except ValueError:
        shown = str(output.resolve())
    record = ReportRecord(cadence=cadence, period=period, path=shown, by=actor, at=at)
    with ReviewStore(workspace).update() as document:
        record_report(document, record)
