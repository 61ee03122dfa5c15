"""Hostile or unlucky input: exit 2 with one line, never 70, never a hang, the store unchanged.

Each case runs opsctl as a real process (non-UTF-8 bytes in argv and the
environment only exist there), against real files, FIFOs and folders.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import process_ok, store_snapshot


def opsctl_bytes(
    args: list[bytes], cwd: Path, env: dict[str, str | bytes] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run opsctl with raw bytes for arguments and environment, as a shell would pass them."""
    full: dict[bytes, bytes] = {os.fsencode(k): os.fsencode(v) for k, v in os.environ.items()}
    for key, value in (env or {}).items():
        full[key.encode()] = value if isinstance(value, bytes) else value.encode()
    return subprocess.run(
        [os.fsencode(sys.executable), b"-m", b"opsctl", *args],
        cwd=cwd,
        env=full,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=30,
        check=False,
    )


@pytest.fixture
def ws(isolated: Path) -> Path:
    process_ok(["init"], isolated)
    process_ok(["start", "release-management", "--title", "R", "--id", "r1"], isolated)
    return isolated


def refused(result: subprocess.CompletedProcess[bytes]) -> str:
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2, err
    assert "Traceback" not in err
    assert "internal error" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err


ITEM = b"planning/stakeholders-aligned"


@pytest.mark.parametrize(
    "args",
    [
        [b"done", b"r1", ITEM, b"--evidence", b"https://x.io/\xff"],
        [b"done", b"r1", ITEM, b"--evidence", b"https://x.io/a", b"--note", b"n\xff"],
        [b"skip", b"r1", ITEM, b"--reason", b"r\xff"],
        [b"start", b"release-management", b"--title", b"T\xff"],
        [b"team", b"add", b"q@x", b"--role", b"qa", b"--name", b"N\xff"],
    ],
    ids=["evidence", "note", "reason", "title", "team-name"],
)
def test_non_utf8_arguments_are_refused(ws: Path, args: list[bytes]) -> None:
    before = store_snapshot(ws)
    err = refused(opsctl_bytes(args, ws))
    assert "is not valid UTF-8" in err
    assert store_snapshot(ws) == before


def test_a_non_utf8_identity_is_refused(ws: Path) -> None:
    before = store_snapshot(ws)
    err = refused(
        opsctl_bytes(
            [b"done", b"r1", b"planning/success-criteria-defined", b"-e", b"x"],
            ws,
            {"OPSCTL_USER": b"u\xff"},
        )
    )
    assert "OPSCTL_USER: not valid UTF-8" in err
    assert store_snapshot(ws) == before


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([b"status", b"r1\n"], "run id 'r1\\n': use lowercase letters"),
        (
            [b"metric", b"record", b"development-efficiency", b"3", b"--period", b"2026-11\n"],
            "--period: expected YYYY-MM, got '2026-11\\n'",
        ),
        (
            [b"metric", b"record", b"development-efficiency", b"3", b"--period", b""],
            "--period: expected YYYY-MM, got ''",
        ),
        (
            [b"report", b"monthly", b"--month", b"2026-11\n", b"-o", b"r.md"],
            "--month: expected YYYY-MM, got '2026-11\\n'",
        ),
    ],
    ids=["run-id", "period", "empty-period", "month"],
)
def test_trailing_newlines_and_empty_periods_are_refused(
    ws: Path, args: list[bytes], expected: str
) -> None:
    before = store_snapshot(ws)
    err = refused(opsctl_bytes(args, ws))
    assert expected in err
    assert store_snapshot(ws) == before
    assert not (ws / "r.md").exists()


def test_a_report_for_january_1900_names_no_earlier_year(ws: Path) -> None:
    result = opsctl_bytes([b"report", b"monthly", b"--month", b"1900-01"], ws)
    assert result.returncode == 0, result.stderr
    assert b"# Monthly operations validation: 1900-01" in result.stdout


def test_a_time_outside_the_calendar_is_refused(ws: Path) -> None:
    err = refused(opsctl_bytes([b"status", b"r1"], ws, {"OPSCTL_NOW": "0001-01-01T00:00:00+14:00"}))
    assert "OPSCTL_NOW" in err


def test_a_deeply_nested_store_file_is_refused(ws: Path) -> None:
    deep = ws / ".opsctl" / "runs" / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    err = refused(opsctl_bytes([b"status", b"deep"], ws))
    assert f"{deep}: not valid JSON: nested too deeply" in err


def test_a_5000_digit_number_in_a_framework_is_placed(ws: Path) -> None:
    framework = ws / ".opsctl" / "frameworks" / "big.yaml"
    framework.write_text("id: big\ntitle: " + "9" * 5000 + "\n", encoding="utf-8")
    result = opsctl_bytes([b"validate"], ws)
    err = result.stderr.decode()
    assert result.returncode == 2
    assert f"{framework}:2:8: number with 5000 digits is too long" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "command",
    [
        [b"runs"],
        [b"status", b"r1"],
        [b"check", b"--all"],
        [b"sync-check"],
        [b"done", b"r1", ITEM, b"-e", b"https://x.io/a"],
    ],
    ids=["runs", "status", "check", "sync-check", "done"],
)
def test_a_fifo_in_the_store_is_refused_without_hanging(ws: Path, command: list[bytes]) -> None:
    run = ws / ".opsctl" / "runs" / "r1.json"
    run.unlink()
    os.mkfifo(run)
    result = opsctl_bytes(command, ws)
    assert result.returncode == 2
    assert f"{run}: not a regular file (a named pipe)" in result.stderr.decode()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.__setitem__("schema", "2"), "schema"),
        (lambda d: d.pop("schema"), "schema"),
    ],
    ids=["string-schema", "missing-schema"],
)
def test_the_store_parses_strictly(ws: Path, change: object, expected: str) -> None:
    run = ws / ".opsctl" / "runs" / "r1.json"
    document = json.loads(run.read_text(encoding="utf-8"))
    change(document)  # type: ignore[operator]
    run.write_text(json.dumps(document), encoding="utf-8")
    before = run.read_bytes()
    err = refused(opsctl_bytes([b"done", b"r1", ITEM, b"-e", b"https://x.io/a"], ws))
    assert expected in err
    assert run.read_bytes() == before


def test_a_nan_reading_and_a_misfiled_reading_are_refused(ws: Path) -> None:
    process_ok(["metric", "record", "development-efficiency", "3", "--period", "2026-11"], ws)
    metrics = ws / ".opsctl" / "metrics.json"
    text = metrics.read_text(encoding="utf-8")
    document = json.loads(text)
    reading = document["metrics"]["development-efficiency"]["readings"]["2026-11"]
    metrics.write_text(text.replace('"value": 3.0', '"value": NaN'), encoding="utf-8")
    assert "NaN is not a JSON number" in refused(opsctl_bytes([b"metric", b"list"], ws))
    document["metrics"]["development-efficiency"]["readings"] = {"2026-10": reading}
    metrics.write_text(json.dumps(document), encoding="utf-8")
    err = refused(opsctl_bytes([b"metric", b"list"], ws))
    assert "readings key '2026-10' holds a reading for 2026-11" in err
