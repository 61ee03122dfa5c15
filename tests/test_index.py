"""The run index under ``.opsctl/cache/`` never changes an answer.

Every read command's JSON (and each report) is compared with the index
bypassed (``OPSCTL_NO_CACHE=1``), cold, warm, corrupt, edited, locked,
after a run file was edited behind opsctl's back (same size, modification
time put back) and after one was deleted. The reports' per-run parts kept
in the index are tampered with too: swapped, moved to another period,
replaced, made by other code.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from helpers import run_main, settle
from opsctl.store.cache import ENV_NO_CACHE, _user_key
from opsctl.store.index import INDEX_NAME
from opsctl.store.parts import KEPT_PART_NAMES

JSON = ["--format", "json"]
READS = [
    ["runs", *JSON],
    ["runs"],
    ["runs", "--status", "active"],
    ["status", "rel-2-4", *JSON],
    ["status", "checkout-redesign", *JSON],
    ["check", "rel-2-4", *JSON],
    ["check", "--all", *JSON],
    ["check", "--all", "--phase", "all", *JSON],
    ["check", "--all"],
    ["metric", "list", *JSON],
    ["log", "rel-2-4", *JSON],
    ["report", "monthly", "--month", "2026-11"],
    ["report", "monthly", "--month", "2026-10", *JSON],
    ["report", "quarterly", "--quarter", "2026-Q4"],  # in progress: judged as of today
    ["report", "quarterly", "--quarter", "2026-Q4", *JSON],
]


@pytest.fixture
def workspace(demo_copy: Path) -> Path:
    """A fresh copy of the demo, old enough to be indexed, as the current folder."""
    settle()
    return demo_copy


def answers(capsys: pytest.CaptureFixture[str]) -> list[tuple[int, str]]:
    """Exit code and output (JSON where there is one) of every read command.

    Kept answers (tested in test_answers.py) are forgotten first, so every
    read goes through the run index.
    """
    found = []
    for args in READS:
        shutil.rmtree(Path.cwd() / ".opsctl" / "cache" / "answers", ignore_errors=True)
        code, out, err = run_main(args, capsys)
        found.append((code, out + err))
    return found


def uncached(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> list[tuple[int, str]]:
    """The answers read from the run files alone."""
    monkeypatch.setenv(ENV_NO_CACHE, "1")
    try:
        return answers(capsys)
    finally:
        monkeypatch.delenv(ENV_NO_CACHE)


def tamper(root: Path, *statements: str) -> None:
    """Edit the run index behind opsctl's back, as a user or another program could."""
    with sqlite3.connect(root / ".opsctl" / "cache" / INDEX_NAME) as connection:
        for statement in statements:
            connection.execute(statement)


def index_rows(root: Path) -> dict[str, tuple[int, int]]:
    """Run id -> (size, inode) of each indexed run."""
    with sqlite3.connect(root / ".opsctl" / "cache" / INDEX_NAME) as connection:
        rows = connection.execute("SELECT id, size, ino FROM runs").fetchall()
    return {run_id: (size, ino) for run_id, size, ino in rows}


