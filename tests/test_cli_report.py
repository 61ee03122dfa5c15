"""``opsctl report``, ``opsctl review due`` and ``opsctl demo`` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import report_fixture as fx
from helpers import ok, opsctl_subprocess, run_main
from opsctl.store.workspace import Workspace

NOW = "2026-12-05T10:00:00Z"


def reviews(root: Path) -> list[dict[str, str]]:
    document = json.loads((root / ".opsctl" / "reviews.json").read_text())
    assert (document["kind"], document["schema"]) == ("reviews", 1)
    return document["reports"]


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    built = fx.build_workspace(tmp_path / "fixture")
    monkeypatch.chdir(built.root)
    monkeypatch.setenv("OPSCTL_NOW", NOW)
    return built


# --- report --output -----------------------------------------------------------------------


def test_output_writes_the_file_and_records_the_review(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    printed = ok(["report", "monthly", "--month", "2026-11"], capsys)
    out = ok(["report", "monthly", "--month", "2026-11", "--output", "reports/2026-11.md"], capsys)
    assert "wrote reports/2026-11.md" in out
    assert "monthly review of 2026-11" in out
    written = workspace.root / "reports" / "2026-11.md"
    assert written.read_text(encoding="utf-8") == printed
    assert reviews(workspace.root) == [
        {
            "cadence": "monthly",
            "period": "2026-11",
            "path": "reports/2026-11.md",
            "by": "pm@example.com",
            "at": NOW,
        }
    ]
    ok(["report", "quarterly", "-q", "2026-q4", "-o", "reports/2026-Q4.md"], capsys)
    ok(["report", "monthly", "-m", "2026-10", "-o", "reports/2026-10.md"], capsys)
    # Writing a period again replaces its record; records stay sorted.
    ok(["report", "monthly", "--month", "2026-11", "--output", "reports/again.md"], capsys)
    assert [(r["cadence"], r["period"], r["path"]) for r in reviews(workspace.root)] == [
        ("monthly", "2026-10", "reports/2026-10.md"),
        ("monthly", "2026-11", "reports/again.md"),
        ("quarterly", "2026-Q4", "reports/2026-Q4.md"),
    ]
    assert (
        (workspace.root / "reports" / "2026-Q4.md")
        .read_text()
        .startswith("# Quarterly optimization review: 2026-Q4\n")
    )


def test_output_paths_are_recorded_relative_to_the_workspace(
    workspace: Workspace,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sub = workspace.root / "docs" / "reviews"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    ok(["report", "monthly", "--month", "2026-11", "--output", "nov.md"], capsys)
    outside = tmp_path / "outside" / "q4.md"
    ok(["report", "quarterly", "--quarter", "2026-Q4", "--output", str(outside)], capsys)
    assert outside.exists()
    assert [r["path"] for r in reviews(workspace.root)] == [
        "docs/reviews/nov.md",
        str(outside.resolve()),
    ]


def test_default_period_is_the_last_complete_one(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ok(["report", "monthly"], capsys).startswith(
        "# Monthly operations validation: 2026-11\n"
    )
    assert ok(["report", "quarterly"], capsys).startswith(
        "# Quarterly optimization review: 2026-Q3\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "monthly", "--month", "2026-13"], "--month: expected YYYY-MM"),
        (["report", "monthly", "--month", "2026-Q4"], "--month: expected YYYY-MM"),
        (["report", "monthly", "--month", "November"], "--month: expected YYYY-MM"),
        (["report", "quarterly", "--quarter", "2026-Q5"], "--quarter: expected YYYY-Qn"),
        (["report", "quarterly", "--quarter", "2026-11"], "--quarter: expected YYYY-Qn"),
        (["report", "quarterly", "--quarter", "Q4"], "--quarter: expected YYYY-Qn"),
    ],
)
def test_bad_period_exits_2(
    workspace: Workspace, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run_main([*args, "--output", "reports/x.md"], capsys)
    assert code == 2
    assert message in err
    assert out == ""
    assert not (workspace.root / "reports").exists()
    assert not (workspace.root / ".opsctl" / "reviews.json").exists()


def test_output_that_is_a_directory_exits_2(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace.root / "reports").mkdir()
    code, _, err = run_main(
        ["report", "monthly", "--month", "2026-11", "--output", "reports"], capsys
    )
    assert code == 2
    assert "is a directory" in err
    assert "Traceback" not in err
    assert not (workspace.root / ".opsctl" / "reviews.json").exists()
    assert list((workspace.root / "reports").iterdir()) == []


def test_output_under_a_file_exits_2(
    workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace.root / "plain").write_text("not a folder\n")
    code, _, err = run_main(
        ["report", "monthly", "--month", "2026-11", "--output", "plain/nov.md"], capsys
    )
    assert code == 2
    assert "--output" in err
    assert not (workspace.root / ".opsctl" / "reviews.json").exists()


def test_report_outside_a_workspace_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["report", "monthly", "--month", "2026-11"], capsys)
    assert code == 2
    assert "opsctl init" in err


# --- review due ----------------------------------------------------------------------------


def due(
    now: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, list[tuple[str, str, bool]]]:
    monkeypatch.setenv("OPSCTL_NOW", now)
    code, out, err = run_main(["review", "due"], capsys)
    assert code in (0, 1), err
    json_code, json_out, _ = run_main(["review", "due", "--format", "json"], capsys)
    assert json_code == code
    document = json.loads(json_out)
    assert (document["kind"], document["version"]) == ("reviews-due", 1)
    found = [(r["cadence"], r["period"], r["overdue"]) for r in document["reviews"]]
    return code, out, found


def test_review_due_follows_the_clock(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPSCTL_NOW", "2026-10-10T09:00:00Z")
    ok(["init"], capsys)
    # No activity yet: nothing is due.
    assert due("2027-06-01T00:00:00Z", monkeypatch, capsys)[0] == 0
    monkeypatch.setenv("OPSCTL_NOW", "2026-10-10T09:00:00Z")
    ok(["start", "release-management", "--title", "Release 3.0", "--id", "rel-3-0"], capsys)

    code, out, found = due("2026-10-31T23:00:00Z", monkeypatch, capsys)
    assert (code, found) == (0, [])
    assert "no reviews due" in out

    # October ended: its review is due, not yet overdue (14 days' grace).
    for now in ("2026-11-01T00:00:00Z", "2026-11-15T23:59:00Z"):
        code, out, found = due(now, monkeypatch, capsys)
        assert (code, found) == (0, [("monthly", "2026-10", False)])
    assert "opsctl report monthly --month 2026-10 --output reports/2026-10.md" in out
    assert " due " in f" {out} "

    code, out, found = due("2026-11-16T08:00:00Z", monkeypatch, capsys)
    assert (code, found) == (1, [("monthly", "2026-10", True)])
    assert "overdue" in out

    ok(["report", "monthly", "--month", "2026-10", "--output", "reports/2026-10.md"], capsys)
    code, out, found = due("2026-11-16T08:00:00Z", monkeypatch, capsys)
    assert (code, found, out.strip()) == (0, [], "no reviews due")

    # Two months and a quarter later: everything since is overdue, the latest month only due.
    code, out, found = due("2027-01-10T08:00:00Z", monkeypatch, capsys)
    assert code == 1
    assert found == [
        ("monthly", "2026-11", True),
        ("monthly", "2026-12", False),
        ("quarterly", "2026-Q4", False),
    ]
    code, _, found = due("2027-01-20T08:00:00Z", monkeypatch, capsys)
    assert code == 1
    assert found == [
        ("monthly", "2026-11", True),
        ("monthly", "2026-12", True),
        ("quarterly", "2026-Q4", True),
    ]
    for args in (
        ["report", "monthly", "--month", "2026-11", "--output", "reports/2026-11.md"],
        ["report", "monthly", "--month", "2026-12", "--output", "reports/2026-12.md"],
        ["report", "quarterly", "--quarter", "2026-Q4", "--output", "reports/2026-Q4.md"],
    ):
        ok(args, capsys)
    assert due("2027-01-20T08:00:00Z", monkeypatch, capsys)[:2] == (0, "no reviews due\n")


def test_review_due_counts_kpi_readings_as_activity(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPSCTL_NOW", "2026-09-03T09:00:00Z")
    ok(["init"], capsys)
    ok(["metric", "record", "delivery-success", "61", "--period", "2026-08"], capsys)
    code, _, found = due("2026-10-02T09:00:00Z", monkeypatch, capsys)
    assert (code, found) == (0, [("monthly", "2026-09", False), ("quarterly", "2026-Q3", False)])


def test_review_due_on_the_fixture(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, found = due("2026-12-05T10:00:00Z", monkeypatch, capsys)
    assert code == 1
    # First activity: KPI baselines recorded 2026-02-01.
    assert found[0] == ("monthly", "2026-02", True)
    assert ("monthly", "2026-11", False) in found
    assert ("quarterly", "2026-Q3", True) in found
    assert ("quarterly", "2026-Q4", False) not in found


# --- demo ----------------------------------------------------------------------------------


def test_demo_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "opsctl-demo"
    env = {"OPSCTL_NOW": NOW}
    result = opsctl_subprocess(["demo", str(target)], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert str(target) in result.stdout
    assert "opsctl runs" in result.stdout
    assert (target / ".opsctl" / "config.yaml").is_file()
    assert sorted(path.name for path in (target / "reports").glob("*.md")) == [
        "2026-10.md",
        "2026-11.md",
        "2026-Q3.md",
    ]
    november = (target / "reports" / "2026-11.md").read_text()
    assert november.startswith("# Monthly operations validation: 2026-11\n")
    assert "Waiting for legal review" in november

    monkeypatch.chdir(target)
    monkeypatch.setenv("OPSCTL_NOW", NOW)
    runs = ok(["runs"], capsys)
    assert {"rel-2-4", "checkout-redesign", "ops-success"} <= {
        line.split()[0] for line in runs.splitlines()[1:]
    }
    code, out, err = run_main(["check", "--all"], capsys)
    assert code == 1, (out, err)
    code, out, _ = run_main(["review", "due"], capsys)
    assert (code, out) == (0, "no reviews due\n")
    assert ok(["report", "monthly", "--month", "2026-11"], capsys) == november
    metrics = json.loads(ok(["metric", "list", "--format", "json"], capsys))
    assert {m["status"] for m in metrics["metrics"]} <= {"on track", "at risk", "off track"}

    again = opsctl_subprocess(["demo", str(target)], cwd=tmp_path, env=env)
    assert again.returncode == 2
    assert "not empty" in again.stderr
    assert "Traceback" not in again.stderr


@pytest.mark.parametrize(
    "now",
    [
        "2026-01-01T00:30:00Z",
        "2026-03-31T23:00:00Z",
        "2026-07-15T12:00:00Z",
        "2027-02-28T08:00:00Z",
    ],
)
def test_demo_leaves_no_review_due_whatever_the_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], now: str
) -> None:
    monkeypatch.setenv("OPSCTL_NOW", now)
    ok(["demo", str(tmp_path / "demo")], capsys)
    monkeypatch.chdir(tmp_path / "demo")
    assert run_main(["review", "due"], capsys)[0] == 0
    assert run_main(["check", "--all"], capsys)[0] == 1


def test_demo_into_a_non_empty_folder_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "keep.txt").write_text("mine\n")
    code, _, err = run_main(["demo", str(target)], capsys)
    assert code == 2
    assert "not empty" in err
    assert [path.name for path in target.iterdir()] == ["keep.txt"]
