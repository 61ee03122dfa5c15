"""The run commands end to end: the real entry point in-process, CliRunner and real processes."""

from __future__ import annotations

import io
import json
import os
import pty
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from helpers import REPO, ok, opsctl_subprocess, run_main
from opsctl.cli.main import app
from opsctl.store.documents import RUN_SCHEMA

MINI = """\
id: mini
title: Mini
area: Testing
summary: Two small phases for CLI tests.
phases:
  - id: prep
    title: Prepare
    items:
      - {id: check-a, title: Check A, help: Do A., owner: qa}
      - {id: check-b, title: Check B, help: Link B., owner: qa, evidence: link}
      - {id: shared, title: Shared, help: Same id in both phases., owner: qa}
    gate:
      approvals: [operations]
  - id: ship
    title: Ship
    items:
      - {id: shared, title: Shared again, help: Same id in both phases., owner: qa}
      - {id: go, title: Go, help: Go live., owner: operations}
"""

ROSTER = """\
team: "Checkout"
people:
  - {email: pm@example.com, name: Pat, roles: [product-manager]}
  - {email: ops@example.com, name: Olga, roles: [operations]}
  - {email: dir@example.com, roles: [product-director]}
"""


def run_file(run_id: str, root: Path | None = None) -> Path:
    return (root or Path.cwd()) / ".opsctl" / "runs" / f"{run_id}.json"


def load(run_id: str) -> dict:
    return json.loads(run_file(run_id).read_text(encoding="utf-8"))


