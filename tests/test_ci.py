"""The CI gate as a library: check_run, select_phases, CheckReport and the report formats."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from junitparser import Failure, JUnitXml, Skipped
from markdown_it import MarkdownIt

from opsctl.actions.check import CheckOutcome
from opsctl.definitions.config import Person
from opsctl.definitions.model import Framework
from opsctl.engine.approvals import approve
from opsctl.engine.runs import advance, new_run, set_item
from opsctl.errors import UsageError
from opsctl.gate import formats as ci_formats
from opsctl.gate.check import (
    ApprovalResult,
    CheckReport,
    Demand,
    ItemResult,
    Mode,
    Result,
    check_run,
    select_phases,
)
from opsctl.store.documents import ItemStatus, RunDocument

AT = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.timezone.utc)
TODAY = AT.date()
PM = "pm@example.com"
OPS = "ops@example.com"
PEOPLE = [Person(email=PM, roles=["product-manager"]), Person(email=OPS, roles=["operations"])]

NASTY = 'a | b `code` <script>alert("x")</script>\nsecond | line \\| 50% `end-marker`'
"""A reason with pipes, backticks, HTML, a newline and a percent sign."""


def _item(item_id: str, owner: str = "qa", **extra: Any) -> dict[str, Any]:
    return {
        "id": item_id,
        "title": f"Item {item_id}",
        "help": f"Help {item_id}.",
        "owner": owner,
        **extra,
    }


def phases(which: str) -> Demand:
    """The strict check of selected phases (``--phase``)."""
    return Demand(Mode.PHASES, which)


def framework_data() -> dict[str, Any]:
    return {
        "id": "gate",
        "title": "Gate",
        "area": "Testing",
        "summary": "Three phases for CI tests.",
        "phases": [
            {
                "id": "plan",
                "title": "Plan",
                "items": [
                    _item("scope", owner="product-manager"),
                    _item("tests"),
                    _item("nice", required=False),
                ],
                "gate": {"approvals": ["operations"]},
            },
            {
                "id": "build",
                "title": "Build",
                "items": [_item("code", owner="development"), _item("docs")],
                "gate": {"items": ["code"]},
            },
            {"id": "ship", "title": "Ship", "items": [_item("go", owner="operations")]},
        ],
    }


@pytest.fixture
def framework() -> Framework:
    return Framework.model_validate(framework_data())


@pytest.fixture
def run(framework: Framework) -> RunDocument:
    return new_run(framework, "rel-1", "Release 1", None, PM, AT)


def done(run: RunDocument, framework: Framework, *keys: str) -> None:
    for key in keys:
        set_item(run, framework, key, ItemStatus.DONE, PM, AT, evidence=f"proof of {key}")


def finish_plan(run: RunDocument, framework: Framework) -> None:
    done(run, framework, "plan/scope", "plan/tests")
    approve(run, framework, PEOPLE, OPS, AT)


def by_key(result: Any) -> dict[str, ItemResult]:
    return {item.key: item for phase in result.phases for item in phase.items}


# --- check_run and select_phases -------------------------------------------------------------


def test_fresh_run_fails_on_every_required_item_and_sign_off(run, framework: Framework) -> None:
    result = check_run(run, framework, phases("current"), TODAY)
    assert [phase.id for phase in result.phases] == ["plan"]
    items = by_key(result)
    assert items["plan/scope"].result is Result.FAILED
    assert items["plan/scope"].message == "open"
    assert items["plan/scope"].owner == "product-manager"
    assert items["plan/tests"].result is Result.FAILED
    assert result.phases[0].approvals == [ApprovalResult("operations", Result.FAILED, "")]
    report = CheckReport([result])
    assert not report.ok
    assert [entry for _, _, entry in report.failures()] == [
        items["plan/scope"],
        items["plan/tests"],
        result.phases[0].approvals[0],
    ]


def test_done_items_and_sign_off_pass(run, framework: Framework) -> None:
    finish_plan(run, framework)
    result = check_run(run, framework, phases("current"), TODAY)
    items = by_key(result)
    assert items["plan/scope"].result is Result.PASSED
    assert items["plan/scope"].message == "proof of plan/scope"
    assert items["plan/scope"].status == "done"
    assert result.phases[0].approvals == [ApprovalResult("operations", Result.PASSED, OPS)]
    assert result.ok
    assert CheckReport([result]).ok
    assert CheckReport([result]).failures() == []


def test_waived_item_counts_with_its_reason(run, framework: Framework) -> None:
    done(run, framework, "plan/scope")
    set_item(
        run,
        framework,
        "plan/tests",
        ItemStatus.SKIPPED,
        PM,
        AT,
        reason="covered upstream",
        expires=dt.date(2026, 6, 30),
    )
    approve(run, framework, PEOPLE, OPS, AT)
    item = by_key(check_run(run, framework, phases("current"), TODAY))["plan/tests"]
    assert item.result is Result.WAIVED
    assert item.status == "skipped"
    assert item.message == f"waived by {PM}: covered upstream (until 2026-06-30)"
    assert CheckReport([check_run(run, framework, phases("current"), TODAY)]).ok


def test_waiver_counts_on_its_last_day(run, framework: Framework) -> None:
    set_item(run, framework, "plan/tests", ItemStatus.SKIPPED, PM, AT, reason="r", expires=TODAY)
    assert by_key(check_run(run, framework, phases("current"), TODAY))["plan/tests"].result is (
        Result.WAIVED
    )


def test_expired_waiver_fails_saying_so(run, framework: Framework) -> None:
    finish_plan(run, framework)
    set_item(
        run,
        framework,
        "plan/tests",
        ItemStatus.SKIPPED,
        PM,
        AT,
        reason="later",
        expires=dt.date(2026, 3, 31),
    )
    later = dt.date(2026, 4, 1)
    result = check_run(run, framework, phases("current"), later)
    item = by_key(result)["plan/tests"]
    assert item.result is Result.FAILED
    assert item.message == "waiver expired on 2026-03-31"
    assert not result.ok
    assert "waiver expired on 2026-03-31" in ci_formats.failure_message(item)


def test_blocked_item_fails_with_its_reason(run, framework: Framework) -> None:
    set_item(run, framework, "plan/tests", ItemStatus.BLOCKED, PM, AT, reason="staging down")
    item = by_key(check_run(run, framework, phases("current"), TODAY))["plan/tests"]
    assert item.result is Result.FAILED
    assert item.status == "blocked"
    assert item.message == "blocked: staging down"


def test_optional_item_is_not_required_whatever_its_state(run, framework: Framework) -> None:
    finish_plan(run, framework)
    result = check_run(run, framework, phases("current"), TODAY)
    assert by_key(result)["plan/nice"].result is Result.NOT_REQUIRED
    assert by_key(result)["plan/nice"].message == "optional"
    assert result.ok
    set_item(run, framework, "plan/nice", ItemStatus.BLOCKED, PM, AT, reason="no time")
    result = check_run(run, framework, phases("current"), TODAY)
    assert by_key(result)["plan/nice"].result is Result.NOT_REQUIRED


def test_items_left_out_of_an_explicit_gate_are_not_required(run, framework: Framework) -> None:
    result = check_run(run, framework, phases("build"), TODAY)
    items = by_key(result)
    assert items["build/code"].result is Result.FAILED
    assert items["build/docs"].result is Result.NOT_REQUIRED


def test_missing_approval_fails(run, framework: Framework) -> None:
    done(run, framework, "plan/scope", "plan/tests")
    result = check_run(run, framework, phases("current"), TODAY)
    assert [entry for _, _, entry in CheckReport([result]).failures()] == [
        ApprovalResult("operations", Result.FAILED, "")
    ]


def test_voided_approval_fails(run, framework: Framework) -> None:
    finish_plan(run, framework)
    assert check_run(run, framework, phases("current"), TODAY).ok
    set_item(run, framework, "plan/nice", ItemStatus.DONE, PM, AT)
    assert run.approvals[0].voided
    result = check_run(run, framework, phases("current"), TODAY)
    assert result.phases[0].approvals == [ApprovalResult("operations", Result.FAILED, "")]
    assert not result.ok


def test_approval_of_another_phase_does_not_count(run, framework: Framework) -> None:
    finish_plan(run, framework)
    advance(run, framework, PM, AT)
    run.approvals[0].phase = "ship"
    assert (
        check_run(run, framework, phases("plan"), TODAY).phases[0].approvals[0].result
        is Result.FAILED
    )


def test_phase_all_covers_the_phases_up_to_the_current_one(run, framework: Framework) -> None:
    assert [p.id for p in select_phases(run, framework, "all")] == ["plan"]
    finish_plan(run, framework)
    advance(run, framework, PM, AT)
    assert run.phase == "build"
    assert [p.id for p in select_phases(run, framework, "all")] == ["plan", "build"]
    assert [p.id for p in select_phases(run, framework, "current")] == ["build"]
    assert [p.id for p in select_phases(run, framework, "ship")] == ["ship"]
    result = check_run(run, framework, phases("all"), TODAY)
    assert [phase.id for phase in result.phases] == ["plan", "build"]
    assert [phase.ok for phase in result.phases] == [True, False]
    assert not result.ok


def test_completed_run_checks_its_last_phase_or_all(run, framework: Framework) -> None:
    finish_plan(run, framework)
    advance(run, framework, PM, AT)
    done(run, framework, "build/code")
    advance(run, framework, PM, AT)
    done(run, framework, "ship/go")
    advance(run, framework, PM, AT)
    assert run.phase is None
    assert [p.id for p in select_phases(run, framework, "current")] == ["ship"]
    assert [p.id for p in select_phases(run, framework, "all")] == ["plan", "build", "ship"]
    assert check_run(run, framework, phases("all"), TODAY).ok


def test_unknown_phase_is_a_usage_error_listing_phases(run, framework: Framework) -> None:
    with pytest.raises(UsageError, match=r"unknown phase 'nope' in run 'rel-1'.*plan, build, ship"):
        select_phases(run, framework, "nope")
    with pytest.raises(UsageError):
        check_run(run, framework, phases("nope"), TODAY)


def test_automated_check_failure_is_appended_to_failed_items_only(
    run, framework: Framework
) -> None:
    done(run, framework, "plan/scope")
    failures = {
        ("rel-1", "plan/tests"): "'pytest' exited with 1: boom",
        ("rel-1", "plan/scope"): "ignored: the item is done",
        ("other", "plan/tests"): "another run",
    }
    items = by_key(check_run(run, framework, phases("current"), TODAY, failures))
    assert (
        items["plan/tests"].message == "open; automated check failed: 'pytest' exited with 1: boom"
    )
    assert items["plan/scope"].message == "proof of plan/scope"


def test_empty_report_is_ok() -> None:
    assert CheckReport().ok
    assert CheckReport().failures() == []


# --- report formats --------------------------------------------------------------------------


@pytest.fixture
def report(framework: Framework) -> CheckReport:
    """Two runs: rel-1 at build (plan complete, one waiver), rel-2 fresh at plan."""
    first = new_run(framework, "rel-1", "Release 1", None, PM, AT)
    done(first, framework, "plan/scope")
    set_item(first, framework, "plan/tests", ItemStatus.SKIPPED, PM, AT, reason="covered upstream")
    approve(first, framework, PEOPLE, OPS, AT)
    advance(first, framework, PM, AT)
    second = new_run(framework, "rel-2", "Release 2", None, PM, AT)
    set_item(second, framework, "plan/tests", ItemStatus.BLOCKED, PM, AT, reason="CI is down")
    return CheckReport(
        [
            check_run(first, framework, phases("all"), TODAY),
            check_run(second, framework, phases("all"), TODAY),
        ]
    )


def nasty_report(framework: Framework) -> CheckReport:
    """A run whose waiver reason and evidence carry markup-breaking text."""
    run = new_run(framework, "rel-9", "Release 9", None, PM, AT)
    set_item(run, framework, "plan/scope", ItemStatus.DONE, PM, AT, evidence=NASTY)
    set_item(run, framework, "plan/tests", ItemStatus.SKIPPED, PM, AT, reason=NASTY)
    set_item(run, framework, "plan/nice", ItemStatus.BLOCKED, PM, AT, reason=NASTY)
    return CheckReport([check_run(run, framework, phases("current"), TODAY)])


def test_junit_has_a_suite_per_run_and_phase(report: CheckReport) -> None:
    xml = JUnitXml.fromstring(ci_formats.to_junit(report))
    suites = list(xml)
    assert [suite.name for suite in suites] == ["rel-1/plan", "rel-1/build", "rel-2/plan"]
    cases = {suite.name: [case.name for case in suite] for suite in suites}
    assert cases["rel-1/plan"] == [
        "plan/scope",
        "plan/tests",
        "plan/nice",
        "sign-off by operations",
    ]
    assert cases["rel-1/build"] == ["build/code", "build/docs"]
    assert all(case.classname == "rel-2.plan" for case in suites[2])


def test_junit_counts_match_the_cases(report: CheckReport) -> None:
    xml = JUnitXml.fromstring(ci_formats.to_junit(report))
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for suite in xml:
        cases = list(suite)
        failed = sum(any(isinstance(r, Failure) for r in case.result) for case in cases)
        skipped = sum(any(isinstance(r, Skipped) for r in case.result) for case in cases)
        assert (suite.tests, suite.failures, suite.skipped, suite.errors) == (
            len(cases),
            failed,
            skipped,
            0,
        )
        totals["tests"] += len(cases)
        totals["failures"] += failed
        totals["skipped"] += skipped
    assert (xml.tests, xml.failures, xml.skipped) == (
        totals["tests"],
        totals["failures"],
        totals["skipped"],
    )
    assert xml.failures == len(report.failures()) == 4


def test_junit_failures_name_owner_and_help(report: CheckReport) -> None:
    xml = JUnitXml.fromstring(ci_formats.to_junit(report))
    cases = {(suite.name, case.name): case for suite in xml for case in suite}
    code = cases[("rel-1/build", "build/code")]
    assert not code.is_passed
    [failure] = code.result
    assert isinstance(failure, Failure)
    assert failure.message == "build/code is open (owner: development): Item code"
    assert failure.text == "owner: development\nHelp code."
    blocked = cases[("rel-2/plan", "plan/tests")].result[0]
    assert blocked.message == "plan/tests is blocked: CI is down (owner: qa): Item tests"
    sign_off = cases[("rel-2/plan", "sign-off by operations")].result[0]
    assert isinstance(sign_off, Failure)
    assert "operations" in sign_off.message
    assert cases[("rel-1/plan", "plan/scope")].is_passed
    assert cases[("rel-1/plan", "sign-off by operations")].is_passed


def test_junit_waived_items_are_skipped_with_the_reason(report: CheckReport) -> None:
    xml = JUnitXml.fromstring(ci_formats.to_junit(report))
    cases = {(suite.name, case.name): case for suite in xml for case in suite}
    waived = cases[("rel-1/plan", "plan/tests")]
    assert waived.is_skipped
    [skipped] = waived.result
    assert isinstance(skipped, Skipped)
    assert skipped.message == f"waived by {PM}: covered upstream"
    optional = cases[("rel-1/plan", "plan/nice")]
    assert optional.is_skipped
    assert optional.result[0].message == "optional"


def test_junit_survives_markup_in_user_text(framework: Framework, tmp_path) -> None:
    path = tmp_path / "report.xml"
    path.write_text(ci_formats.to_junit(nasty_report(framework)), encoding="utf-8")
    xml = JUnitXml.fromfile(str(path))
    cases = {case.name: case for suite in xml for case in suite}
    assert cases["plan/tests"].result[0].message == f"waived by {PM}: {NASTY}"


def test_junit_survives_control_characters_in_user_text(run, framework: Framework) -> None:
    set_item(run, framework, "plan/tests", ItemStatus.SKIPPED, PM, AT, reason="\x1b[31mred\x1b[0m")
    xml = JUnitXml.fromstring(
        ci_formats.to_junit(CheckReport([check_run(run, framework, phases("current"), TODAY)]))
    )
    [case] = [case for suite in xml for case in suite if case.name == "plan/tests"]
    assert case.is_skipped
    assert "red" in case.result[0].message


def test_json_shape(report: CheckReport) -> None:
    document = json.loads(CheckOutcome.of(report, phases("current")).to_json())
    assert document["kind"] == "check"
    assert document["version"] == 2
    assert document["mode"] == "phases"
    assert document["ok"] is False
    assert document["missing"] == 4
    assert document["notes"] == []
    assert document["errors"] == []
    assert [run["problems"] for run in document["runs"]] == [[], []]
    assert [run["id"] for run in document["runs"]] == ["rel-1", "rel-2"]
    first = document["runs"][0]
    assert first["framework"] == "gate"
    assert first["title"] == "Release 1"
    assert [(phase["id"], phase["ok"]) for phase in first["phases"]] == [
        ("plan", True),
        ("build", False),
    ]
    tests = first["phases"][0]["items"][1]
    assert tests == {
        "key": "plan/tests",
        "title": "Item tests",
        "owner": "qa",
        "status": "skipped",
        "result": "waived",
        "message": f"waived by {PM}: covered upstream",
    }
    assert first["phases"][0]["approvals"] == [
        {"role": "operations", "result": "passed", "by": OPS}
    ]
    assert document["runs"][1]["phases"][0]["approvals"] == [
        {"role": "operations", "result": "failed", "by": None}
    ]


def test_json_of_an_empty_report_keeps_its_notes() -> None:
    document = json.loads(
        CheckOutcome.of(CheckReport([], ["no active runs to check"]), phases("current")).to_json()
    )
    assert document["ok"] is True
    assert document["missing"] == 0
    assert document["notes"] == ["no active runs to check"]


def test_github_annotations(report: CheckReport) -> None:
    lines = ci_formats.to_github(report).splitlines()
    errors = [line for line in lines if line.startswith("::error title=")]
    warnings = [line for line in lines if line.startswith("::warning")]
    assert len(errors) == len(report.failures()) == 4
    assert errors[0] == (
        "::error title=rel-1/build::build/code is open (owner: development): Item code"
    )
    assert warnings == [
        f"::warning title=rel-1/plan::plan/tests waived by {PM}: covered upstream",
    ]
    assert lines[-1] == "opsctl check: 4 missing"
    assert len(lines) == 4 + 1 + 1


def test_github_escapes_newlines_and_percent(framework: Framework) -> None:
    text = ci_formats.to_github(nasty_report(framework))
    lines = text.splitlines()
    assert all(line.startswith(("::error title=", "::warning", "opsctl check:")) for line in lines)
    [warning] = [line for line in lines if line.startswith("::warning")]
    assert "%0A" in warning
    assert "50%25" in warning
    assert "50% " not in warning
    assert "\r" not in text


def test_github_escapes_carriage_returns_in_notes() -> None:
    text = ci_formats.to_github(CheckReport([], ["100% done\r\nnext"]))
    assert text.splitlines() == [
        "::notice::100%25 done%0D%0Anext",
        "opsctl check: all required items and sign-offs complete",
    ]


def test_github_ok_report_has_no_errors() -> None:
    assert (
        ci_formats.to_github(CheckReport())
        == "opsctl check: all required items and sign-offs complete\n"
    )


def _tables(markdown: str) -> list[list[list[Any]]]:
    """Each table as rows of cells (the inline token of each th/td)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    tables: list[list[list[Any]]] = []
    row: list[Any] = []
    for index, token in enumerate(tokens):
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            row = []
        elif token.type in ("th_open", "td_open"):
            row.append(tokens[index + 1])
        elif token.type == "tr_close":
            tables[-1].append(row)
    return tables


