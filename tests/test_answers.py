"""Kept answers (``.opsctl/cache/answers/``) never change what a read command prints.

``runs``, ``status``, ``frameworks list``, ``metric list``, ``todo`` and
``check`` print a kept answer while nothing they read has changed. Each is
compared, cold and warm, with the cache bypassed (``OPSCTL_NO_CACHE=1``)
after every kind of change to what it reads: the run, its pinned
definition, the configuration, a framework file, the KPI readings, the date
and the terminal it draws for. Kept entries edited, swapped, planted or
made with another user's key are misses.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import DEMO_NOW as NOW
from helpers import process_ok, run_main, settle
from opsctl.actions.session import Session
from opsctl.actions.sources import catalog_source, metrics_source, status_source, todo_source
from opsctl.cli.answers import answer
from opsctl.store.answers import FOLDER, KEPT_ANSWERS, Chunk, decode_chunks, encode_chunks
from opsctl.store.cache import ENV_NO_CACHE

JSON = ["--format", "json"]
KEPT = [
    ["runs"],
    ["runs", "--status", "active", *JSON],
    ["runs", "--framework", "release-management"],
    ["runs", "--assignee", "qa@example.com"],
    ["status", "rel-2-4"],
    ["status", "checkout-redesign", "--all"],
    ["status", "checkout-redesign", *JSON],
    ["frameworks", "list"],
    ["frameworks", "list", *JSON],
    ["metric", "list"],
    ["metric", "list", *JSON],
    ["todo"],
    ["todo", "--person", "qa@example.com", *JSON],
    ["check", "rel-2-4"],
    ["check", "--all"],  # fails (exit 1, a run is overdue): kept with its exit code
    ["check", "--all", "--complete", *JSON],
    ["check", "checkout-redesign", "--format", "junit"],
]


@pytest.fixture
def workspace(demo_copy: Path) -> Path:
    """A fresh copy of the demo, with no cache, as the current folder."""
    return demo_copy


def printed(capsys: pytest.CaptureFixture[str]) -> list[tuple[int, str, str]]:
    """Exit code, stdout and stderr of every command that keeps its answer."""
    return [run_main(args, capsys) for args in KEPT]


def truth(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> list[tuple[int, str, str]]:
    """What the commands print with every cache bypassed."""
    monkeypatch.setenv(ENV_NO_CACHE, "1")
    try:
        return printed(capsys)
    finally:
        monkeypatch.delenv(ENV_NO_CACHE)


def kept_files(root: Path) -> list[Path]:
    """The kept answers' files."""
    return sorted((root / ".opsctl" / "cache" / FOLDER).glob("[!.]*"))


