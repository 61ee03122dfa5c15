"""Render a CI check report as JUnit XML, GitHub annotations or Markdown.

Its JSON is the ``check`` result of :mod:`opsctl.actions.check`, in the one envelope.
Every rendering is stripped of control characters (:func:`opsctl.text.strip_controls`)
as a whole: titles, notes, reasons and evidence come from other people, and an
escape sequence in one must not reach a CI log, a terminal or a job summary.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from opsctl.gate.check import ApprovalResult, CheckReport, Entry, ItemResult, Result
from opsctl.text import cell, strip_controls, table

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

STATUS_ICONS = {
    Result.PASSED: "✅ passed",
    Result.FAILED: "❌ missing",
    Result.WAIVED: "⚠️ waived",
    Result.NOT_REQUIRED: "· optional",
    Result.PENDING: "⏳ pending",
}


def _entry_name(entry: Entry) -> str:
    if isinstance(entry, ItemResult):
        return entry.key
    return f"sign-off by {entry.role}"


def failure_message(entry: Entry) -> str:
    """Why an item or sign-off fails, naming who owns it."""
    if isinstance(entry, ApprovalResult):
        return f"sign-off by {entry.role} is missing"
    return f"{entry.key} is {entry.message} (owner: {entry.owner}): {entry.title}"


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """Text XML 1.0 can hold: control characters removed, U+FFFE and U+FFFF become U+FFFD."""
    return _XML_INVALID.sub("\ufffd", strip_controls(text))


SKIPPED = (Result.WAIVED, Result.NOT_REQUIRED, Result.PENDING)


def _junit_extra_suites(suites: ET.Element, report: CheckReport, totals: dict[str, int]) -> None:
    """A suite of run-level problems per run that has any, and one of unreadable inputs."""
    import xml.etree.ElementTree as ET

    for run in report.runs:
        if not run.problems:
            continue
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=_xml_text(run.id),
            tests=str(len(run.problems)),
            failures=str(len(run.problems)),
            errors="0",
            skipped="0",
        )
        for problem in run.problems:
            case = ET.SubElement(suite, "testcase", classname=run.id, name="run")
            ET.SubElement(case, "failure", message=_xml_text(f"{run.id} {problem}"))
        totals["tests"] += len(run.problems)
        totals["failures"] += len(run.problems)
    if report.errors:
        suite = ET.SubElement(
            suites,
            "testsuite",
            name="opsctl inputs",
            tests=str(len(report.errors)),
            failures="0",
            errors=str(len(report.errors)),
            skipped="0",
        )
        for file, message in report.errors:
            case = ET.SubElement(
                suite, "testcase", classname="opsctl", name=_xml_text(file or "input")
            )
            ET.SubElement(case, "error", message=_xml_text(message))
        totals["tests"] += len(report.errors)
        totals["errors"] += len(report.errors)


def _skip_message(entry: Entry) -> str:
    if entry.result is Result.PENDING:
        what = entry.message if isinstance(entry, ItemResult) else "sign-off to come"
        return f"pending: {what} (the phase is in progress and on time)"
    return entry.message if isinstance(entry, ItemResult) else ""


def to_junit(report: CheckReport) -> str:
    """JUnit XML: a suite per run and phase, a case per item and required sign-off.

    Run-level problems are failing cases of a suite named after the run, and
    every input that could not be read is an ``<error>`` case, so a CI job
    shows why the gate failed closed.
    """
    import xml.etree.ElementTree as ET  # only --format junit needs it

    suites = ET.Element("testsuites", name="opsctl check")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for run in report.runs:
        for phase in run.phases:
            entries = phase.entries()
            failures = sum(entry.result is Result.FAILED for entry in entries)
            skipped = sum(entry.result in SKIPPED for entry in entries)
            suite = ET.SubElement(
                suites,
                "testsuite",
                name=_xml_text(f"{run.id}/{phase.id}"),
                tests=str(len(entries)),
                failures=str(failures),
                errors="0",
                skipped=str(skipped),
            )
            for entry in entries:
                case = ET.SubElement(
                    suite,
                    "testcase",
                    classname=f"{run.id}.{phase.id}",
                    name=_entry_name(entry),
                )
                if entry.result is Result.FAILED:
                    failure = ET.SubElement(
                        case, "failure", message=_xml_text(failure_message(entry))
                    )
                    if isinstance(entry, ItemResult):
                        failure.text = _xml_text(f"owner: {entry.owner}\n{entry.help}")
                elif entry.result in SKIPPED:
                    ET.SubElement(case, "skipped", message=_xml_text(_skip_message(entry)))
            totals["tests"] += len(entries)
            totals["failures"] += failures
            totals["skipped"] += skipped
    _junit_extra_suites(suites, report, totals)
    for name, value in totals.items():
        suites.set(name, str(value))
    ET.indent(suites)
    return strip_controls(ET.tostring(suites, encoding="unicode", xml_declaration=True)) + "\n"


def _annotation_escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def to_github(report: CheckReport) -> str:
    """GitHub Actions workflow commands: an error per missing entry, a warning per waiver."""
    lines = []
    for run, phase, entry in report.failures():
        title = _annotation_escape(f"{run.id}/{phase.id}")
        lines.append(f"::error title={title}::{_annotation_escape(failure_message(entry))}")
    for run in report.runs:
        for phase in run.phases:
            for item in phase.items:
                if item.result is Result.WAIVED:
                    message = _annotation_escape(f"{item.key} {item.message}")
                    lines.append(f"::warning title={run.id}/{phase.id}::{message}")
    for run in report.runs:
        lines += [
            f"::error title={_annotation_escape(run.id)}::{_annotation_escape(run.id + ' ' + p)}"
            for p in run.problems
        ]
    lines += [
        f"::error file={_annotation_escape(file)}::{_annotation_escape(message)}"
        for file, message in report.errors
    ]
    lines += [f"::notice::{_annotation_escape(note)}" for note in report.notes]
    short = f"{report.problem_count()} missing" if report.runs and not report.ok else None
    lines.append(f"opsctl check: {short or verdict_line(report)}")
    return strip_controls("\n".join(lines) + "\n")


def verdict_line(report: CheckReport) -> str:
    """The one-line verdict every format ends or starts with."""
    if report.errors:
        count = len(report.errors)
        return f"{count} input(s) could not be read; nothing can be vouched for"
    if not report.ok:
        missing = len(report.failures())
        problems = report.problem_count() - missing
        parts = [f"{missing} required item(s) or sign-off(s) missing"] if missing else []
        parts += [f"{problems} run(s) late or not far enough"] if problems else []
        return "; ".join(parts)
    pending = sum(
        entry.result is Result.PENDING
        for run in report.runs
        for phase in run.phases
        for entry in phase.entries()
    )
    if pending:
        return f"nothing broken or late ({pending} item(s) or sign-off(s) pending, on time)"
    return "all required items and sign-offs complete"


def to_markdown(report: CheckReport) -> str:
    """A Markdown summary fit for a pull-request comment or a job summary."""
    icon = "✅" if report.ok else "❌"
    parts = [f"## opsctl check: {icon} {verdict_line(report)}\n"]
    for file, message in report.errors:
        parts.append(f"\n> ❌ cannot read `{cell(file)}`: {cell(message)}\n")
    for run in report.runs:
        rows: list[list[object]] = []
        for phase in run.phases:
            for entry in phase.entries():
                owner = entry.owner if isinstance(entry, ItemResult) else entry.role
                detail = entry.message if isinstance(entry, ItemResult) else entry.by
                rows.append(
                    [phase.id, _entry_name(entry), owner, STATUS_ICONS[entry.result], detail]
                )
        parts.append(f"\n### {cell(run.title)} (`{run.id}`, {run.framework})\n\n")
        parts += [f"❌ {cell(run.id + ' ' + problem)}\n\n" for problem in run.problems]
        parts.append(table(["Phase", "Item", "Owner", "Status", "Detail"], rows))
    for note in report.notes:
        parts.append(f"\n> {cell(note)}\n")
    return strip_controls("".join(parts))