def test_cold_warm_and_bypassed_answers_are_the_same(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    truth = uncached(capsys, monkeypatch)
    assert all(code in (0, 1) for code, _ in truth), truth
    assert not (workspace / ".opsctl" / "cache" / INDEX_NAME).exists()
    assert answers(capsys) == truth  # cold: builds the index
    runs = sorted(p.stem for p in (workspace / ".opsctl" / "runs").glob("*.json"))
    assert sorted(index_rows(workspace)) == runs
    assert answers(capsys) == truth  # warm: served from it


def test_a_corrupt_index_is_rebuilt_silently(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    truth = uncached(capsys, monkeypatch)
    answers(capsys)
    index = workspace / ".opsctl" / "cache" / INDEX_NAME
    index.write_bytes(b"\x00garbage, not a database" * 100)
    assert answers(capsys) == truth
    assert len(index_rows(workspace)) == 3


def test_edited_index_rows_are_misses(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    truth = uncached(capsys, monkeypatch)
    answers(capsys)
    tamper(
        workspace,
        "UPDATE runs SET body = replace(body, 'active', 'completed')",
        "UPDATE runs SET body = x'00ff' WHERE id = 'ops-success'",
    )
    assert answers(capsys) == truth
    # check --all skips runs indexed in another status: a status edited alone is a miss
    tamper(workspace, "UPDATE runs SET status = 'completed'")
    assert answers(capsys) == truth
    tamper(workspace, "UPDATE runs SET status = 7")
    assert answers(capsys) == truth


def part_rows(root: Path) -> list[tuple[str, str]]:
    """(run id, name) of every report part kept in the index."""
    with sqlite3.connect(root / ".opsctl" / "cache" / INDEX_NAME) as connection:
        return sorted(connection.execute("SELECT id, name FROM parts").fetchall())


def test_report_parts_are_kept_per_run_and_period(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers(capsys)
    names = {name for _, name in part_rows(workspace)}
    assert len(names) == 3  # 2026-10, 2026-11, and 2026-Q4 as of today
    assert any("2026-Q4 2026-12-03" in name for name in names)  # an open period keys on today
    runs = ["checkout-redesign", "ops-success", "rel-2-4"]
    assert sorted({run for run, _ in part_rows(workspace)}) == runs


def test_swapped_or_moved_report_parts_are_misses(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each part's tag names its run, file version and period: moved anywhere else, it fails."""
    truth = uncached(capsys, monkeypatch)
    answers(capsys)
    with sqlite3.connect(workspace / ".opsctl" / "cache" / INDEX_NAME) as connection:
        rows = connection.execute("SELECT id, name, tag, body FROM parts").fetchall()
        by_run = {(run, name): (tag, body) for run, name, tag, body in rows}
        other = {"rel-2-4": "ops-success", "ops-success": "rel-2-4"}
        for run, name in by_run:  # another run's part, tag and all
            if run in other:
                swapped = by_run[(other[run], name)]
                connection.execute(
                    "UPDATE parts SET tag = ?, body = ? WHERE id = ? AND name = ?",
                    (*swapped, run, name),
                )
        names = sorted({name for _, name in by_run})  # each period's parts under another's name
        connection.execute("UPDATE parts SET name = 'x' || name WHERE id = 'checkout-redesign'")
        for old, new in zip(names, names[1:] + names[:1], strict=True):
            connection.execute(
                "UPDATE parts SET name = ? WHERE name = ? AND id = 'checkout-redesign'",
                (new, "x" + old),
            )
    assert answers(capsys) == truth


def test_report_parts_made_with_another_key_or_garbage_are_misses(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    truth = uncached(capsys, monkeypatch)
    answers(capsys)
    tamper(
        workspace,
        "UPDATE parts SET body = x'8004' WHERE id = 'rel-2-4'",
        "UPDATE parts SET tag = 'forged' WHERE id = 'ops-success'",
        "UPDATE parts SET tag = 'é' WHERE id = 'rel-2-4'",  # not ASCII
        "UPDATE parts SET body = 'not bytes' WHERE id = 'checkout-redesign'",
    )
    assert answers(capsys) == truth
    monkeypatch.setenv("XDG_CACHE_HOME", str(workspace.parent / "another-user"))
    _user_key.cache_clear()  # another user (or key): every part was tagged with the old key
    try:
        assert answers(capsys) == truth
        assert (workspace.parent / "another-user" / "opsctl" / "cache-key").exists()
    finally:
        monkeypatch.undo()
        _user_key.cache_clear()


def test_a_damaged_pinned_definition_fails_a_report_served_from_its_parts(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts are kept per run file; the definitions the runs follow are verified every time."""
    answers(capsys)
    for path in (workspace / ".opsctl" / "definitions").glob("*.json"):
        path.write_text('{"schema": 1}', encoding="utf-8")
    truth = uncached(capsys, monkeypatch)
    report = READS.index(["report", "monthly", "--month", "2026-11"])
    assert truth[report][0] == 2 and "definitions" in truth[report][1]
    assert answers(capsys) == truth


def test_old_report_periods_are_forgotten(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for month in range(1, 13):
        code, out, err = run_main(["report", "monthly", "--month", f"2026-{month:02d}"], capsys)
        assert code == 0, (out, err)
    names = {name for _, name in part_rows(workspace)}
    assert len(names) == KEPT_PART_NAMES
    assert any("2026-12" in name for name in names) and not any("2026-01" in n for n in names)


def test_an_index_of_another_format_is_dropped(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    truth = uncached(capsys, monkeypatch)
    answers(capsys)
    tamper(
        workspace,
        "UPDATE meta SET value = 'runs-index 0'",
        "UPDATE runs SET body = replace(body, 'active', 'completed')",
    )
    assert answers(capsys) == truth


def test_a_locked_index_is_bypassed(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    truth = uncached(capsys, monkeypatch)
    answers(capsys)
    holder = sqlite3.connect(workspace / ".opsctl" / "cache" / INDEX_NAME, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        started = time.monotonic()
        assert answers(capsys) == truth
        assert time.monotonic() - started < 30
    finally:
        holder.close()


def test_a_run_edited_behind_opsctls_back_is_read_again(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same size, same inode, modification time put back: the changed ctime gives it away."""
    before = answers(capsys)
    path = workspace / ".opsctl" / "runs" / "rel-2-4.json"
    info = path.stat()
    text = path.read_text(encoding="utf-8")
    edited = text.replace('"status": "done"', '"status": "open"', 1)
    assert edited != text and len(edited) == len(text)
    with path.open("r+", encoding="utf-8") as handle:  # in place: the inode stays
        handle.write(edited)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (info.st_size, info.st_mtime_ns)
    assert path.stat().st_ino == info.st_ino
    now = answers(capsys)
    assert now == uncached(capsys, monkeypatch)
    assert now != before  # the edit shows (a done item is open again)


def test_a_deleted_run_leaves_the_index(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answers(capsys)
    (workspace / ".opsctl" / "runs" / "checkout-redesign.json").unlink()
    code, out, _ = run_main(["runs", "--format", "json"], capsys)
    assert code == 0 and "checkout-redesign" not in out
    assert sorted(index_rows(workspace)) == ["ops-success", "rel-2-4"]
    truth = uncached(capsys, monkeypatch)
    assert answers(capsys) == truth
    assert "checkout-redesign" not in {run for run, _ in part_rows(workspace)}


def test_writes_by_opsctl_show_at_once(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answers(capsys)
    code, out, err = run_main(["done", "ops-success", "performance-success/sla-defined"], capsys)
    assert code in (0, 2), (out, err)
    code, out, err = run_main(["label", "rel-2-4", "--add", "hotfix"], capsys)
    assert answers(capsys) == uncached(capsys, monkeypatch)


def test_a_tampered_pinned_definition_is_refused_after_it_was_verified(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Verified pinned definitions are remembered by their bytes: any edit is checked again."""
    assert run_main(["status", "rel-2-4"], capsys)[0] == 0
    pinned = workspace / ".opsctl" / "definitions"
    assert list((workspace / ".opsctl" / "cache").glob("pinned-*.json"))
    for path in pinned.glob("*.json"):
        path.write_text(path.read_text(encoding="utf-8").replace("Release", "Relaese"))
    code, out, err = run_main(["status", "rel-2-4"], capsys)
    assert code == 2 and "does not match its digest" in err, (out, err)


def test_a_damaged_cached_listing_is_a_miss(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    truth = uncached(capsys, monkeypatch)
    answers(capsys)
    listing = workspace / ".opsctl" / "cache" / "runs-list.json"
    tag, _, value = listing.read_bytes().partition(b"\n")  # an authenticated entry
    entry = json.loads(value)
    assert len(entry["runs"]) == 3  # the listing was cached
    entry["runs"][0]["progress"] = "most of it"
    listing.write_bytes(tag + b"\n" + json.dumps(entry).encode())
    assert answers(capsys) == truth
    listing.write_text("{", encoding="utf-8")
    assert answers(capsys) == truth


def test_a_cache_folder_that_cannot_be_used_is_bypassed(
    workspace: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    truth = uncached(capsys, monkeypatch)
    (workspace / ".opsctl" / "cache").write_text("a file where the cache folder goes\n")
    assert answers(capsys) == truth
