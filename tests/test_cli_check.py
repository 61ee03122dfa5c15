"""``opsctl check`` and ``opsctl waivers`` end to end: the real entry point and real processes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from junitparser import JUnitXml

from helpers import ok, opsctl_subprocess, run_main, store_snapshot

PY = json.dumps(sys.executable)

GATE = """\
id: gate
title: Gate
area: Testing
summary: Two phases with a sign-off, for check tests.
phases:
  - id: prep
    title: Prepare
    items:
      - {id: a, title: Check A, help: Do A., owner: qa}
      - {id: b, title: Check B, help: Write B., owner: product-manager, evidence: text}
      - {id: opt, title: Optional, help: Nice to have., owner: qa, required: false}
    gate:
      approvals: [operations]
  - id: ship
    title: Ship
    items:
      - {id: go, title: Go, help: Go live., owner: operations}
"""

SOLO = """\
id: solo
title: Solo
area: Testing
summary: One phase, one item.
phases:
  - id: only
    title: Only
    items:
      - {id: one, title: One, help: Do it., owner: qa}
"""

AUTO = f"""\
id: auto
title: Auto
area: Testing
summary: Automated checks.
phases:
  - id: build
    title: Build
    items:
      - id: notes
        title: Release notes exist
        help: Write docs/RELEASE_NOTES-*.md.
        owner: product-manager
        check: {{kind: file, path: "docs/RELEASE_NOTES*.md"}}
      - id: tests
        title: Test suite passes
        help: Run the tests.
        owner: qa
        check:
          kind: command
          argv:
            - {PY}
            - -c
            - "import pathlib, sys; pathlib.Path('ran.txt').write_text('x');
               sys.stderr.write('collecting\\\\nboom: 2 failed\\\\n'); sys.exit(3)"
          timeout: 20
"""

NOTES_ONLY = """\
id: notes-only
title: Notes only
area: Testing
summary: A file check alone.
phases:
  - id: docs
    title: Docs
    items:
      - id: notes
        title: Release notes exist
        help: Write them.
        owner: product-manager
        check: {kind: file, path: "docs/RELEASE_NOTES*.md"}
"""

MISSING_TOOL = """\
id: missing-tool
title: Missing tool
area: Testing
summary: A command that is not installed.
phases:
  - id: lint
    title: Lint
    items:
      - id: lint
        title: Lint passes
        help: Run the linter.
        owner: development
        check: {kind: command, argv: ["opsctl-test-no-such-linter", "--strict"], timeout: 5}
"""

KPI = """\
id: kpi
title: KPI
area: Testing
summary: A metric check.
metrics:
  - id: kpi-escape-rate
    title: Defect escape rate
    unit: percent
    direction: lower
    target_improvement_pct: 20
phases:
  - id: measure
    title: Measure
    items:
      - id: escapes
        title: Escape rate is under 5%
        help: Record the KPI.
        owner: qa
        check: {kind: metric, metric: kpi-escape-rate, threshold: 5}
"""

ROSTER = """\
team: "Checkout"
people:
  - {email: pm@example.com, roles: [product-manager, qa]}
  - {email: ops@example.com, roles: [operations]}
"""


def flat(text: str) -> str:
    """Output with Rich's line wrapping undone."""
    return " ".join(text.split())


def load(run_id: str) -> dict:
    return json.loads((Path.cwd() / ".opsctl" / "runs" / f"{run_id}.json").read_text("utf-8"))


