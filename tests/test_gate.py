"""The CI gate a team keeps switched on: broken or late by default, more for releases.

Through the real entry point, with real files: a fresh run passes; a passed
phase that regressed, a run past due, a lapsed waiver fail; release jobs
demand --through or --complete, optionally for the runs linked to a git ref;
anything unreadable fails closed (exit 2) in every command and still reaches
JUnit and GitHub output.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from junitparser import JUnitXml

from helpers import ok, run_main, two_phase_framework

ROSTER = [("dir@example.com", "product-director"), ("ops@example.com", "operations")]
FRAMEWORK = two_phase_framework(ship_gate={"approvals": ["operations"]})


def code_of(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run_main(args, capsys)


@pytest.fixture
def ws(isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OPSCTL_NOW", "2026-03-02T09:00:00Z")
    ok(["init"], capsys)
    (isolated / ".opsctl" / "frameworks" / "signed.yaml").write_text(FRAMEWORK, encoding="utf-8")
    for email, role in ROSTER:
        ok(["team", "add", email, "--role", role], capsys)
    ok(["start", "signed", "--title", "Release 1", "--id", "rel-1", "--due", "2026-03-20"], capsys)
    return isolated


def pass_plan(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    ok(["done", "rel-1", "scope"], capsys)
    ok(["done", "rel-1", "risks"], capsys)
    monkeypatch.setenv("OPSCTL_USER", "dir@example.com")
    ok(["approve", "rel-1"], capsys)
    monkeypatch.setenv("OPSCTL_USER", "pm@example.com")
    ok(["advance", "rel-1"], capsys)


def test_a_fresh_run_passes_the_default_gate(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = ok(["check", "--all"], capsys)
    assert "rel-1 · signed · phase plan: in progress" in out
    assert "opsctl check: nothing broken or late" in out


def test_a_passed_phase_whose_item_is_reopened_fails_naming_it(
    ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pass_plan(capsys, monkeypatch)
    ok(["check", "--all"], capsys)
    ok(["reopen", "rel-1", "plan/risks"], capsys)
    code, out, _ = code_of(["check", "--all"], capsys)
    assert code == 1
    assert "plan/risks is open, after phase 'plan' was passed (owner: product-manager)" in out
    assert "sign-off by product-director is missing" in out


def test_a_run_past_due_with_items_open_fails(
    ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSCTL_NOW", "2026-03-21T09:00:00Z")
    code, out, _ = code_of(["check", "--all", "--format", "json"], capsys)
    assert code == 1
    [run] = json.loads(out)["runs"]
    assert run["problems"] == ["is past its due date 2026-03-20 with required items open"]
    assert {item["result"] for item in run["phases"][0]["items"]} == {"failed"}


def test_a_lapsed_waiver_in_the_current_phase_fails(
    ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(["skip", "rel-1", "risks", "--reason", "later", "--expires", "2026-03-05"], capsys)
    ok(["check", "--all"], capsys)
    monkeypatch.setenv("OPSCTL_NOW", "2026-03-06T09:00:00Z")
    code, out, _ = code_of(["check", "rel-1"], capsys)
    assert code == 1
    assert "plan/risks is waiver expired on 2026-03-05" in out


def test_complete_fails_on_an_unfinished_run(
    ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pass_plan(capsys, monkeypatch)
    code, out, _ = code_of(["check", "rel-1", "--complete"], capsys)
    assert code == 1
    assert "rel-1 has not passed every phase yet; it is in phase 'ship'" in out


def test_through_passes_once_the_run_has_passed_the_phase(
    ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = code_of(["check", "rel-1", "--through", "plan"], capsys)
    assert code == 1
    assert "rel-1 has not passed phase 'plan' yet; it is in phase 'plan'" in out
    pass_plan(capsys, monkeypatch)
    out = ok(["check", "rel-1", "--through", "plan"], capsys)
    assert "all required items and sign-offs complete" in out
    code, _, err = code_of(["check", "rel-1", "--through", "launch"], capsys)
    assert code == 2
    assert "unknown phase 'launch'" in err


def test_complete_passes_for_a_finished_run(
    ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pass_plan(capsys, monkeypatch)
    ok(["done", "rel-1", "deploy"], capsys)
    ok(["done", "rel-1", "notes"], capsys)
    monkeypatch.setenv("OPSCTL_USER", "ops@example.com")
    ok(["approve", "rel-1"], capsys)
    ok(["advance", "rel-1"], capsys)
    out = ok(["check", "rel-1", "--complete"], capsys)
    assert "all required items and sign-offs complete" in out


def test_ref_selects_linked_runs_and_refuses_an_unlinked_ref(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok(["start", "signed", "--title", "Release 2", "--id", "rel-2", "--ref", "v2.0"], capsys)
    ok(["link", "rel-1", "--ref", "refs/tags/v1.0"], capsys)
    assert "already linked" in ok(["link", "rel-1", "--ref", "v1.0"], capsys)
    code, out, _ = code_of(["check", "--ref", "refs/tags/v1.0", "--complete", "-f", "json"], capsys)
    assert code == 1
    assert [run["id"] for run in json.loads(out)["runs"]] == ["rel-1"]
    code, _, err = code_of(["check", "--ref", "refs/tags/v3.0", "--complete"], capsys)
    assert code == 1
    assert "no run is linked to v3.0" in err
    out = ok(["check", "--ref", "v3.0", "--complete", "--allow-unlinked"], capsys)
    assert "no run is linked to v3.0; allowed" in out
    assert ok(["audit", "verify"], capsys).count("intact") == 2


def test_a_ref_must_be_a_ref_name(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (ws / ".opsctl" / "runs" / "rel-1.json").read_bytes()
    code, _, err = code_of(["link", "rel-1", "--ref", "two words"], capsys)
    assert code == 2
    assert "--ref: 'two words' is not a git ref name" in err
    assert (ws / ".opsctl" / "runs" / "rel-1.json").read_bytes() == before


@pytest.mark.parametrize("damage", ["config", "runs-file", "runs-missing", "truncated"])
@pytest.mark.parametrize(
    "command", [["check", "--all"], ["sync-check"], ["status", "rel-1"], ["runs"]]
)
def test_anything_unreadable_is_exit_2_everywhere(
    ws: Path, capsys: pytest.CaptureFixture[str], damage: str, command: list[str]
) -> None:
    broken = _damage(ws, damage)
    code, _, err = code_of(command, capsys)
    assert code == 2, err
    assert str(broken) in err
    assert "Traceback" not in err


@pytest.mark.parametrize("damage", ["config", "runs-file", "truncated"])
def test_ci_formats_carry_the_error_and_the_file_is_written(
    ws: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    broken = _damage(ws, damage)
    report = ws / "opsctl.xml"
    code, _, err = code_of(["check", "--all", "-f", "junit", "-o", str(report)], capsys)
    assert code == 2
    assert str(broken) in err
    suites = list(JUnitXml.fromfile(str(report)))
    [inputs] = [suite for suite in suites if suite.name == "opsctl inputs"]
    assert inputs.errors >= 1
    [case, *_] = list(inputs)
    assert case.name == str(broken)
    assert str(broken) in case.result[0].message
    code, out, _ = code_of(["check", "--all", "-f", "github"], capsys)
    assert code == 2
    assert f"::error file={broken}::" in out


def _damage(ws: Path, damage: str) -> Path:
    store = ws / ".opsctl"
    if damage == "config":
        (store / "config.yaml").write_text("people: [\n", encoding="utf-8")
        return store / "config.yaml"
    runs = store / "runs"
    if damage == "truncated":
        run = runs / "rel-1.json"
        run.write_text(run.read_text(encoding="utf-8")[:200], encoding="utf-8")
        return run
    for path in runs.iterdir():
        path.unlink()
    runs.rmdir()
    if damage == "runs-file":
        runs.write_text("not a folder", encoding="utf-8")
    return runs