def assert_one_line_error(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("opsctl: error:"), err
    assert "Traceback" not in err
    return lines[0]


def assert_refused(
    args: list[str], capsys: pytest.CaptureFixture[str], protected: Path, code: int = 2
) -> str:
    """The command exits with `code`, says so in one line, and leaves the file's bytes alone."""
    before = protected.read_bytes()
    got, out, err = run_main(args, capsys)
    assert got == code, (args, out, err)
    line = assert_one_line_error(err)
    assert protected.read_bytes() == before
    return line


@pytest.fixture
def ws(capsys: pytest.CaptureFixture[str], isolated: Path) -> Path:
    """A workspace with the `mini` framework, a roster and a run `m` of it."""
    ok(["init"], capsys)
    (isolated / ".opsctl" / "frameworks" / "mini.yaml").write_text(MINI, encoding="utf-8")
    (isolated / ".opsctl" / "config.yaml").write_text(ROSTER, encoding="utf-8")
    ok(["start", "mini", "--title", "Mini run", "--id", "m"], capsys)
    return isolated


@pytest.fixture
def rel(capsys: pytest.CaptureFixture[str], isolated: Path) -> Path:
    """A workspace with a release-management run `rel-2-4`."""
    ok(["init"], capsys)
    ok(["start", "release-management", "--title", "Release 2.4", "--id", "rel-2-4"], capsys)
    return isolated


# --- init and finding the workspace -------------------------------------------------------


def test_init_creates_the_workspace(capsys: pytest.CaptureFixture[str], isolated: Path) -> None:
    out = ok(["init", "--team", "Checkout squad"], capsys)
    assert "created" in out
    assert (isolated / ".opsctl" / "runs").is_dir()
    assert (isolated / ".opsctl" / "frameworks").is_dir()
    config = yaml.safe_load((isolated / ".opsctl" / "config.yaml").read_text(encoding="utf-8"))
    assert config["team"] == "Checkout squad"
    assert "*.lock" in (isolated / ".opsctl" / ".gitignore").read_text(encoding="utf-8")


def test_init_twice_exits_2(capsys: pytest.CaptureFixture[str], isolated: Path) -> None:
    ok(["init"], capsys)
    config = (isolated / ".opsctl" / "config.yaml").read_bytes()
    code, _, err = run_main(["init"], capsys)
    assert code == 2
    assert "already exists" in assert_one_line_error(err)
    assert (isolated / ".opsctl" / "config.yaml").read_bytes() == config


@pytest.mark.parametrize(
    "args",
    [
        ["runs"],
        ["status", "x"],
        ["log", "x"],
        ["done", "x", "item"],
        ["advance", "x"],
        ["walk", "x"],
        ["start", "release-management", "--title", "T"],
    ],
)
def test_commands_outside_a_workspace_exit_2(
    capsys: pytest.CaptureFixture[str], isolated: Path, args: list[str]
) -> None:
    code, _, err = run_main(args, capsys)
    assert code == 2
    assert "opsctl init" in assert_one_line_error(err)
    assert not (isolated / ".opsctl").exists()


def test_workspace_is_found_from_a_subfolder(
    capsys: pytest.CaptureFixture[str], rel: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = rel / "a" / "b"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    assert "rel-2-4" in ok(["runs"], capsys)


def test_workspace_option_and_environment(
    capsys: pytest.CaptureFixture[str], isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = isolated / "elsewhere"
    elsewhere.mkdir()
    ok(["init", str(elsewhere)], capsys)
    ok(["-w", str(elsewhere), "start", "release-management", "--title", "Via option"], capsys)
    assert run_file("via-option", elsewhere).exists()
    assert not (isolated / ".opsctl").exists()
    # the .opsctl folder itself is accepted too
    assert "via-option" in ok(["--workspace", str(elsewhere / ".opsctl"), "runs"], capsys)
    monkeypatch.setenv("OPSCTL_WORKSPACE", str(elsewhere))
    ok(["start", "release-management", "--title", "Via env"], capsys)
    assert run_file("via-env", elsewhere).exists()
    out = ok(["runs", "--format", "json"], capsys)
    assert [r["id"] for r in json.loads(out)["runs"]] == ["via-env", "via-option"]


def test_workspace_option_without_workspace_exits_2(
    capsys: pytest.CaptureFixture[str], isolated: Path
) -> None:
    code, _, err = run_main(["--workspace", str(isolated / "nothing"), "runs"], capsys)
    assert code == 2
    assert "opsctl init" in assert_one_line_error(err)


# --- start ------------------------------------------------------------------------------------


def test_start_with_id(capsys: pytest.CaptureFixture[str], rel: Path) -> None:
    document = load("rel-2-4")
    assert document["title"] == "Release 2.4"
    assert document["phase"] == "planning"
    assert document["created_by"] == "pm@example.com"
    assert document["schema"] == RUN_SCHEMA
    assert document["kind"] == "run"
    assert [e["action"] for e in document["history"]] == ["start"]
    digest = document["framework"]["digest"].removeprefix("sha256:")
    assert (rel / ".opsctl" / "definitions" / f"{digest}.json").is_file()


def test_start_takes_id_from_title_and_avoids_clashes(
    capsys: pytest.CaptureFixture[str], isolated: Path
) -> None:
    ok(["init"], capsys)
    out = ok(["start", "release-management", "--title", "Release 2.4"], capsys)
    assert "started release-2-4" in out
    out = ok(["start", "release-management", "--title", "Release 2.4"], capsys)
    assert "started release-2-4-2" in out
    assert run_file("release-2-4").exists()
    assert run_file("release-2-4-2").exists()


def test_start_with_a_taken_id_exits_2(capsys: pytest.CaptureFixture[str], rel: Path) -> None:
    line = assert_refused(
        ["start", "release-management", "--title", "Other", "--id", "rel-2-4"],
        capsys,
        run_file("rel-2-4"),
    )
    assert "already exists" in line


def test_start_with_due_date(capsys: pytest.CaptureFixture[str], rel: Path) -> None:
    ok(["start", "release-management", "-t", "Dated", "--due", "2030-01-31"], capsys)
    assert load("dated")["due"] == "2030-01-31"


@pytest.mark.parametrize("due", ["2026-13-01", "tomorrow", "31/01/2030"])
def test_start_with_bad_due_date_exits_2(
    capsys: pytest.CaptureFixture[str], rel: Path, due: str
) -> None:
    code, _, err = run_main(["start", "release-management", "-t", "Bad", "--due", due], capsys)
    assert code == 2
    assert "--due" in assert_one_line_error(err)
    assert not run_file("bad").exists()


def test_start_unknown_framework_exits_2(capsys: pytest.CaptureFixture[str], rel: Path) -> None:
    code, _, err = run_main(["start", "nope", "-t", "X"], capsys)
    assert code == 2
    line = assert_one_line_error(err)
    assert "unknown framework 'nope'" in line
    assert "release-management" in line
    assert not run_file("x").exists()


def test_start_bad_id_exits_2(capsys: pytest.CaptureFixture[str], rel: Path) -> None:
    code, _, err = run_main(["start", "release-management", "-t", "X", "--id", "Bad_Id"], capsys)
    assert code == 2
    assert "run id" in assert_one_line_error(err)


# --- runs, status, log --------------------------------------------------------------------------


def test_runs_text_and_json(capsys: pytest.CaptureFixture[str], rel: Path) -> None:
    out = ok(["runs"], capsys)
    assert "rel-2-4" in out
    assert "release-management" in out
    assert "1/8 planning" in out
    data = json.loads(ok(["runs", "--format", "json"], capsys))
    assert data["version"] == 1
    assert data["kind"] == "runs"
    [row] = data["runs"]
    assert row["id"] == "rel-2-4"
    assert row["phase"] == "planning"
    assert row["phase_number"] == 1
    assert row["phases"] == 8
    assert row["progress"]["complete"] == 0
    assert row["progress"]["total"] > 0
    assert row["status"] == "active"


def test_runs_empty_workspace(capsys: pytest.CaptureFixture[str], isolated: Path) -> None:
    ok(["init"], capsys)
    assert "no runs yet" in ok(["runs"], capsys)
    assert json.loads(ok(["runs", "-f", "json"], capsys))["runs"] == []


def test_status_text_and_json(capsys: pytest.CaptureFixture[str], rel: Path) -> None:
    out = ok(["status", "rel-2-4"], capsys)
    assert "Release 2.4" in out
    assert "stakeholders-aligned" in out
    assert "gate needs" in out
    data = json.loads(ok(["status", "rel-2-4", "--format", "json"], capsys))
    assert data["version"] == 1
    assert data["kind"] == "run-status"
    assert data["run"]["id"] == "rel-2-4"
    assert data["definition"]["changed"] is False
    planning = data["phases"][0]
    assert planning["current"] is True
    assert planning["gate"]["met"] is False
    assert planning["items"][0]["status"] == "open"


def test_done_skip_block_reopen(capsys: pytest.CaptureFixture[str], rel: Path) -> None:
    out = ok(["done", "rel-2-4", "planning/stakeholders-aligned", "-e", "https://wiki/1"], capsys)
    assert "planning/stakeholders-aligned is now done" in out
    ok(
        ["skip", "rel-2-4", "timeline-published", "-r", "fixed date", "--expires", "2099-01-01"],
        capsys,
    )
    ok(["block", "rel-2-4", "success-criteria-defined", "--reason", "waiting on data"], capsys)
    items = load("rel-2-4")["items"]
    assert items["planning/stakeholders-aligned"]["evidence"] == "https://wiki/1"
    assert items["planning/timeline-published"]["status"] == "skipped"
    assert items["planning/timeline-published"]["expires"] == "2099-01-01"
    assert items["planning/success-criteria-defined"]["reason"] == "waiting on data"
    ok(["reopen", "rel-2-4", "success-criteria-defined"], capsys)
    assert "planning/success-criteria-defined" not in load("rel-2-4")["items"]
    data = json.loads(ok(["status", "rel-2-4", "-f", "json"], capsys))
    states = {
        item["key"]: item["status"] for item in data["phases"][0]["items"] if item["applicable"]
    }
    assert states == {
        "planning/stakeholders-aligned": "done",
        "planning/timeline-published": "skipped",
        "planning/success-criteria-defined": "open",
        "planning/change-classified": "open",
    }


def test_advance_refuses_with_exit_1_listing_missing(
    capsys: pytest.CaptureFixture[str], rel: Path
) -> None:
    ok(["done", "rel-2-4", "stakeholders-aligned", "-e", "https://wiki/1"], capsys)
    before = load("rel-2-4")
    code, _, err = run_main(["advance", "rel-2-4"], capsys)
    assert code == 1
    line = assert_one_line_error(err)
    assert "planning/timeline-published" in line
    assert "planning/success-criteria-defined" in line
    assert "stakeholders-aligned" not in line
    after = load("rel-2-4")
    assert after["phase"] == "planning"
    assert after["items"] == before["items"]
    assert after["history"][:-1] == before["history"]
    refusal = after["history"][-1]
    assert refusal["action"] == "advance-refused"
    assert "planning/timeline-published" in refusal["detail"]["missing"]


def test_advance_moves_on(capsys: pytest.CaptureFixture[str], rel: Path) -> None:
    ok(["done", "rel-2-4", "stakeholders-aligned", "-e", "https://wiki/1"], capsys)
    ok(["done", "rel-2-4", "timeline-published", "-e", "https://wiki/2"], capsys)
    ok(["done", "rel-2-4", "success-criteria-defined", "-e", "adoption 20%"], capsys)
    ok(["done", "rel-2-4", "change-classified", "-e", "normal change, low risk"], capsys)
    assert "now in phase 'coordination'" in ok(["advance", "rel-2-4"], capsys)
    assert load("rel-2-4")["phase"] == "coordination"


def test_log_text_and_json(capsys: pytest.CaptureFixture[str], rel: Path) -> None:
    ok(["done", "rel-2-4", "stakeholders-aligned", "-e", "https://wiki/1"], capsys)
    ok(["block", "rel-2-4", "timeline-published", "-r", "blocked on legal"], capsys)
    out = ok(["log", "rel-2-4"], capsys)
    assert "start" in out
    assert "done" in out
    assert "blocked" in out
    assert "pm@example.com" in out
    data = json.loads(ok(["log", "rel-2-4", "--format", "json"], capsys))
    assert data["kind"] == "run-log"
    assert data["version"] == 1
    assert data["run"] == "rel-2-4"
    assert [e["action"] for e in data["events"]] == ["start", "done", "blocked"]
    assert data["events"][1]["item"] == "planning/stakeholders-aligned"
    last = json.loads(ok(["log", "rel-2-4", "-n", "1", "-f", "json"], capsys))
    assert [e["action"] for e in last["events"]] == ["blocked"]


def test_fixed_time_and_actor_are_recorded(
    capsys: pytest.CaptureFixture[str], rel: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSCTL_NOW", "2030-05-06T07:08:09Z")
    monkeypatch.setenv("OPSCTL_USER", "qa@example.com")
    ok(["done", "rel-2-4", "stakeholders-aligned", "-e", "https://wiki/1"], capsys)
    event = load("rel-2-4")["history"][-1]
    assert event["actor"] == "qa@example.com"
    assert event["at"].startswith("2030-05-06T07:08:09")


# --- bad input: exit 2, one line, file untouched ---------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["done", "nope", "check-a"], "unknown run 'nope'"),
        (["status", "nope"], "unknown run 'nope'"),
        (["done", "m", "no-such-item"], "unknown item 'no-such-item'"),
        (["done", "m", "prep/no-such-item"], "unknown item 'no-such-item' in phase 'prep'"),
        (["done", "m", "nophase/check-a"], "unknown phase 'nophase'"),
        (["done", "m", "shared"], "ambiguous"),
        (["skip", "m", "check-a"], "--reason: skip needs a reason"),
        (["block", "m", "check-a"], "--reason: block needs a reason"),
        (["skip", "m", "check-a", "-r", "x", "--expires", "2026-02-30"], "--expires"),
        (["skip", "m", "check-a", "-r", "x", "--expires", "soon"], "expected YYYY-MM-DD"),
        (["done", "m", "check-b"], "asks for link evidence"),
        (["done", "m", "check-b", "-e", "not-a-link"], "needs a link"),
        (["reopen", "m", "check-a"], "already open"),
        (["status", "Bad_Id"], "run id"),
        (["approve", "m", "--phase", "ship"], "is not reached yet"),
    ],
)
def test_bad_input_exits_2_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], ws: Path, args: list[str], expected: str
) -> None:
    line = assert_refused(args, capsys, run_file("m"))
    assert expected in line


