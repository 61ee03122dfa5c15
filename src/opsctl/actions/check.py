"""The CI gate as a use case: which required items and sign-offs are missing.

:func:`check_runs` selects the runs, validates the phase selection, runs the
items' automated checks when asked (recording the passes) and returns the
verdict as a :class:`CheckOutcome`: the documented ``check`` JSON shape
(docs/json.md), carrying the :class:`~opsctl.gate.check.CheckReport` the
text, JUnit, GitHub and Markdown renderings read. Exit 1 is the caller's
to raise when the outcome is not ok.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import Any, ClassVar

from pydantic import PrivateAttr, computed_field

from opsctl.actions.automated import Progress, run_automated_checks
from opsctl.actions.listing import check_selector
from opsctl.actions.results import Result, View
from opsctl.actions.session import Session
from opsctl.engine.selection import RunSelector
from opsctl.errors import CheckFailed, DefinitionError, OpsctlError, StoreError
from opsctl.gate.check import (
    CheckReport,
    Demand,
    Failures,
    PhaseResult,
    RunResult,
    check_run,
    validate_demand,
)
from opsctl.gate.check import Result as Verdict
from opsctl.gate.formats import to_github, to_junit, to_markdown
from opsctl.store import files
from opsctl.store.documents import RunDocument, RunState, RunStatus, normalize_ref
from opsctl.store.index import bulk_load
from opsctl.store.runs import Survey

NO_RUNS = "no active runs to check"
NO_SELECTED = "no run matches the selectors"
ACTIVE = RunSelector(status=RunStatus.ACTIVE)


class CheckedItem(View):
    """One checklist item as CI sees it."""

    key: str
    title: str
    owner: str
    status: str
    result: Verdict
    message: str


class CheckedApproval(View):
    """One required sign-off; ``by`` is null while it is missing."""

    role: str
    result: Verdict
    by: str | None


class CheckedPhase(View):
    """A checked phase: its items, then its required sign-offs."""

    id: str
    title: str
    ok: bool
    items: list[CheckedItem]
    approvals: list[CheckedApproval]


class CheckedRun(View):
    """One run's checked phases, and what fails it as a whole."""

    id: str
    title: str
    framework: str
    ok: bool
    problems: list[str]
    phases: list[CheckedPhase]


class InputError(View):
    """An input the check could not read: the check fails closed (exit 2)."""

    file: str
    message: str


def _phase(phase: PhaseResult) -> dict[str, Any]:
    return {
        "id": phase.id,
        "title": phase.title,
        "ok": phase.ok,
        "items": [
            {
                "key": item.key,
                "title": item.title,
                "owner": item.owner,
                "status": item.status,
                "result": item.result,
                "message": item.message,
            }
            for item in phase.items
        ],
        "approvals": [
            {"role": a.role, "result": a.result, "by": a.by or None} for a in phase.approvals
        ],
    }


def _run(run: RunResult) -> dict[str, Any]:
    """A checked run as plain data, made into a :class:`CheckedRun` only when JSON is printed."""
    return {
        "id": run.id,
        "title": run.title,
        "framework": run.framework,
        "ok": run.ok,
        "problems": run.problems,
        "phases": [_phase(phase) for phase in run.phases],
    }


class CheckOutcome(Result):
    """``opsctl check``: ok when nothing demanded is missing and every input was read."""

    KIND: ClassVar[str] = "check"
    VERSION: ClassVar[int] = 2

    ok: bool
    mode: str
    missing: int
    notes: list[str]
    errors: list[InputError]
    _report: CheckReport = PrivateAttr(default_factory=CheckReport)
    _raised: list[OpsctlError] = PrivateAttr(default_factory=list)

    @classmethod
    def of(
        cls, report: CheckReport, demand: Demand, raised: list[OpsctlError] | None = None
    ) -> CheckOutcome:
        """The outcome of a report, keeping the report for the other renderings."""
        outcome = cls.model_validate(
            {
                "ok": report.ok,
                "mode": demand.mode.value,
                "missing": report.problem_count(),
                "notes": list(report.notes),
                "errors": [{"file": file, "message": message} for file, message in report.errors],
            }
        )
        outcome._report = report
        outcome._raised = list(raised or [])
        return outcome

    @computed_field  # type: ignore[prop-decorator]
    @property
    def runs(self) -> list[CheckedRun]:
        """Each checked run, made when the JSON is: text output of 10,000 runs never needs it."""
        return [CheckedRun.model_validate(_run(run)) for run in self._report.runs]

    @property
    def report(self) -> CheckReport:
        """The report this outcome was made from (text, JUnit, GitHub, Markdown read it)."""
        return self._report

    def unreadable(self) -> OpsctlError | None:
        """The error to exit with when an input could not be read (after the report is out)."""
        if not self._raised:
            return None
        if len(self._raised) == 1:
            return self._raised[0]
        return StoreError(*(p for error in self._raised for p in error.problems))


def _by_ref(survey: Survey, ref: str, allow_unlinked: bool) -> tuple[list[str], list[str]]:
    """Ids of the runs linked to a git ref; a note instead when none is and that is allowed."""
    wanted = normalize_ref(ref)
    if survey.errors:
        raise survey.errors[0]
    linked = [header.id for header in survey.headers.values() if wanted in (header.refs or [])]
    if linked or allow_unlinked:
        return linked, [] if linked else [f"no run is linked to {wanted}; allowed"]
    raise CheckFailed(
        f"no run is linked to {wanted}: link the release's run with "
        f"'opsctl link RUN --ref {wanted}' (or pass --allow-unlinked)"
    )


