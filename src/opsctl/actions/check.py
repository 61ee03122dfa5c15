"""The CI gate as a use case: which required items and sign-offs are missing.

:func:`check_runs` selects the runs, validates the phase selection, runs the
items' automated checks when asked (recording the passes) and returns the
verdict as a :class:`CheckOutcome`: the documented ``check`` JSON shape
(docs/json.md), carrying the :class:`~opsctl.gate.check.CheckReport` the
text, JUnit, GitHub and Markdown renderings read. Exit 1 is the caller's
to raise when the outcome is not ok.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import ClassVar

from pydantic import PrivateAttr

from opsctl.actions.automated import Failures, Progress, run_automated_checks
from opsctl.actions.results import Result, View
from opsctl.actions.session import Session
from opsctl.errors import InvalidField
from opsctl.gate.check import CheckReport, PhaseResult, RunResult, check_run, select_phases
from opsctl.gate.check import Result as Verdict
from opsctl.gate.formats import to_github, to_junit, to_markdown
from opsctl.store.documents import RunDocument, RunStatus

NO_RUNS = "no active runs to check"


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
    """One run's checked phases."""

    id: str
    title: str
    framework: str
    ok: bool
    phases: list[CheckedPhase]


def _phase(phase: PhaseResult) -> CheckedPhase:
    return CheckedPhase(
        id=phase.id,
        title=phase.title,
        ok=phase.ok,
        items=[
            CheckedItem(
                key=item.key,
                title=item.title,
                owner=item.owner,
                status=item.status,
                result=item.result,
                message=item.message,
            )
            for item in phase.items
        ],
        approvals=[
            CheckedApproval(role=a.role, result=a.result, by=a.by or None) for a in phase.approvals
        ],
    )


def _run(run: RunResult) -> CheckedRun:
    return CheckedRun(
        id=run.id,
        title=run.title,
        framework=run.framework,
        ok=run.ok,
        phases=[_phase(phase) for phase in run.phases],
    )


class CheckOutcome(Result):
    """``opsctl check``: ok when nothing required is missing; ``missing`` counts what is."""

    KIND: ClassVar[str] = "check"

    ok: bool
    missing: int
    notes: list[str]
    runs: list[CheckedRun]
    _report: CheckReport = PrivateAttr(default_factory=CheckReport)

    @classmethod
    def of(cls, report: CheckReport) -> CheckOutcome:
        """The outcome of a report, keeping the report for the other renderings."""
        outcome = cls(
            ok=report.ok,
            missing=len(report.failures()),
            notes=list(report.notes),
            runs=[_run(run) for run in report.runs],
        )
        outcome._report = report
        return outcome

    @property
    def report(self) -> CheckReport:
        """The report this outcome was made from (text, JUnit, GitHub, Markdown read it)."""
        return self._report


def _selected(session: Session, run_id: str | None) -> list[RunDocument]:
    store = session.runs
    if run_id is not None:
        return [store.load(run_id)]
    headers, errors = store.headers()
    if errors:
        raise errors[0]
    return [store.load(h.id) for h in headers if h.status is RunStatus.ACTIVE]


def check_runs(
    session: Session,
    run_id: str | None = None,
    phase: str = "current",
    run_checks: bool = False,
    progress: Progress | None = None,
) -> CheckOutcome:
    """Check one run, or every active run when ``run_id`` is None.

    ``phase`` is ``current``, ``all`` (up to the current one) or a phase id,
    refused before anything runs when a run has no such phase. With
    ``run_checks``, the items' automated checks run first (through
    ``progress``, if given) and the passes are recorded.
    """
    store = session.runs
    documents = _selected(session, run_id)
    for document in documents:
        select_phases(document, store.framework_of(document), phase)
    failures: Failures = {}
    if run_checks:
        documents, failures = run_automated_checks(session, documents, phase, progress)
    today = session.today()
    report = CheckReport(
        [check_run(doc, store.framework_of(doc), phase, today, failures) for doc in documents],
        [] if documents else [NO_RUNS],
    )
    return CheckOutcome.of(report)


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


def write_check(outcome: CheckOutcome, report_format: ReportFormat, output: Path) -> None:
    """Write the rendered outcome to ``output`` (checked writable by the caller)."""
    try:
        output.write_text(render_check(outcome, report_format), encoding="utf-8")
    except OSError as exc:
        raise InvalidField("output", f"{output}: {exc.strerror or exc}") from None


def append_summary(outcome: CheckOutcome, summary_file: str) -> str | None:
    """Append the Markdown summary to a CI job summary; why it could not, if it could not."""
    try:
        with open(summary_file, "a", encoding="utf-8") as handle:
            handle.write(to_markdown(outcome.report))
    except OSError as exc:
        return str(exc.strerror or exc)
    return None
