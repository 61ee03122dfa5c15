"""Each run's part of a report (review/parts.py) says what reading the whole run said.

The end-to-end equality of reports, cached and not, is in test_index.py and
test_report_figures.py; these pin the cases a fixture run does not reach:
histories merged out of order, a ``created`` that disagrees with the
history, moments recorded in other time zones, titles of runs no longer
active.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from opsctl.review.context import ReportInputs, context_of_parts
from opsctl.review.parts import Happening, RunLine, RunPart, report_window, run_part, state_at
from opsctl.review.since import since_last_review
from opsctl.store.documents import RunDocument
from opsctl.store.metrics import MetricsDocument
from opsctl.store.runs import RunStore
from report_fixture import at, build_workspace, period_of


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> RunStore:
    """The report fixture's workspace (runs made through the engine), built once."""
    return RunStore(build_workspace(Path(tmp_path_factory.mktemp("parts")) / "team"))


def test_events_after_the_period_never_count_since_the_last_review(store: RunStore) -> None:
    """A history merged out of order can end earlier than events it holds: they stay out."""
    document = store.load("rel-3-0")
    framework = store.framework_of(document)
    window = report_window(period_of("monthly", "2026-10"), None)
    last = document.history[-1].model_copy(update={"at": at("2026-10-25")})
    merged = document.model_copy(update={"history": [*document.history[:-1], last]})
    later = [event for event in merged.history if event.at >= window.end]
    assert any(event.action in ("advance", "void-approval") for event in later)
    part = run_part(merged, framework, window)
    moments = [moment for moment, _ in part.since_passed + part.since_slipped]
    moments += [moment for moment, _ in part.since_waived]
    assert moments and all(moment < window.end for moment in moments)


def test_a_run_starts_when_its_history_starts(store: RunStore) -> None:
    """``created`` is read from the run as replayed to the period's end, as the report did."""
    document = store.load("rel-3-0")
    framework = store.framework_of(document)
    window = report_window(period_of("monthly", "2026-10"), None)
    edited = document.model_copy(update={"created": at("2025-06-01")})
    replayed = state_at(edited, framework, window.end)
    assert replayed.created != edited.created
    assert run_part(edited, framework, window).created == replayed.created


def _part(run: str, title: str, *, active: bool) -> RunPart:
    line = RunLine(run, run, "fw", "active", "Plan", 1, 2, 1, 2, 50.0, "", False, "", "")
    return RunPart(run, "fw", title, at("2026-10-01"), line=line, active=active)


def test_a_frameworks_title_is_its_last_runs_active_or_not() -> None:
    parts = [_part("a-run", "Old title", active=True), _part("b-run", "New title", active=False)]
    window = report_window(period_of("monthly", "2026-10"), None)
    context = context_of_parts("monthly", "", window, parts, [], MetricsDocument(), ReportInputs())
    assert [line.title for line in context.progress_by_framework] == ["New title"]


def test_since_the_last_review_starts_at_midnight_utc_whatever_the_offset() -> None:
    """01:00 at +02:00 on Nov 1 is still October in UTC; 23:30 at -02:00 on Oct 31 is not."""
    east = dt.datetime(2026, 11, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    west = dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-2)))
    part = _part("a-run", "Title", active=True)
    part.since_passed = [(east, Happening("a-run", "2026-11-01", "passed plan"))]
    part.since_slipped = [(west, Happening("a-run", "2026-10-31", "gate refused"))]
    since = since_last_review([part], dt.date(2026, 11, 1), "the end of 2026-10")
    assert since.passed == []
    assert [happening.text for happening in since.slipped] == ["gate refused"]


def test_parts_are_plain_data(store: RunStore) -> None:
    """Parts are pickled into the run index: no model or framework object rides along."""
    document: RunDocument = store.load("rel-3-0")
    part = run_part(
        document, store.framework_of(document), report_window(period_of("monthly", "2026-11"), None)
    )
    assert part.counted and part.line is not None
    assert "Framework" not in repr(part) and "RunDocument" not in repr(part)