def one_line_error(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("opsctl: error:"), err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def ws(capsys: pytest.CaptureFixture[str], isolated: Path) -> Path:
    """A workspace with the test frameworks, a roster and a run `g` of `gate`."""
    ok(["init"], capsys)
    frameworks = isolated / ".opsctl" / "frameworks"
    for name, text in {
        "gate": GATE,
        "solo": SOLO,
        "auto": AUTO,
        "notes-only": NOTES_ONLY,
        "missing-tool": MISSING_TOOL,
        "kpi": KPI,
    }.items():
        (frameworks / f"{name}.yaml").write_text(text, encoding="utf-8")
    (isolated / ".opsctl" / "config.yaml").write_text(ROSTER, encoding="utf-8")
    ok(["start", "gate", "--title", "Gate run", "--id", "g"], capsys)
    return isolated


def complete_prep(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    ok(["done", "g", "prep/a"], capsys)
    ok(["done", "g", "prep/b", "--evidence", "written"], capsys)
    monkeypatch.setenv("OPSCTL_USER", "ops@example.com")
    ok(["approve", "g"], capsys)
    monkeypatch.setenv("OPSCTL_USER", "pm@example.com")


# --- exit codes and the text report ----------------------------------------------------------


def test_missing_items_exit_1_each_listed_with_its_owner(
    capsys: pytest.CaptureFixture[str], ws: Path
) -> None:
    code, out, err = run_main(["check", "g", "--phase", "current"], capsys)
    assert code == 1, err
    assert err == ""
    text = flat(out)
    assert "g · gate · phase prep: missing items" in text
    assert "prep/a is open (owner: qa): Check A" in text
    assert "prep/b is open (owner: product-manager): Check B" in text
    assert "sign-off by operations is missing" in text
    assert "prep/opt" not in text
    assert "opsctl check: 3 required item(s) or sign-off(s) missing" in text


def test_complete_gate_exits_0(
    capsys: pytest.CaptureFixture[str], ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    complete_prep(capsys, monkeypatch)
    out = ok(["check", "g", "--phase", "current"], capsys)
    assert "phase prep: ok" in out
    assert "opsctl check: all required items and sign-offs complete" in out


def test_phase_all_checks_every_phase_up_to_the_current_one(
    capsys: pytest.CaptureFixture[str], ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    complete_prep(capsys, monkeypatch)
    ok(["advance", "g"], capsys)
    code, out, _ = run_main(["check", "g", "--phase", "all", "--format", "json"], capsys)
    assert code == 1
    report = json.loads(out)
    assert [(p["id"], p["ok"]) for p in report["runs"][0]["phases"]] == [
        ("prep", True),
        ("ship", False),
    ]
    assert ok(["check", "g", "--phase", "prep"], capsys)


def test_blocked_item_fails_with_its_reason(capsys: pytest.CaptureFixture[str], ws: Path) -> None:
    ok(["block", "g", "prep/a", "--reason", "staging down"], capsys)
    code, out, _ = run_main(["check", "g", "--phase", "current"], capsys)
    assert code == 1
    assert "prep/a is blocked: staging down (owner: qa)" in flat(out)


def test_junit_report_to_a_file(capsys: pytest.CaptureFixture[str], ws: Path) -> None:
    ok(["skip", "g", "prep/b", "--reason", "not this time"], capsys)
    code, out, _ = run_main(
        ["check", "g", "--format", "junit", "--output", "report.xml", "--phase", "current"], capsys
    )
    assert code == 1
    assert "wrote junit report to report.xml" in out
    assert "prep/a is open (owner: qa)" in flat(out)
    xml = JUnitXml.fromfile("report.xml")
    [suite] = list(xml)
    assert suite.name == "g/prep"
    assert (suite.tests, suite.failures, suite.skipped) == (4, 2, 2)
    cases = {case.name: case for case in suite}
    assert cases["prep/b"].is_skipped
    assert "not this time" in cases["prep/b"].result[0].message


@pytest.mark.parametrize("output_format", ["json", "junit", "github", "markdown"])
def test_every_format_goes_to_stdout_alone(
    capsys: pytest.CaptureFixture[str], ws: Path, output_format: str
) -> None:
    code, out, err = run_main(
        ["check", "g", "--format", output_format, "--phase", "current"], capsys
    )
    assert code == 1
    assert err == ""
    assert "opsctl check: 3 required" not in out  # no text report mixed in
    if output_format == "json":
        assert json.loads(out)["kind"] == "check"
    elif output_format == "junit":
        assert JUnitXml.fromstring(out).failures == 3
    elif output_format == "github":
        assert out.splitlines()[0].startswith("::error title=g/prep::")
    else:
        assert out.startswith("## opsctl check:")


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["check", "nope", "--phase", "current"], "unknown run 'nope'"),
        (["check", "g", "--phase", "nope"], "unknown phase 'nope'"),
        (["check", "g", "--format", "xml", "--phase", "current"], "'xml'"),
        (["check", "g", "--all", "--phase", "current"], "name one RUN, or pass --all"),
        (["check", "--phase", "current"], "name one RUN, or pass --all"),
        (
            ["check", "g", "-f", "junit", "--output", "missing/report.xml", "--phase", "current"],
            "does not exist",
        ),
        (
            ["check", "g", "-f", "junit", "--output", "reports", "--phase", "current"],
            "is a directory",
        ),
        (["check", "g", "--output", "report.txt", "--phase", "current"], "--output needs --format"),
        (["check", "g", "--run-checks", "--phase", "nope"], "unknown phase 'nope'"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_store_unchanged(
    capsys: pytest.CaptureFixture[str], ws: Path, args: list[str], expected: str
) -> None:
    (ws / "reports").mkdir()
    before = store_snapshot(ws)
    code, out, err = run_main(args, capsys)
    assert code == 2, (out, err)
    assert expected in one_line_error(err)
    assert store_snapshot(ws) == before
    assert not (ws / "report.txt").exists()
    assert not (ws / "missing").exists()
    assert list((ws / "reports").iterdir()) == []


def test_a_damaged_run_file_fails_check_all_with_exit_2(
    capsys: pytest.CaptureFixture[str], ws: Path
) -> None:
    (ws / ".opsctl" / "runs" / "broken.json").write_text("{not json", encoding="utf-8")
    before = store_snapshot(ws)
    code, _, err = run_main(["check", "--all", "--phase", "current"], capsys)
    assert code == 2
    assert "broken.json" in one_line_error(err)
    assert store_snapshot(ws) == before


def test_check_outside_a_workspace_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["check", "--all", "--phase", "current"], capsys)
    assert code == 2
    assert "opsctl init" in one_line_error(err)


# --- --all -------------------------------------------------------------------------------------


def test_all_checks_only_active_runs(capsys: pytest.CaptureFixture[str], ws: Path) -> None:
    ok(["start", "solo", "--title", "Finished", "--id", "finished"], capsys)
    ok(["done", "finished", "one"], capsys)
    ok(["advance", "finished"], capsys)
    ok(["start", "solo", "--title", "Open", "--id", "open-run"], capsys)
    code, out, _ = run_main(["check", "--all", "--format", "json", "--phase", "current"], capsys)
    assert code == 1
    report = json.loads(out)
    assert [run["id"] for run in report["runs"]] == ["g", "open-run"]
    ok(["done", "open-run", "one"], capsys)
    code, out, _ = run_main(["check", "--all", "--format", "json", "--phase", "current"], capsys)
    assert code == 1
    assert [run["id"] for run in json.loads(out)["runs"] if not run["ok"]] == ["g"]
    # a completed run can still be checked by name
    assert "all required items and sign-offs complete" in ok(
        ["check", "finished", "--phase", "current"], capsys
    )


def test_all_without_active_runs_exits_0_with_a_note(
    capsys: pytest.CaptureFixture[str], isolated: Path
) -> None:
    ok(["init"], capsys)
    out = ok(["check", "--all", "--phase", "current"], capsys)
    assert "no active runs to check" in out
    document = json.loads(ok(["check", "--all", "--format", "json", "--phase", "current"], capsys))
    assert document["ok"] is True
    assert document["runs"] == []
    assert document["notes"] == ["no active runs to check"]


# --- --run-checks ------------------------------------------------------------------------------


def write_notes(root: Path) -> None:
    (root / "docs").mkdir(exist_ok=True)
    (root / "docs" / "RELEASE_NOTES-2.4.md").write_text("# 2.4\n", encoding="utf-8")


def test_checks_run_only_when_asked(capsys: pytest.CaptureFixture[str], ws: Path) -> None:
    write_notes(ws)
    ok(["start", "auto", "--title", "Auto", "--id", "auto-run"], capsys)
    before = store_snapshot(ws)
    code, out, _ = run_main(["check", "auto-run", "--phase", "current"], capsys)
    assert code == 1
    assert "automated check" not in out
    assert not (ws / "ran.txt").exists()
    ok(["status", "auto-run"], capsys)
    ok(["validate", str(ws / ".opsctl" / "frameworks" / "auto.yaml")], capsys)
    assert not (ws / "ran.txt").exists()
    assert store_snapshot(ws) == before


def test_run_checks_records_passes_and_explains_failures(
    capsys: pytest.CaptureFixture[str], ws: Path
) -> None:
    write_notes(ws)
    ok(["start", "auto", "--title", "Auto", "--id", "auto-run"], capsys)
    code, out, _ = run_main(["check", "auto-run", "--run-checks", "--phase", "current"], capsys)
    assert code == 1
    assert (ws / "ran.txt").exists()  # the command ran in the workspace root
    text = flat(out)
    assert "build/tests is open; automated check failed:" in text
    assert "exited with 3: collecting | boom: 2 failed (owner: qa)" in text
    assert "build/notes" not in text
    document = load("auto-run")
    notes = document["items"]["build/notes"]
    assert notes["status"] == "done"
    assert notes["by"] == "opsctl"
    assert notes["evidence"] == "automated: file docs/RELEASE_NOTES-2.4.md"
    assert "build/tests" not in document["items"]
    last = document["history"][-1]
    assert (last["actor"], last["action"], last["item"]) == ("opsctl", "done", "build/notes")
    # once recorded, the pass stands without running checks again
    code, out, _ = run_main(["check", "auto-run", "--format", "json", "--phase", "current"], capsys)
    items = json.loads(out)["runs"][0]["phases"][0]["items"]
    assert [(i["key"], i["result"]) for i in items] == [
        ("build/notes", "passed"),
        ("build/tests", "failed"),
    ]
    assert items[0]["message"].startswith("automated:")


def test_failing_checks_leave_the_store_unchanged(
    capsys: pytest.CaptureFixture[str], ws: Path
) -> None:
    ok(["start", "auto", "--title", "Auto", "--id", "auto-run"], capsys)
    before = store_snapshot(ws)
    code, out, _ = run_main(
        ["check", "auto-run", "--run-checks", "--format", "json", "--phase", "current"], capsys
    )
    assert code == 1
    assert store_snapshot(ws) == before
    messages = {
        item["key"]: item["message"] for item in json.loads(out)["runs"][0]["phases"][0]["items"]
    }
    assert messages["build/notes"].startswith(
        "open; automated check failed: no file matches 'docs/RELEASE_NOTES*.md'"
    )
    assert messages["build/tests"].endswith("exited with 3: collecting | boom: 2 failed")


def test_passing_file_check_completes_the_gate(
    capsys: pytest.CaptureFixture[str], ws: Path
) -> None:
    ok(["start", "notes-only", "--title", "Notes", "--id", "notes"], capsys)
    assert run_main(["check", "notes", "--run-checks", "--phase", "current"], capsys)[0] == 1
    write_notes(ws)
    assert run_main(["check", "notes", "--phase", "current"], capsys)[0] == 1
    out = ok(["check", "notes", "--run-checks", "--phase", "current"], capsys)
    assert "all required items and sign-offs complete" in out
    assert ok(["check", "notes", "--phase", "current"], capsys)
    assert load("notes")["items"]["docs/notes"]["by"] == "opsctl"


def test_a_command_that_does_not_exist_fails_the_check(
    capsys: pytest.CaptureFixture[str], ws: Path
) -> None:
    ok(["start", "missing-tool", "--title", "Lint", "--id", "lint"], capsys)
    before = store_snapshot(ws)
    code, out, err = run_main(["check", "lint", "--run-checks", "--phase", "current"], capsys)
    assert code == 1, err
    assert "command not found: opsctl-test-no-such-linter" in flat(out)
    assert store_snapshot(ws) == before


def test_metric_check_reads_the_latest_kpi(capsys: pytest.CaptureFixture[str], ws: Path) -> None:
    ok(["start", "kpi", "--title", "KPI", "--id", "kpi-run"], capsys)
    code, out, _ = run_main(["check", "kpi-run", "--run-checks", "--phase", "current"], capsys)
    assert code == 1
    assert "no reading of KPI 'kpi-escape-rate' yet" in flat(out)
    ok(["metric", "record", "kpi-escape-rate", "7", "--period", "2026-01"], capsys)
    code, out, _ = run_main(["check", "kpi-run", "--run-checks", "--phase", "current"], capsys)
    assert code == 1
    assert "KPI kpi-escape-rate = 7 does not meet <= 5" in flat(out)
    ok(["metric", "record", "kpi-escape-rate", "4.5", "--period", "2026-02"], capsys)
    ok(["check", "kpi-run", "--run-checks", "--phase", "current"], capsys)
    escapes = load("kpi-run")["items"]["measure/escapes"]
    assert escapes["evidence"] == "automated: KPI kpi-escape-rate = 4.5 meets <= 5"


def test_run_checks_on_a_completed_run_still_reports(
    capsys: pytest.CaptureFixture[str], ws: Path
) -> None:
    extra = SOLO + (
        "      - id: extra\n"
        "        title: Extra\n"
        "        help: Optional, checked automatically.\n"
        "        owner: qa\n"
        "        required: false\n"
        '        check: {kind: file, path: "docs/RELEASE_NOTES*.md"}\n'
    )
    (ws / ".opsctl" / "frameworks" / "solo.yaml").write_text(extra, encoding="utf-8")
    ok(["start", "solo", "--title", "Done", "--id", "done-run"], capsys)
    ok(["done", "done-run", "one"], capsys)
    ok(["advance", "done-run"], capsys)
    write_notes(ws)
    before = store_snapshot(ws)
    code, out, err = run_main(["check", "done-run", "--run-checks", "--phase", "current"], capsys)
    assert (code, err) == (0, "")
    assert "all required items and sign-offs complete" in out
    assert store_snapshot(ws) == before  # a completed run is never changed


def test_run_checks_on_an_item_asking_for_link_evidence(
    capsys: pytest.CaptureFixture[str], ws: Path
) -> None:
    text = NOTES_ONLY.replace(
        "owner: product-manager\n", "owner: product-manager\n        evidence: link\n"
    )
    (ws / ".opsctl" / "frameworks" / "notes-only.yaml").write_text(text, encoding="utf-8")
    ok(["start", "notes-only", "--title", "Notes", "--id", "notes"], capsys)
    write_notes(ws)
    code, _, err = run_main(["check", "notes", "--run-checks", "--phase", "current"], capsys)
    assert (code, err) == (0, "")
    notes = load("notes")["items"]["docs/notes"]
    assert (notes["status"], notes["by"]) == ("done", "opsctl")
    assert notes["evidence"] == "automated: file docs/RELEASE_NOTES-2.4.md"


# --- GitHub step summary -----------------------------------------------------------------------


def test_github_format_appends_a_step_summary(
    capsys: pytest.CaptureFixture[str], ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = ws / "summary.md"
    summary.write_text("# earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out, _ = run_main(["check", "g", "--format", "github", "--phase", "current"], capsys)
    assert code == 1
    assert out.startswith("::error title=g/prep::prep/a is open (owner: qa)")
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("# earlier step\n## opsctl check: ❌ 3 required")
    assert "| prep | prep/a | qa | ❌ missing | open |" in text
    run_main(["check", "g", "--format", "github", "--phase", "current"], capsys)
    assert summary.read_text(encoding="utf-8").count("## opsctl check:") == 2


def test_other_formats_leave_the_step_summary_alone(
    capsys: pytest.CaptureFixture[str], ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = ws / "summary.md"
    summary.write_text("", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    run_main(["check", "g", "--format", "junit", "--phase", "current"], capsys)
    run_main(["check", "g", "--phase", "current"], capsys)
    assert summary.read_text(encoding="utf-8") == ""


# --- waivers -----------------------------------------------------------------------------------


def test_waivers_show_state_and_expiry(
    capsys: pytest.CaptureFixture[str], ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "no waivers" in ok(["waivers"], capsys)
    monkeypatch.setenv("OPSCTL_NOW", "2026-01-01T00:00:00Z")
    ok(
        ["skip", "g", "prep/a", "--reason", "covered by\nupstream", "--expires", "2026-06-30"],
        capsys,
    )
    ok(["skip", "g", "prep/b", "--reason", "not needed"], capsys)
    lines = ok(["waivers"], capsys).splitlines()
    assert lines[0].split() == ["RUN", "ITEM", "STATE", "EXPIRES", "BY", "REASON"]
    assert lines[1].split() == [
        "g",
        "prep/a",
        "active",
        "2026-06-30",
        "pm@example.com",
        "covered",
        "by",
        "upstream",
    ]
    assert lines[2].split()[:4] == ["g", "prep/b", "active", "never"]
    document = json.loads(ok(["waivers", "--format", "json"], capsys))
    assert (document["kind"], document["version"]) == ("waivers", 1)
    assert document["waivers"][0] == {
        "run": "g",
        "item": "prep/a",
        "reason": "covered by\nupstream",
        "by": "pm@example.com",
        "at": "2026-01-01T00:00:00Z",
        "expires": "2026-06-30",
        "state": "active",
    }
    monkeypatch.setenv("OPSCTL_NOW", "2030-01-01T00:00:00Z")
    lines = ok(["waivers", "g"], capsys).splitlines()
    assert lines[1].split()[:3] == ["g", "prep/a", "expired"]
    assert lines[2].split()[:3] == ["g", "prep/b", "active"]
    states = [w["state"] for w in json.loads(ok(["waivers", "-f", "json"], capsys))["waivers"]]
    assert states == ["expired", "active"]


def test_waivers_of_an_unknown_run_exit_2(capsys: pytest.CaptureFixture[str], ws: Path) -> None:
    code, _, err = run_main(["waivers", "nope"], capsys)
    assert code == 2
    assert "unknown run 'nope'" in one_line_error(err)


def test_an_expired_waiver_fails_the_check(
    capsys: pytest.CaptureFixture[str], ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSCTL_NOW", "2026-01-01T00:00:00Z")
    ok(["done", "g", "prep/a"], capsys)
    ok(["skip", "g", "prep/b", "--reason", "later", "--expires", "2026-06-30"], capsys)
    monkeypatch.setenv("OPSCTL_USER", "ops@example.com")
    ok(["approve", "g"], capsys)
    out = ok(["check", "g", "--phase", "current"], capsys)
    assert "↷ prep/b: waived by pm@example.com: later (until 2026-06-30)" in out
    monkeypatch.setenv("OPSCTL_NOW", "2030-01-01T00:00:00Z")
    before = store_snapshot(ws)
    code, out, _ = run_main(["check", "g", "--phase", "current"], capsys)
    assert code == 1
    assert "prep/b is waiver expired on 2026-06-30 (owner: product-manager)" in flat(out)
    code, out, _ = run_main(["check", "g", "--format", "github", "--phase", "current"], capsys)
    assert code == 1
    assert "::error title=g/prep::prep/b is waiver expired on 2026-06-30" in out
    assert store_snapshot(ws) == before


# --- as a real process -------------------------------------------------------------------------


def test_check_as_a_process(capsys: pytest.CaptureFixture[str], ws: Path) -> None:
    env = {"CI": "true"}
    result = opsctl_subprocess(
        ["check", "g", "-f", "junit", "-o", "out.xml", "--phase", "current"], ws, env
    )
    assert result.returncode == 1, result.stderr
    assert JUnitXml.fromfile(str(ws / "out.xml")).failures == 3
    result = opsctl_subprocess(["check", "g", "--format", "bogus", "--phase", "current"], ws, env)
    assert result.returncode == 2
    assert one_line_error(result.stderr)
    result = opsctl_subprocess(["check", "missing", "--phase", "current"], ws, env)
    assert result.returncode == 2
    assert "unknown run 'missing'" in one_line_error(result.stderr)
    ok(["done", "g", "prep/a"], capsys)
    ok(["done", "g", "prep/b", "--evidence", "x"], capsys)
    result = opsctl_subprocess(["approve", "g"], ws, {**env, "OPSCTL_USER": "ops@example.com"})
    assert result.returncode == 0, result.stderr
    result = opsctl_subprocess(["check", "--all", "--phase", "all", "-f", "github"], ws, env)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "opsctl check: all required items and sign-offs complete\n"
