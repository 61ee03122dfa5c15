"""Render a CI check report as JUnit XML, GitHub annotations or Markdown.

Its JSON is the ``check`` result of :mod:`opsctl.actions.check`, in the one envelope.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from opsctl.gate.check import ApprovalResult, CheckReport, Entry, ItemResult, Result
from opsctl.text import cell, table

STATUS_ICONS = {
    Result.PASSED: "✅ passed",
    Result.FAILED: "❌ missing",
    Result.WAIVED: "⚠️ waived",
    Result.NOT_REQUIRED: "· optional",
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
    """Text XML 1.0 can hold: control characters become U+FFFD."""
    return _XML_INVALID.sub("\ufffd", text)


def to_junit(report: CheckReport) -> str:
    """JUnit XML: a suite per run and phase, a case per item and required sign-off."""
    suites = ET.Element("testsuites", name="opsctl check")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for run in report.runs:
        for phase in run.phases:
            entries = phase.entries()
            failures = sum(entry.result is Result.FAILED for entry in entries)
            skipped = sum(entry.result in (Result.WAIVED, Result.NOT_REQUIRED) for entry in entries)
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
                elif entry.result in (Result.WAIVED, Result.NOT_REQUIRED):
                    message = entry.message if isinstance(entry, ItemResult) else ""
                    ET.SubElement(case, "skipped", message=_xml_text(message))
            totals["tests"] += len(entries)
            totals["failures"] += failures
            totals["skipped"] += skipped
    for name, value in totals.items():
        suites.set(name, str(value))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


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
    lines += [f"::notice::{_annotation_escape(note)}" for note in report.notes]
    verdict = "all required items complete" if report.ok else f"{len(report.failures())} missing"
    lines.append(f"opsctl check: {verdict}")
    return "\n".join(lines) + "\n"


def to_markdown(report: CheckReport) -> str:
    """A Markdown summary fit for a pull-request comment or a job summary."""
    verdict = (
        "✅ all required items complete"
        if report.ok
        else (f"❌ {len(report.failures())} required item(s) or sign-off(s) missing")
    )
    parts = [f"## opsctl check: {verdict}\n"]
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
        parts.append(table(["Phase", "Item", "Owner", "Status", "Detail"], rows))
    for note in report.notes:
        parts.append(f"\n> {cell(note)}\n")
    return "".join(parts)