def _all_tokens(markdown: str) -> list[Any]:
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    flat = []
    for token in tokens:
        flat.append(token)
        flat.extend(token.children or [])
    return flat


def test_markdown_table_has_a_row_per_entry(report: CheckReport) -> None:
    markdown = ci_formats.to_markdown(report)
    assert markdown.startswith("## opsctl check: ❌ 4 required item(s) or sign-off(s) missing")
    tables = _tables(markdown)
    assert len(tables) == 2
    header = [cell.content for cell in tables[0][0]]
    assert header == ["Phase", "Item", "Owner", "Status", "Detail"]
    first_rows = [[cell.content for cell in row] for row in tables[0][1:]]
    assert len(first_rows) == 4 + 2
    assert first_rows[1] == [
        "plan",
        "plan/tests",
        "qa",
        "⚠️ waived",
        f"waived by {PM}: covered upstream",
    ]
    assert first_rows[3] == ["plan", "sign-off by operations", "operations", "✅ passed", OPS]


def test_markdown_cells_survive_pipes_backticks_newlines_and_html(framework: Framework) -> None:
    report = nasty_report(framework)
    markdown = ci_formats.to_markdown(report)
    [table] = _tables(markdown)
    header, *rows = table
    entries = report.runs[0].phases[0].entries()
    assert len(rows) == len(entries)
    assert all(len(row) == len(header) == 5 for row in rows)
    table_lines = [line for line in markdown.splitlines() if line.startswith("|")]
    assert len(table_lines) == 2 + len(entries)
    details = {row[1].content.replace("\\", ""): row for row in rows}
    assert [details[key][3].content for key in ("plan/scope", "plan/tests", "plan/nice")] == [
        "✅ passed",
        "⚠️ waived",
        "· optional",
    ]
    for key in ("plan/scope", "plan/tests"):
        detail = details[key][4]
        rendered = "".join(child.content for child in detail.children)
        assert "end-marker" in rendered
        assert "<script>" in rendered
        assert "a | b `code`" in rendered
    kinds = {token.type for token in _all_tokens(markdown)}
    assert "html_inline" not in kinds
    assert "html_block" not in kinds
    cell_kinds = {child.type for row in rows for cell in row for child in cell.children}
    assert "code_inline" not in cell_kinds
    assert "<script>" not in MarkdownIt("commonmark").enable("table").render(markdown)


def test_markdown_escapes_the_run_title(framework: Framework) -> None:
    run = new_run(framework, "rel-9", "Release <script>alert(1)</script> `x`", None, PM, AT)
    markdown = ci_formats.to_markdown(
        CheckReport([check_run(run, framework, phases("current"), TODAY)])
    )
    kinds = {token.type for token in _all_tokens(markdown)}
    assert "html_inline" not in kinds
    assert "<script>" not in MarkdownIt("commonmark").enable("table").render(markdown)


def test_markdown_of_an_ok_report() -> None:
    markdown = ci_formats.to_markdown(CheckReport([], ["no active runs to check"]))
    assert markdown.startswith("## opsctl check: ✅ all required items and sign-offs complete")
    assert "> no active runs to check" in markdown
