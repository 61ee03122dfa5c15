"""Automated checks as a library: file, command and metric checks, and recording passes."""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from opsctl.definitions.catalog import Entry
from opsctl.definitions.model import (
    CommandCheck,
    Direction,
    FileCheck,
    Framework,
    MetricCheck,
    definition_digest,
)
from opsctl.engine.runs import new_run, set_item
from opsctl.gate.automated import (
    AUTOMATED_ACTOR,
    Outcome,
    command_refusal,
    pending_checks,
    record_passes,
    run_check,
)
from opsctl.store.documents import ItemStatus

PY = sys.executable
AT = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.timezone.utc)
TODAY = AT.date()


def no_metrics(metric_id: str) -> None:
    raise AssertionError(f"no metric should be read, got {metric_id}")


def command(*code: str, timeout: float = 10) -> CommandCheck:
    return CommandCheck(kind="command", argv=[PY, "-c", *code], timeout=timeout)


# --- file checks -----------------------------------------------------------------------------


def test_file_check_passes_on_a_glob_match(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "RELEASE_NOTES-2.4.md").write_text("notes", encoding="utf-8")
    outcome = run_check(FileCheck(kind="file", path="docs/RELEASE_NOTES*.md"), tmp_path, no_metrics)
    assert outcome == Outcome(True, "file docs/RELEASE_NOTES-2.4.md")
    assert outcome.evidence == "automated: file docs/RELEASE_NOTES-2.4.md"


def test_file_check_passes_on_a_plain_path(tmp_path: Path) -> None:
    (tmp_path / "CHANGELOG.md").write_text("x", encoding="utf-8")
    assert run_check(FileCheck(kind="file", path="CHANGELOG.md"), tmp_path, no_metrics).passed


def test_file_check_fails_without_a_match(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "NOTES.txt").write_text("x", encoding="utf-8")
    outcome = run_check(FileCheck(kind="file", path="docs/RELEASE_NOTES*.md"), tmp_path, no_metrics)
    assert not outcome.passed
    assert outcome.detail == f"no file matches 'docs/RELEASE_NOTES*.md' under {tmp_path}"


def test_file_check_ignores_folders(tmp_path: Path) -> None:
    (tmp_path / "RELEASE_NOTES.md").mkdir()
    outcome = run_check(FileCheck(kind="file", path="RELEASE_NOTES.md"), tmp_path, no_metrics)
    assert not outcome.passed


@pytest.mark.parametrize("pattern", ["/etc/passwd", "../outside.md", "docs/../../outside.md"])
def test_file_check_refuses_paths_outside_the_repository(tmp_path: Path, pattern: str) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (tmp_path / "outside.md").write_text("x", encoding="utf-8")
    outcome = run_check(FileCheck(kind="file", path=pattern), root, no_metrics)
    assert not outcome.passed
    assert outcome.detail == f"path '{pattern}' must name files below the repository root"


# --- command checks --------------------------------------------------------------------------


def test_command_exit_0_passes(tmp_path: Path) -> None:
    outcome = run_check(command("pass"), tmp_path, no_metrics)
    assert outcome.passed
    assert outcome.detail == f"'{PY} -c pass' exited 0"
    assert outcome.evidence.startswith("automated: ")


def test_command_runs_in_the_repository_root(tmp_path: Path) -> None:
    check = command("import os, sys; sys.exit(0 if os.getcwd() == sys.argv[1] else 1)")
    check = CommandCheck(kind="command", argv=[*check.argv, str(tmp_path)])
    assert run_check(check, tmp_path, no_metrics).passed


def test_command_runs_without_a_shell(tmp_path: Path) -> None:
    literal = "$HOME; exit 1 | `false` > out.txt"
    code = f"import sys; sys.exit(0 if sys.argv[1:] == [{literal!r}] else 1)"
    check = CommandCheck(kind="command", argv=[PY, "-c", code, literal])
    assert run_check(check, tmp_path, no_metrics).passed
    assert not (tmp_path / "out.txt").exists()


def test_command_gets_no_stdin(tmp_path: Path) -> None:
    started = time.monotonic()
    outcome = run_check(
        command("import sys; sys.exit(0 if sys.stdin.read() == '' else 1)", timeout=10),
        tmp_path,
        no_metrics,
    )
    assert outcome.passed
    assert time.monotonic() - started < 5