def assert_kept_and_true(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cold (keeps) and warm (served) answers are what the files alone say."""
    expected = truth(capsys, monkeypatch)
    assert printed(capsys) == expected
    assert printed(capsys) == expected


def test_kept_answers_are_what_the_files_say(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settle()  # the run files are old enough for runs to keep its answers
    expected = truth(capsys, monkeypatch)
    failing = [args for args, (code, _, _) in zip(KEPT, expected, strict=True) if code == 1]
    assert failing == KEPT[-3:]  # the checks over overdue runs fail; every other read passes
    assert all(code in (0, 1) for code, _, _ in expected)
    assert not kept_files(workspace)
    assert printed(capsys) == expected
    assert len(kept_files(workspace)) == len(KEPT)
    assert printed(capsys) == expected


def test_a_kept_answer_is_printed_without_loading_the_runs_or_rich(workspace: Path) -> None:
    """A warm ``status`` imports neither the run models nor Rich: the point of keeping it."""
    probe = (
        "import sys\n"
        "from opsctl.cli.main import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "loaded = [m for m in ('opsctl.store.documents', 'opsctl.definitions.model', "
        "'rich.console') if m in sys.modules]\n"
        "sys.stderr.write('LOADED=' + ','.join(loaded))\n"
    )
    env = {**os.environ, "OPSCTL_NOW": NOW}
    env.pop(ENV_NO_CACHE, None)

    def loaded(args: list[str]) -> tuple[str, str]:
        done = subprocess.run(
            [sys.executable, "-c", probe, *args],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout, done.stderr.rpartition("LOADED=")[2]

    for args in (["status", "rel-2-4"], ["metric", "list"], ["frameworks", "list"]):
        cold_out, cold_loaded = loaded(args)
        warm_out, warm_loaded = loaded(args)
        assert warm_out == cold_out
        assert "opsctl.definitions.model" in cold_loaded
        assert warm_loaded == "", (args, warm_loaded)


CHANGES = {
    "a run": lambda root: process_ok(
        ["done", "rel-2-4", "deployment-coordinated", "--evidence", "x"], root
    ),
    "the configuration": lambda root: (root / ".opsctl" / "config.yaml").write_text(
        (root / ".opsctl" / "config.yaml")
        .read_text()
        .replace("Dana Director", "Dora Director")
        .replace("roles: []", "roles: [legal]")
    ),
    "a framework file": lambda root: shutil.copy(
        Path(__file__).parent / "fixtures" / "valid" / "minimal.yaml",
        root / ".opsctl" / "frameworks" / "extra.yaml",
    ),
    "the KPI readings": lambda root: process_ok(
        ["metric", "record", "development-efficiency", "12", "--period", "2026-11"], root
    ),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_to_what_a_command_reads_is_a_miss(
    change: str,
    workspace: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = printed(capsys)
    CHANGES[change](workspace)
    expected = truth(capsys, monkeypatch)
    assert expected != before
    assert printed(capsys) == expected


def test_another_day_is_a_miss(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = printed(capsys)
    monkeypatch.setenv("OPSCTL_NOW", "2027-02-20T09:00:00Z")
    expected = truth(capsys, monkeypatch)
    assert expected != before  # due dates passed: more runs overdue
    assert printed(capsys) == expected


def test_another_terminal_is_a_miss(workspace: Path) -> None:
    """Drawn for a terminal (real processes: Rich sizes its console once per process)."""

    def drawn(**env: str) -> list[str]:
        env = {"OPSCTL_NOW": NOW, "TTY_COMPATIBLE": "1", **env}
        return [process_ok(["status", "checkout-redesign"], workspace, env) for _ in range(2)]

    seen = []
    for terminal in ({"COLUMNS": "200"}, {"COLUMNS": "70"}, {"COLUMNS": "70", "NO_COLOR": "1"}):
        expected = drawn(**terminal, **{ENV_NO_CACHE: "1"})[0]
        assert drawn(**terminal) == [expected, expected]
        seen.append(expected)
    assert len(set(seen)) == 3  # wider, narrower, without colour


def test_a_pinned_definition_edited_after_its_answer_was_kept_is_refused(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(["status", "rel-2-4"], capsys)[0] == 0
    assert run_main(["status", "rel-2-4"], capsys)[0] == 0
    run = json.loads((workspace / ".opsctl" / "runs" / "rel-2-4.json").read_text())
    digest = run["framework"]["digest"].removeprefix("sha256:")
    pinned = workspace / ".opsctl" / "definitions" / f"{digest}.json"
    pinned.write_text(pinned.read_text().replace('"title": "', '"title": "Forged ', 1))
    code, out, err = run_main(["status", "rel-2-4"], capsys)
    assert (code, out) == (2, "")
    assert "does not match its digest" in err


def test_a_check_that_reads_git_runs_commands_or_writes_files_is_never_kept(
    workspace: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for args in (
        ["check", "rel-2-4", "--run-checks"],
        ["check", "rel-2-4", "--format", "json", "--output", str(tmp_path / "check.json")],
        ["check", "rel-2-4", "--format", "github"],
        ["check", "--ref", "v2.4", "--allow-unlinked"],
    ):
        first, second = run_main(args, capsys), run_main(args, capsys)
        assert first == second, args
    assert (tmp_path / "check.json").exists()
    assert not kept_files(workspace)


def test_failures_are_never_kept(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_file = workspace / ".opsctl" / "runs" / "rel-2-4.json"
    run_file.write_text(run_file.read_text().replace('"phase"', '"phaze"', 1))
    for _ in range(2):
        code, out, err = run_main(["status", "rel-2-4"], capsys)
        assert code == 2 and "rel-2-4.json" in err and not out
    assert run_main(["status", "no-such-run"], capsys)[0] == 2
    assert not kept_files(workspace)


def test_edited_swapped_or_planted_entries_are_misses(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = truth(capsys, monkeypatch)
    assert printed(capsys) == expected
    files = kept_files(workspace)
    contents = [path.read_bytes() for path in files]
    for path, content in zip(files, contents[1:] + contents[:1], strict=True):
        path.write_bytes(content)  # each entry now holds another request's answer
    assert printed(capsys) == expected
    for path in kept_files(workspace):
        tag, _, payload = path.read_bytes().partition(b"\n")
        path.write_bytes(tag + b"\n" + payload.replace(b"rel-2-4", b"rel-9-9"))
    assert printed(capsys) == expected
    for path in kept_files(workspace):
        path.write_bytes(b"\xff\xfe garbage \n [[[")
    assert printed(capsys) == expected
    monkeypatch.setenv("XDG_CACHE_HOME", str(workspace.parent / "another-user"))
    assert printed(capsys) == expected  # another user's key: every entry misses


def test_only_the_latest_answers_are_kept(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for width in range(KEPT_ANSWERS + 5):
        os.environ["COLUMNS"] = str(80 + width)
        try:
            assert run_main(["frameworks", "list"], capsys)[0] == 0
        finally:
            del os.environ["COLUMNS"]
    assert len(kept_files(workspace)) == KEPT_ANSWERS


def test_an_answer_is_replayed_stream_by_stream_in_order(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = Session()
    calls: list[int] = []

    def produce() -> None:
        calls.append(1)
        sys.stdout.write("one\n")
        sys.stderr.write("warning: two\n")
        sys.stdout.write("three\n")

    for _ in range(2):
        answer(session, ["probe"], lambda: "source-a", produce)
    assert calls == [1]
    assert capsys.readouterr() == ("one\nthree\none\nthree\n", "warning: two\nwarning: two\n")
    answer(session, ["probe"], lambda: "source-b", produce)
    assert calls == [1, 1]


def test_an_answer_whose_sources_changed_while_it_ran_is_not_kept(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = Session()
    sources = iter(["before", "after", "after", "after"])
    calls: list[int] = []

    def produce() -> None:
        calls.append(1)
        sys.stdout.write("answer\n")

    answer(session, ["racing"], lambda: next(sources), produce)
    answer(session, ["racing"], lambda: next(sources), produce)
    assert calls == [1, 1]  # the first answer was not kept under "before"
    answer(session, ["racing"], lambda: "after", produce)
    assert calls == [1, 1]  # the second one was kept under "after"


class SessionOn(Session):
    """A session whose clock says another day (as tomorrow will, with no OPSCTL_NOW set)."""

    def __init__(self, day: dt.date) -> None:
        super().__init__()
        self.day = day

    def today(self) -> dt.date:
        return self.day


def test_the_date_is_part_of_what_status_and_metric_list_read(workspace: Path) -> None:
    today, tomorrow = SessionOn(dt.date(2026, 12, 3)), SessionOn(dt.date(2026, 12, 4))
    assert status_source(today, "rel-2-4") != status_source(tomorrow, "rel-2-4")
    assert metrics_source(today) != metrics_source(tomorrow)
    assert status_source(today, "rel-2-4") == status_source(SessionOn(today.day), "rel-2-4")


def test_whose_work_is_part_of_what_todo_reads(workspace: Path) -> None:
    settle()
    sessions = [Session(), Session(), Session()]
    sessions[1].__dict__["actor"] = "qa@example.com"  # as git's user.email would say
    found = [todo_source(session, None) for session in sessions]
    assert found[0] is not None and found[0] != found[1] and found[0] == found[2]
    assert todo_source(sessions[0], "qa@example.com") != found[0]


def test_no_answer_is_kept_where_the_sources_cannot_be_named(workspace: Path) -> None:
    session = Session()
    assert status_source(session, "../rel-2-4") is None
    assert status_source(session, "x" * 65) is None
    run_file = workspace / ".opsctl" / "runs" / "rel-2-4.json"
    run = json.loads(run_file.read_text())
    run["framework"]["digest"] = "../../runs/rel-2-4"
    run_file.write_text(json.dumps(run))
    assert status_source(session, "rel-2-4") is None
    assert catalog_source(Session(cwd=workspace.parent)) is not None  # built-ins only
    assert metrics_source(Session(cwd=workspace.parent)) is None  # no workspace


def test_chunks_survive_the_round_trip_and_malformed_payloads_are_none() -> None:
    chunks: list[Chunk] = [("out", "tab\there\n"), ("err", "é ✔ \udcff:9:"), ("out", "")]
    assert decode_chunks(encode_chunks(chunks)) == chunks
    assert decode_chunks(b"") == []
    for payload in (b"x3:abc", b"o3abc", b"o9:abc", b"o-1:a", b"o3:abce", b"o:"):
        assert decode_chunks(payload) is None, payload