def _complete_mini(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    ok(["done", "m", "check-a"], capsys)
    ok(["done", "m", "check-b", "-e", "https://ci/1"], capsys)
    ok(["done", "m", "prep/shared"], capsys)
    monkeypatch.setenv("OPSCTL_USER", "ops@example.com")
    ok(["approve", "m"], capsys)
    monkeypatch.setenv("OPSCTL_USER", "pm@example.com")
    ok(["advance", "m"], capsys)
    ok(["done", "m", "ship/shared"], capsys)
    ok(["done", "m", "go"], capsys)
    assert "run completed" in ok(["advance", "m"], capsys)


def test_completed_run_refuses_changes(
    capsys: pytest.CaptureFixture[str], ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _complete_mini(capsys, monkeypatch)
    assert load("m")["status"] == "completed"
    for args in (
        ["advance", "m"],
        ["reopen", "m", "go"],
        ["done", "m", "check-a"],
        ["approve", "m"],
    ):
        assert "completed" in assert_refused(args, capsys, run_file("m"))
    assert "run completed" in ok(["status", "m"], capsys)


# --- approvals --------------------------------------------------------------------------------


def test_approve_with_a_roster(
    capsys: pytest.CaptureFixture[str], ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(["done", "m", "check-a"], capsys)
    ok(["done", "m", "check-b", "-e", "https://ci/1"], capsys)
    ok(["done", "m", "prep/shared"], capsys)
    code, _, err = run_main(["advance", "m"], capsys)
    assert code == 1
    assert "sign-off by operations" in assert_one_line_error(err)
    line = assert_refused(["approve", "m"], capsys, run_file("m"), code=1)
    assert "pm@example.com may not sign off" in line
    assert "ops@example.com" in line

    monkeypatch.setenv("OPSCTL_USER", "ops@example.com")
    out = ok(["approve", "m", "-m", "looks fine"], capsys)
    assert "phase 'prep' approved as operations" in out
    [approval] = load("m")["approvals"]
    assert approval["by"] == "ops@example.com"
    assert approval["comment"] == "looks fine"
    before = run_file("m").read_bytes()
    again = ok(["approve", "m"], capsys)
    assert "already signed off by ops@example.com (operations)" in again
    assert run_file("m").read_bytes() == before

    monkeypatch.setenv("OPSCTL_USER", "pm@example.com")
    ok(["reopen", "m", "check-a"], capsys)
    assert load("m")["approvals"][0]["voided"]
    ok(["done", "m", "check-a"], capsys)
    data = json.loads(ok(["status", "m", "-f", "json"], capsys))
    assert data["phases"][0]["gate"]["approvals_missing"] == ["operations"]
    assert run_main(["advance", "m"], capsys)[0] == 1
    assert load("m")["phase"] == "prep"


# --- upgrade after the definition changed ----------------------------------------------------


def test_upgrade_after_a_workspace_override_changed(
    capsys: pytest.CaptureFixture[str], rel: Path
) -> None:
    ok(["done", "rel-2-4", "stakeholders-aligned", "-e", "https://wiki/1"], capsys)
    ok(["done", "rel-2-4", "timeline-published", "-e", "https://wiki/2"], capsys)
    assert "already follows" in ok(["upgrade", "rel-2-4"], capsys)

    override = rel / ".opsctl" / "frameworks" / "release-management.yaml"
    shutil.copy(REPO / "frameworks" / "release-management.yaml", override)
    data = yaml.safe_load(override.read_text(encoding="utf-8"))
    planning = data["phases"][0]
    planning["items"] = [i for i in planning["items"] if i["id"] != "timeline-published"]
    planning["items"].append(
        {"id": "risks-listed", "title": "Risks listed", "help": "List them.", "owner": "qa"}
    )
    override.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    status = json.loads(ok(["status", "rel-2-4", "-f", "json"], capsys))
    assert status["definition"]["changed"] is True
    assert "definition changed" in ok(["status", "rel-2-4"], capsys)

    out = ok(["upgrade", "rel-2-4"], capsys)
    assert "added: planning/risks-listed" in out
    assert "removed: planning/timeline-published" in out

    status = json.loads(ok(["status", "rel-2-4", "-f", "json"], capsys))
    assert status["definition"]["changed"] is False
    states = {
        item["key"]: item["status"] for item in status["phases"][0]["items"] if item["applicable"]
    }
    assert states == {
        "planning/stakeholders-aligned": "done",
        "planning/success-criteria-defined": "open",
        "planning/change-classified": "open",
        "planning/risks-listed": "open",
    }
    document = load("rel-2-4")
    assert "planning/timeline-published" not in document["items"]
    assert document["history"][-1]["action"] == "upgrade"
    assert "already follows" in ok(["upgrade", "rel-2-4"], capsys)


# --- corrupt store --------------------------------------------------------------------------


def _break_truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _break_invalid(path: Path) -> None:
    path.write_text('{"schema": 1, "id": "m",,}\n', encoding="utf-8")


def _break_schema(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    document["status"] = "weird"
    path.write_text(json.dumps(document), encoding="utf-8")


def _break_conflict(path: Path) -> None:
    line = '  "phase": "prep",\n'
    text = path.read_text(encoding="utf-8")
    assert line in text
    conflict = f"<<<<<<< HEAD\n{line}=======\n{line.replace('prep', 'ship')}>>>>>>> theirs\n"
    path.write_text(text.replace(line, conflict), encoding="utf-8")


@pytest.mark.parametrize(
    ("breaker", "expected"),
    [
        (_break_truncated, "not valid JSON"),
        (_break_invalid, "not valid JSON"),
        (_break_schema, "status"),
        (_break_conflict, "conflict markers"),
    ],
)
def test_corrupt_run_file(
    capsys: pytest.CaptureFixture[str], ws: Path, breaker, expected: str
) -> None:
    ok(["start", "mini", "--title", "Good", "--id", "good"], capsys)
    bad = run_file("m")
    breaker(bad)
    for args in (["status", "m"], ["done", "m", "check-a"], ["log", "m"], ["advance", "m"]):
        line = assert_refused(args, capsys, bad)
        assert str(bad) in line
        assert expected in line

    ok(["done", "good", "check-a"], capsys)
    assert "good" in ok(["status", "good"], capsys)

    before = bad.read_bytes()
    code, out, err = run_main(["runs"], capsys)
    assert code == 2
    assert "good" in out
    assert assert_one_line_error(err).startswith(f"opsctl: error: {bad}")
    code, out, err = run_main(["runs", "-f", "json"], capsys)
    assert code == 2
    assert [r["id"] for r in json.loads(out)["runs"]] == ["good"]
    assert str(bad) in assert_one_line_error(err)
    assert bad.read_bytes() == before


def test_run_from_a_newer_opsctl(capsys: pytest.CaptureFixture[str], ws: Path) -> None:
    path = run_file("m")
    path.write_text('{"schema": 99}\n', encoding="utf-8")
    line = assert_refused(["status", "m"], capsys, path)
    assert str(path) in line
    assert "newer opsctl" in line
    assert_refused(["done", "m", "check-a"], capsys, path)


def test_run_file_with_a_mismatched_id(capsys: pytest.CaptureFixture[str], ws: Path) -> None:
    shutil.copy(run_file("m"), run_file("copy"))
    line = assert_refused(["status", "copy"], capsys, run_file("copy"))
    assert "does not match the file name" in line


def test_runs_survives_a_stray_json_file(capsys: pytest.CaptureFixture[str], ws: Path) -> None:
    shutil.copy(run_file("m"), run_file("m").with_name("Copy of m.json"))
    code, out, err = run_main(["runs", "-f", "json"], capsys)
    assert code == 2
    assert [row["id"] for row in json.loads(out)["runs"]] == ["m"]
    assert "Copy of m" in assert_one_line_error(err)


def test_runs_survives_a_missing_definition(capsys: pytest.CaptureFixture[str], ws: Path) -> None:
    ok(["start", "release-management", "--title", "Other", "--id", "other"], capsys)
    digest = load("m")["framework"]["digest"].removeprefix("sha256:")
    definition = ws / ".opsctl" / "definitions" / f"{digest}.json"
    definition.unlink()
    code, out, err = run_main(["runs", "-f", "json"], capsys)
    assert code == 2
    assert [row["id"] for row in json.loads(out)["runs"]] == ["other"]
    assert str(definition) in assert_one_line_error(err)


# --- walk -------------------------------------------------------------------------------------


WALK_PLANNING = (
    "d\nhttps://wiki/1\n\nd\nhttps://wiki/2\nnote two\nd\nadoption 20%\n\n"
    "d\nnormal change, low risk\n\ny\n"
)


def test_walk_records_answers_and_offers_advance(cli: CliRunner, rel: Path) -> None:
    result = cli.invoke(app, ["walk", "rel-2-4"], input=WALK_PLANNING)
    assert result.exit_code == 0, result.output
    assert result.output.count("recorded: done") == 4
    assert "advance to the next phase?" in result.output
    assert "end of input" in result.output
    document = load("rel-2-4")
    assert document["phase"] == "coordination"
    items = document["items"]
    assert items["planning/stakeholders-aligned"]["evidence"] == "https://wiki/1"
    assert items["planning/timeline-published"]["note"] == "note two"
    assert items["planning/success-criteria-defined"]["evidence"] == "adoption 20%"
    assert [e["action"] for e in document["history"]][-1] == "advance"


def test_walk_skip_block_later_and_bad_answers(cli: CliRunner, rel: Path) -> None:
    answers = "x\nl\ns\n\nfixed date\n2099-01-01\nb\nno data\nl\n"
    result = cli.invoke(app, ["walk", "rel-2-4"], input=answers)
    assert result.exit_code == 0, result.output
    assert "please answer d, s, b, a, l or q" in result.output
    assert "an answer is needed here" in result.output
    items = load("rel-2-4")["items"]
    assert "planning/stakeholders-aligned" not in items
    assert items["planning/timeline-published"]["status"] == "skipped"
    assert items["planning/timeline-published"]["expires"] == "2099-01-01"
    assert items["planning/success-criteria-defined"]["status"] == "blocked"
    assert "gate needs" in result.output
    assert "advance to the next phase?" not in result.output


def test_walk_invalid_evidence_asks_again(cli: CliRunner, rel: Path) -> None:
    result = cli.invoke(app, ["walk", "rel-2-4"], input="d\nnot a link\n\nd\nhttps://ok\n\nq\n")
    assert result.exit_code == 0, result.output
    assert "needs a link" in result.output
    items = load("rel-2-4")["items"]
    assert items["planning/stakeholders-aligned"]["evidence"] == "https://ok"
    assert len(items) == 1


def test_walk_re_asks_an_answer_it_does_not_understand(cli: CliRunner, rel: Path) -> None:
    answers = WALK_PLANNING.replace("\ny\n", "\nmaybe\nyes\n")
    result = cli.invoke(app, ["walk", "rel-2-4"], input=answers)
    assert result.exit_code == 0, result.output
    assert "please answer y or n" in result.output
    assert load("rel-2-4")["phase"] == "coordination"


def test_walk_refuses_a_misspelt_scheme_and_a_past_expiry(cli: CliRunner, rel: Path) -> None:
    answers = (
        "d\nhtps://wiki/rel-2-4\nhttps://wiki.example.com/rel-2-4\n\ns\nfixed\n2020-01-01\n\nq\n"
    )
    result = cli.invoke(app, ["walk", "rel-2-4"], input=answers)
    assert result.exit_code == 0, result.output
    assert "needs a link: an http(s) URL with a host" in result.output
    assert "2020-01-01 is in the past" in result.output
    items = load("rel-2-4")["items"]
    assert items["planning/stakeholders-aligned"]["evidence"] == "https://wiki.example.com/rel-2-4"
    assert items["planning/timeline-published"]["status"] == "skipped"
    assert "expires" not in items["planning/timeline-published"]


def test_walk_with_empty_input_exits_2(
    capsys: pytest.CaptureFixture[str], rel: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    line = assert_refused(["walk", "rel-2-4"], capsys, run_file("rel-2-4"))
    assert "walk is interactive" in line


def test_walk_unknown_run_exits_2(
    capsys: pytest.CaptureFixture[str], rel: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("d\n"))
    line = assert_refused(["walk", "nope"], capsys, run_file("rel-2-4"))
    assert "unknown run 'nope'" in line


def test_walk_subprocess_with_piped_input(rel: Path) -> None:
    result = opsctl_subprocess(["walk", "rel-2-4"], rel, input_text=WALK_PLANNING)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    document = load("rel-2-4")
    assert document["phase"] == "coordination"
    assert len(document["items"]) == 4


def test_walk_subprocess_with_empty_input(rel: Path) -> None:
    result = opsctl_subprocess(["walk", "rel-2-4"], rel, input_text="")
    assert result.returncode == 2
    assert_one_line_error(result.stderr)


def _wait_for_recorded(key: str, process: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if key in load("rel-2-4")["items"]:
                return True
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    return False


def _interrupt_and_check(process: subprocess.Popen, key: str, wait: float) -> None:
    try:
        assert _wait_for_recorded(key, process, wait), (
            "the first answer was not saved while the walk was still running"
        )
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert load("rel-2-4")["items"][key]["status"] == "done"


def _default_sigint() -> None:
    """In the child: Ctrl-C interrupts, even when the test process was started ignoring SIGINT.

    A background job of a non-interactive shell starts with SIGINT ignored, and a
    child inherits that; the walk must see the signal as a user's terminal sends it.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_walk_ctrl_c_at_a_terminal_keeps_recorded_items(rel: Path) -> None:
    """Ctrl-C while the walk waits at a terminal (a pty) exits 130 and keeps answers."""
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "opsctl", "walk", "rel-2-4"],
        stdin=secondary,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
    )
    os.close(secondary)
    try:
        os.write(primary, b"d\nhttps://wiki/1\n\n")
        _interrupt_and_check(process, "planning/stakeholders-aligned", wait=20)
    finally:
        os.close(primary)
    assert "planning/timeline-published" not in load("rel-2-4")["items"]


def test_walk_ctrl_c_with_piped_stdin_keeps_recorded_items(rel: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "opsctl", "walk", "rel-2-4"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
    )
    assert process.stdin is not None
    process.stdin.write("d\nhttps://wiki/1\n\n")
    process.stdin.flush()
    _interrupt_and_check(process, "planning/stakeholders-aligned", wait=3)


def test_file_evidence_must_exist_inside_the_repository(
    capsys: pytest.CaptureFixture[str], isolated: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    ok(["init"], capsys)
    framework = FILE_EVIDENCE_FRAMEWORK
    (isolated / ".opsctl" / "frameworks" / "f.yaml").write_text(framework, encoding="utf-8")
    ok(["start", "files", "--title", "F", "--id", "f"], capsys)
    outside = tmp_path_factory.mktemp("outside") / "plan.md"
    outside.write_text("x", encoding="utf-8")
    line = assert_refused(["done", "f", "plan", "-e", str(outside)], capsys, run_file("f"))
    assert "is outside the repository" in line
    line = assert_refused(["done", "f", "plan", "-e", "missing.md"], capsys, run_file("f"))
    assert "--evidence: file 'missing.md' does not exist" in line
    (isolated / "docs").mkdir()
    (isolated / "docs" / "rollback.md").write_text("steps", encoding="utf-8")
    ok(["done", "f", "plan", "-e", "docs/../docs/rollback.md"], capsys)
    assert load("f")["items"]["only/plan"]["evidence"] == "docs/rollback.md"


FILE_EVIDENCE_FRAMEWORK = """\
id: files
title: Files
area: Testing
summary: One item that asks for a file.
phases:
  - id: only
    title: Only
    items:
      - {id: plan, title: Rollback plan, help: Write it., owner: operations, evidence: file}
"""