def test_command_failure_reports_the_exit_code_and_stderr_tail(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "print('stdout is not shown')\n"
        "for n in range(1, 9): sys.stderr.write(f'err line {n}\\n')\n"
        "sys.exit(3)\n"
    )
    outcome = run_check(command(script), tmp_path, no_metrics)
    assert not outcome.passed
    assert " exited with 3: " in outcome.detail
    assert outcome.detail.endswith("err line 4 | err line 5 | err line 6 | err line 7 | err line 8")
    tail = outcome.detail.split(" exited with 3: ", 1)[1]
    assert tail == "err line 4 | err line 5 | err line 6 | err line 7 | err line 8"


def test_command_failure_without_stderr(tmp_path: Path) -> None:
    outcome = run_check(command("import sys; sys.exit(2)"), tmp_path, no_metrics)
    assert not outcome.passed
    assert outcome.detail.endswith("' exited with 2")


def test_missing_command_says_command_not_found(tmp_path: Path) -> None:
    check = CommandCheck(kind="command", argv=["opsctl-test-no-such-command", "--flag"])
    outcome = run_check(check, tmp_path, no_metrics)
    assert outcome == Outcome(False, "command not found: opsctl-test-no-such-command")


def test_command_that_is_not_executable(tmp_path: Path) -> None:
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    script.chmod(0o644)
    outcome = run_check(CommandCheck(kind="command", argv=[str(script)]), tmp_path, no_metrics)
    assert not outcome.passed
    assert outcome.detail == f"cannot run '{script}': Permission denied"


def test_hanging_command_is_killed_at_its_timeout(tmp_path: Path) -> None:
    started = time.monotonic()
    outcome = run_check(command("import time; time.sleep(60)", timeout=0.5), tmp_path, no_metrics)
    elapsed = time.monotonic() - started
    assert not outcome.passed
    assert "timed out after 0.5s and was killed" in outcome.detail
    assert elapsed < 5