def _selected(
    session: Session,
    run_id: str | None,
    ref: str | None,
    allow_unlinked: bool,
    selector: RunSelector | None = None,
) -> tuple[list[RunState | str], list[str]]:
    """The runs to check (as read, or by id when one was named) and notes on the selection.

    One run, those linked to a ref, or the active ones the selector picks.
    Several runs are read through the run index, each file once.
    """
    if run_id is not None:
        return [run_id], []
    check_selector(session, selector)
    if ref is not None:
        survey = session.runs.survey()
        ids, notes = _by_ref(survey, ref, allow_unlinked)
        return [survey.states.get(found, found) for found in ids], notes
    selector = selector or RunSelector()
    if selector.status is None:
        selector = replace(selector, status=RunStatus.ACTIVE)
    survey = session.runs.survey(selector.status)  # runs in other states are not even validated
    if survey.errors:
        errors = survey.errors
        raise StoreError(*(e for error in errors for e in error.problems), path=errors[0].path)
    today = session.today()
    chosen = [h.id for h in survey.headers.values() if selector.matches(h, today)]
    notes = [] if chosen else [NO_RUNS if selector == ACTIVE else NO_SELECTED]
    return [survey.states.get(found, found) for found in chosen], notes


def _load(
    session: Session,
    selected: list[RunState | str],
    demand: Demand,
    errors: list[OpsctlError],
    whole: bool,
) -> list[RunState]:
    """The selected runs that can be read; each one that cannot is an error, not a skip.

    A run named by id, or any run when ``whole`` (automated checks verify
    the history), is read from its file.
    """
    documents: list[RunState] = []
    for wanted in selected:
        try:
            document = (
                session.runs.load(wanted if isinstance(wanted, str) else wanted.id)
                if whole or isinstance(wanted, str)
                else wanted
            )
            validate_demand(document, session.runs.framework_of(document), demand)
        except (StoreError, DefinitionError) as exc:
            errors.append(exc)
            continue
        documents.append(document)
    return documents


def check_runs(
    session: Session,
    run_id: str | None = None,
    demand: Demand | None = None,
    run_checks: bool = False,
    progress: Progress | None = None,
    *,
    ref: str | None = None,
    allow_unlinked: bool = False,
    selector: RunSelector | None = None,
) -> CheckOutcome:
    """Check one run, the runs linked to a git ref, or every active run the selector picks.

    An input that cannot be read (the configuration, the runs folder, a run,
    its pinned definition) does not stop the report: it is listed in
    ``errors`` so CI output still carries it, and the caller exits 2 after
    writing the report (:meth:`CheckOutcome.unreadable`).
    """
    demand = demand or Demand()
    errors: list[OpsctlError] = []
    try:
        selected, notes = _selected(session, run_id, ref, allow_unlinked, selector)
    except (StoreError, DefinitionError) as exc:
        errors.append(exc)
        selected, notes = [], []
    documents: Sequence[RunState] = _load(session, selected, demand, errors, whole=run_checks)
    failures: Failures = {}
    if run_checks and documents:
        whole = [d for d in documents if isinstance(d, RunDocument)]
        documents, failures = run_automated_checks(session, whole, demand, progress)
    today = session.today()
    with bulk_load():  # ten thousand runs make a quarter of a million results, and no cycles
        results = [
            check_run(d, session.runs.framework_of(d), demand, today, failures) for d in documents
        ]
    report = CheckReport(
        results,
        notes,
        [(error.path or "", problem) for error in errors for problem in error.problems],
    )
    return CheckOutcome.of(report, demand, errors)


class ReportFormat(str, Enum):
    """The machine-readable renderings of a check."""

    JSON = "json"
    JUNIT = "junit"
    GITHUB = "github"
    MARKDOWN = "markdown"


def render_check(outcome: CheckOutcome, report_format: ReportFormat) -> str:
    """The outcome as JSON (the envelope), JUnit XML, GitHub annotations or Markdown."""
    if report_format is ReportFormat.JSON:
        return outcome.to_json()
    renderers = {
        ReportFormat.JUNIT: to_junit,
        ReportFormat.GITHUB: to_github,
        ReportFormat.MARKDOWN: to_markdown,
    }
    return renderers[report_format](outcome.report)


def check_output(output: Path) -> None:
    """Refuse an ``--output`` that is neither new nor a regular file, before anything runs."""
    files.check_output(output)


def write_check(outcome: CheckOutcome, report_format: ReportFormat, output: Path) -> None:
    """Write the rendered outcome to ``output`` atomically (its folder checked by the caller).

    Only a new file or a regular one is written: a symbolic link, named pipe,
    device or socket is refused (``InvalidField("output")``), never followed.
    """
    files.write_output(output, render_check(outcome, report_format))


def append_summary(outcome: CheckOutcome, summary_file: str) -> str | None:
    """Append the Markdown summary to a CI job summary; why it could not, if it could not."""
    try:
        with open(summary_file, "a", encoding="utf-8") as handle:
            handle.write(to_markdown(outcome.report))
    except OSError as exc:
        return str(exc.strerror or exc)
    return None