def _gone(pid: int, wait: float = 5.0) -> bool:
    """True once the process no longer exists (or is a zombie nobody reaped yet)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        stat = Path(f"/proc/{pid}/stat")
        try:
            if stat.read_text(encoding="utf-8").rsplit(")", 1)[1].split()[0] == "Z":
                return True
        except (OSError, IndexError):
            pass
        time.sleep(0.05)
    return False


def test_timed_out_command_process_is_really_gone(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    script = (
        "import os, sys, time\nopen(sys.argv[1], 'w').write(str(os.getpid()))\ntime.sleep(60)\n"
    )
    check = CommandCheck(kind="command", argv=[PY, "-c", script, str(pid_file)], timeout=1)
    outcome = run_check(check, tmp_path, no_metrics)
    assert "timed out" in outcome.detail
    pid = int(pid_file.read_text(encoding="utf-8"))
    deadline = time.monotonic() + 5
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, f"process {pid} still running after its timeout"
        time.sleep(0.05)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to see zombies")
def test_timed_out_command_takes_its_children_along(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    child = "import os, sys, time\nopen(sys.argv[1], 'w').write(str(os.getpid()))\ntime.sleep(60)\n"
    parent = (
        f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {child!r}, sys.argv[1]])\n"
    )
    check = CommandCheck(kind="command", argv=[PY, "-c", parent, str(pid_file)], timeout=1.5)
    started = time.monotonic()
    outcome = run_check(check, tmp_path, no_metrics)
    assert "timed out" in outcome.detail
    assert time.monotonic() - started < 6
    assert _gone(int(pid_file.read_text(encoding="utf-8")))


# --- metric checks ---------------------------------------------------------------------------


def test_metric_without_a_reading(tmp_path: Path) -> None:
    asked: list[str] = []

    def reader(metric_id: str) -> None:
        asked.append(metric_id)

    outcome = run_check(
        MetricCheck(kind="metric", metric="defect-escape-rate", threshold=5), tmp_path, reader
    )
    assert outcome == Outcome(False, "no reading of KPI 'defect-escape-rate' yet")
    assert asked == ["defect-escape-rate"]


@pytest.mark.parametrize(
    ("value", "direction", "passed", "detail"),
    [
        (5.0, Direction.LOWER, True, "KPI m = 5 meets <= 5"),
        (4.2, Direction.LOWER, True, "KPI m = 4.2 meets <= 5"),
        (5.1, Direction.LOWER, False, "KPI m = 5.1 does not meet <= 5"),
        (5.0, Direction.HIGHER, True, "KPI m = 5 meets >= 5"),
        (80.0, Direction.HIGHER, True, "KPI m = 80 meets >= 5"),
        (4.9, Direction.HIGHER, False, "KPI m = 4.9 does not meet >= 5"),
    ],
)
def test_metric_threshold_follows_the_direction(
    tmp_path: Path, value: float, direction: Direction, passed: bool, detail: str
) -> None:
    check = MetricCheck(kind="metric", metric="m", threshold=5)
    outcome = run_check(check, tmp_path, lambda _: (value, direction))
    assert outcome == Outcome(passed, detail)


# --- pending checks and recording passes -----------------------------------------------------


def _framework(**notes_extra: Any) -> Framework:
    return Framework.model_validate(
        {
            "id": "auto",
            "title": "Auto",
            "area": "Testing",
            "summary": "Automated checks.",
            "phases": [
                {
                    "id": "build",
                    "title": "Build",
                    "items": [
                        {
                            "id": "notes",
                            "title": "Notes",
                            "help": "Write notes.",
                            "owner": "qa",
                            "check": {"kind": "file", "path": "NOTES.md"},
                            **notes_extra,
                        },
                        {
                            "id": "tests",
                            "title": "Tests",
                            "help": "Run tests.",
                            "owner": "qa",
                            "check": {"kind": "command", "argv": ["true"]},
                        },
                        {"id": "manual", "title": "Manual", "help": "By hand.", "owner": "qa"},
                    ],
                    "gate": {"approvals": ["operations"]},
                },
                {
                    "id": "ship",
                    "title": "Ship",
                    "items": [
                        {
                            "id": "live",
                            "title": "Live",
                            "help": "x",
                            "owner": "operations",
                            "check": {"kind": "metric", "metric": "m", "threshold": 1},
                        }
                    ],
                },
            ],
        }
    )


def test_pending_checks_are_the_incomplete_items_with_a_check() -> None:
    framework = _framework()
    run = new_run(framework, "r", "R", None, "pm@example.com", AT)
    phases = list(framework.phases)
    assert [p.key for p in pending_checks(run, phases, TODAY)] == [
        "build/notes",
        "build/tests",
        "ship/live",
    ]
    set_item(run, framework, "build/notes", ItemStatus.DONE, "pm@example.com", AT)
    set_item(
        run,
        framework,
        "build/tests",
        ItemStatus.SKIPPED,
        "pm@example.com",
        AT,
        reason="r",
        expires=TODAY,
    )
    assert [p.key for p in pending_checks(run, phases[:1], TODAY)] == []
    later = TODAY + dt.timedelta(days=1)
    pending = pending_checks(run, phases[:1], later)
    assert [(p.run_id, p.key) for p in pending] == [("r", "build/tests")]
    assert isinstance(pending[0].check, CommandCheck)


def test_record_passes_marks_items_done_by_opsctl() -> None:
    framework = _framework()
    run = new_run(framework, "r", "R", None, "pm@example.com", AT)
    set_item(run, framework, "build/tests", ItemStatus.BLOCKED, "pm@example.com", AT, reason="x")
    record_passes(
        run,
        framework,
        [("build/notes", Outcome(True, "file NOTES.md")), ("build/tests", Outcome(True, "ok"))],
        AT,
    )
    notes = run.items["build/notes"]
    assert (notes.status, notes.by, notes.evidence) == (
        ItemStatus.DONE,
        AUTOMATED_ACTOR,
        "automated: file NOTES.md",
    )
    assert run.items["build/tests"].status is ItemStatus.DONE
    assert run.items["build/tests"].evidence == "automated: ok"
    assert run.history[-1].actor == AUTOMATED_ACTOR
    assert run.history[-1].detail["evidence"] == "automated: ok"


def test_record_passes_leaves_items_completed_meanwhile() -> None:
    framework = _framework()
    run = new_run(framework, "r", "R", None, "pm@example.com", AT)
    set_item(run, framework, "build/notes", ItemStatus.DONE, "pm@example.com", AT, evidence="me")
    events = len(run.history)
    record_passes(run, framework, [("build/notes", Outcome(True, "file NOTES.md"))], AT)
    assert run.items["build/notes"].by == "pm@example.com"
    assert run.items["build/notes"].evidence == "me"
    assert len(run.history) == events


def test_record_passes_on_an_item_asking_for_link_evidence() -> None:
    framework = _framework(evidence="link")
    run = new_run(framework, "r", "R", None, "pm@example.com", AT)
    record_passes(run, framework, [("build/notes", Outcome(True, "file NOTES.md"))], AT)
    assert run.items["build/notes"].status is ItemStatus.DONE
    assert run.items["build/notes"].evidence == "automated: file NOTES.md"


def test_file_check_ignores_symlinks_leading_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "leak.txt").symlink_to(outside)
    outcome = run_check(FileCheck(kind="file", path="*.txt"), repo, lambda _: None)
    assert not outcome.passed


def test_file_check_refuses_the_repository_itself(tmp_path: Path) -> None:
    outcome = run_check(FileCheck(kind="file", path="."), tmp_path, lambda _: None)
    assert not outcome.passed
    assert "must name files" in outcome.detail


def test_command_check_survives_stderr_that_is_not_utf8(tmp_path: Path) -> None:
    argv = [sys.executable, "-c", "import sys; sys.stderr.buffer.write(b'\\xff bad'); sys.exit(3)"]
    outcome = run_check(
        CommandCheck(kind="command", argv=argv, timeout=20), tmp_path, lambda _: None
    )
    assert not outcome.passed
    assert "exited with 3" in outcome.detail


# --- which command checks may run ------------------------------------------------------------


def test_a_refused_command_check_is_not_run(tmp_path: Path) -> None:
    check = command("import pathlib; pathlib.Path('ran.txt').write_text('x')")
    outcome = run_check(check, tmp_path, no_metrics, refused="not run: because")
    assert outcome == Outcome(False, "not run: because")
    assert not (tmp_path / "ran.txt").exists()
    (tmp_path / "NOTES.md").write_text("x", encoding="utf-8")
    file_check = FileCheck(kind="file", path="NOTES.md")
    assert run_check(file_check, tmp_path, no_metrics, refused="not run: because").passed


@pytest.mark.parametrize("builtin", [False, True])
def test_commands_run_from_the_definition_the_catalog_holds(tmp_path: Path, builtin: bool) -> None:
    framework = _framework()
    run = new_run(framework, "r", "R", None, "pm@example.com", AT)
    entry = Entry(framework, tmp_path / "auto.yaml", builtin)
    assert command_refusal(run, entry) is None

    other = _framework(required=False)
    assert definition_digest(other) != run.framework.digest
    refusal = command_refusal(run, Entry(other, tmp_path / "auto.yaml", builtin))
    assert refusal is not None
    source = "opsctl's built-in 'auto'" if builtin else str(tmp_path / "auto.yaml")
    assert refusal.startswith(
        f"not run: the run is pinned to {run.framework.digest}, not to {source};"
    )
    assert refusal.endswith(
        "command checks run only from the workspace's own framework files "
        "('opsctl upgrade r' moves the run to it)"
    )


def test_commands_never_run_without_a_catalog_entry_or_on_a_broken_history(tmp_path: Path) -> None:
    framework = _framework()
    run = new_run(framework, "r", "R", None, "pm@example.com", AT)
    assert command_refusal(run, None) == (
        "not run: no framework file of this workspace defines 'auto'; "
        "command checks run only from the workspace's own framework files"
    )
    run.title = "Edited"
    refusal = command_refusal(run, Entry(framework, tmp_path / "auto.yaml", False))
    assert refusal == (
        "not run: the run's history does not hold (r: state does not follow from the "
        "history: title is 'Edited' but the history leads to 'R')"
    )
