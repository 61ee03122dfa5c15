"""``opsctl validate``, ``schema``, ``--version`` and ``frameworks``, as a user runs them.

Success paths go through Typer's ``CliRunner``. ``CliRunner`` calls ``app``
directly, which bypasses the error handling of ``main()``; error exit codes
and messages are therefore checked through ``main()`` in-process and through
a real ``python -m opsctl`` subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest
from typer.testing import CliRunner

import opsctl
from opsctl.cli.main import app, main
from opsctl.definitions.catalog import data_dir, framework_files, load_catalog
from opsctl.definitions.loader import load_framework
from opsctl.errors import DefinitionError, UsageError

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
VALID = FIXTURES / "valid" / "minimal.yaml"
BAD_ONE = FIXTURES / "invalid" / "multiple_errors.yaml"
BAD_TWO = FIXTURES / "invalid" / "multiple_reference_errors.yaml"


class Result(NamedTuple):
    code: int
    stdout: str
    stderr: str


Run = Callable[..., Result]


@pytest.fixture(autouse=True)
def _outside_any_workspace(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run from an empty folder, so only the built-in frameworks are in play."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPSCTL_WORKSPACE", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


def _diagnostics(*paths: Path) -> list[str]:
    lines: list[str] = []
    for path in paths:
        with pytest.raises(DefinitionError) as caught:
            load_framework(path)
        lines.extend(str(diagnostic) for diagnostic in caught.value.diagnostics)
    return lines


def _reported(lines: list[str]) -> str:
    """What main() prints for a DefinitionError: each diagnostic, then a count."""
    files = len({line.split(":", 1)[0] for line in lines})
    count = len(lines)
    summary = (
        f"opsctl: error: {count} problem{'s' if count != 1 else ''} in "
        f"{files} file{'s' if files != 1 else ''}"
    )
    return "".join(f"{line}\n" for line in [*lines, summary])


def _builtin_ids() -> list[str]:
    return sorted(load_catalog().entries)


@pytest.fixture(params=["main", "subprocess"])
def opsctl_cli(
    request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> Run:
    """Run opsctl through ``main()`` in-process, or as ``python -m opsctl``."""

    def in_process(*args: str) -> Result:
        with pytest.raises(SystemExit) as exited:
            main(list(args))
        captured = capsys.readouterr()
        code = exited.value.code
        return Result(code if isinstance(code, int) else 0, captured.out, captured.err)

    def in_subprocess(*args: str) -> Result:
        env = {**os.environ, "NO_COLOR": "1"}
        env.pop("OPSCTL_WORKSPACE", None)
        done = subprocess.run(
            [sys.executable, "-m", "opsctl", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    return in_process if request.param == "main" else in_subprocess


# --- CliRunner: the happy paths ---------------------------------------------------------

runner = CliRunner()


def test_runner_validate_without_files_checks_the_builtins() -> None:
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    count = len(framework_files(data_dir("frameworks")))
    assert result.stdout == f"ok: {count} frameworks valid\n"


def test_runner_validate_valid_file() -> None:
    result = runner.invoke(app, ["validate", str(VALID)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "ok: 1 file valid\n"


def test_runner_validate_counts_files() -> None:
    result = runner.invoke(app, ["validate", str(VALID), str(VALID)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "ok: 2 files valid\n"


def test_runner_validate_invalid_raises_with_every_diagnostic() -> None:
    result = runner.invoke(app, ["validate", str(BAD_ONE), str(VALID), str(BAD_TWO)])
    assert isinstance(result.exception, DefinitionError)
    assert [str(d) for d in result.exception.diagnostics] == _diagnostics(BAD_ONE, BAD_TWO)


def test_runner_schema_is_json() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert "phases" in document["properties"]
    assert document["title"] == "opsctl framework"
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(document["required"]) >= {"id", "title", "phases"}


def test_runner_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"opsctl {opsctl.__version__}\n"


def test_runner_frameworks_list_text() -> None:
    result = runner.invoke(app, ["frameworks", "list"])
    assert result.exit_code == 0, result.output
    assert "release-management" in result.stdout
    assert result.stdout.split()[:3] == ["ID", "TITLE", "AREA"]


def test_runner_frameworks_list_json() -> None:
    result = runner.invoke(app, ["frameworks", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["kind"] == "frameworks"
    assert document["version"] == 1
    ids = [row["id"] for row in document["frameworks"]]
    assert len(ids) >= 13
    assert len(ids) == len(framework_files(data_dir("frameworks")))
    assert ids == sorted(ids)
    assert "release-management" in ids
    assert {row["source"] for row in document["frameworks"]} == {"builtin"}


def test_runner_frameworks_show_json() -> None:
    result = runner.invoke(app, ["frameworks", "show", "release-management", "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["kind"] == "framework"
    assert document["version"] == 1
    framework = document["framework"]
    assert framework["id"] == "release-management"
    phases = framework["phases"]
    assert phases[0]["id"] == "planning"
    assert "stakeholders-aligned" in [item["id"] for item in phases[0]["items"]]


def test_runner_frameworks_show_text() -> None:
    result = runner.invoke(app, ["frameworks", "show", "release-management"])
    assert result.exit_code == 0, result.output
    assert "(release-management)" in result.stdout
    assert "planning/stakeholders-aligned" in result.stdout


def test_runner_unknown_framework_raises_usage_error() -> None:
    result = runner.invoke(app, ["frameworks", "show", "nope"])
    assert isinstance(result.exception, UsageError)


def test_runner_wrong_flag_is_a_usage_error() -> None:
    result = runner.invoke(app, ["validate", "--bogus"])
    assert result.exit_code == 2
    assert "No such option" in result.stderr


# --- main() and python -m opsctl: exit codes and messages -------------------------------


def test_validate_without_files(opsctl_cli: Run) -> None:
    result = opsctl_cli("validate")
    assert result.code == 0, result.stderr
    assert result.stdout == f"ok: {len(_builtin_ids())} frameworks valid\n"
    assert result.stderr == ""


def test_validate_valid_file(opsctl_cli: Run) -> None:
    result = opsctl_cli("validate", str(VALID))
    assert result.code == 0, result.stderr
    assert result.stdout == "ok: 1 file valid\n"


def test_validate_two_invalid_files_lists_every_error(opsctl_cli: Run) -> None:
    result = opsctl_cli("validate", str(BAD_ONE), str(BAD_TWO))
    assert result.code == 2
    assert result.stdout == ""
    expected = _diagnostics(BAD_ONE, BAD_TWO)
    assert len(expected) == 8
    assert result.stderr == _reported(expected)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert sum(line.startswith(f"{BAD_ONE}:") for line in lines) == 4
    assert sum(line.startswith(f"{BAD_TWO}:") for line in lines) == 4


def test_validate_every_error_line_starts_with_its_path(opsctl_cli: Run) -> None:
    """Editor problem matchers and grep see every diagnostic; the count comes last."""
    result = opsctl_cli("validate", str(BAD_ONE), str(BAD_TWO))
    *lines, summary = result.stderr.splitlines()
    assert len(lines) == 8
    assert all(line.startswith((f"{BAD_ONE}:", f"{BAD_TWO}:")) for line in lines)
    assert summary == "opsctl: error: 8 problems in 2 files"


def test_validate_valid_and_invalid_file_fails(opsctl_cli: Run) -> None:
    result = opsctl_cli("validate", str(VALID), str(BAD_TWO))
    assert result.code == 2
    assert result.stderr == _reported(_diagnostics(BAD_TWO))


def test_validate_directory_and_missing_file(opsctl_cli: Run, tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    result = opsctl_cli("validate", str(tmp_path), str(missing))
    assert result.code == 2
    assert result.stderr == _reported(
        [
            f"{tmp_path}: is a directory, not a file",
            f"{missing}: cannot read: No such file or directory",
        ]
    )


def test_validate_non_utf8_file(opsctl_cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"id: caf\xe9\n")
    result = opsctl_cli("validate", str(path))
    assert result.code == 2
    assert result.stderr == _reported(
        [f"{path}:1:8: not valid UTF-8 (byte 0xe9); save the file as UTF-8"]
    )


def test_validate_alias_bomb(opsctl_cli: Run) -> None:
    bomb = FIXTURES / "invalid" / "alias_bomb.yaml"
    result = opsctl_cli("validate", str(bomb))
    assert result.code == 2
    assert result.stderr == _reported(
        [f"{bomb}:2:1: aliases expand this document past 200000 nodes"]
    )


def test_debug_shows_traceback_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--debug", "validate", str(BAD_ONE)])
    assert exited.value.code == 2
    stderr = capsys.readouterr().err
    assert "Traceback (most recent call last)" in stderr
    assert stderr.endswith(_reported(_diagnostics(BAD_ONE)))


def test_debug_shows_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("OPSCTL_WORKSPACE", None)
    done = subprocess.run(
        [sys.executable, "-m", "opsctl", "--debug", "validate", str(BAD_ONE)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "Traceback (most recent call last)" in done.stderr
    assert "opsctl.errors.DefinitionError" in done.stderr
    assert _diagnostics(BAD_ONE)[-1] in done.stderr


def test_schema(opsctl_cli: Run) -> None:
    result = opsctl_cli("schema")
    assert result.code == 0, result.stderr
    document = json.loads(result.stdout)
    assert "phases" in document["properties"]


def test_version(opsctl_cli: Run) -> None:
    result = opsctl_cli("--version")
    assert result.code == 0
    assert result.stdout == f"opsctl {opsctl.__version__}\n"


def test_frameworks_list(opsctl_cli: Run) -> None:
    text = opsctl_cli("frameworks", "list")
    assert text.code == 0, text.stderr
    assert "release-management" in text.stdout
    as_json = opsctl_cli("frameworks", "list", "--format", "json")
    assert as_json.code == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    assert document["version"] == 1
    assert [row["id"] for row in document["frameworks"]] == _builtin_ids()
    assert len(document["frameworks"]) >= 13


def test_frameworks_show_json(opsctl_cli: Run) -> None:
    result = opsctl_cli("frameworks", "show", "release-management", "-f", "json")
    assert result.code == 0, result.stderr
    phases = json.loads(result.stdout)["framework"]["phases"]
    assert phases[0]["id"] == "planning"
    assert phases[0]["items"][0]["id"] == "stakeholders-aligned"


def test_frameworks_show_unknown(opsctl_cli: Run) -> None:
    result = opsctl_cli("frameworks", "show", "nope")
    assert result.code == 2
    assert result.stdout == ""
    known = ", ".join(_builtin_ids())
    assert result.stderr.splitlines() == [
        f"opsctl: error: unknown framework 'nope' (known: {known})"
    ]
    assert "release-management" in known


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("--bogus",), "--bogus"),
        (("validate", "--bogus"), "--bogus"),
        (("frameworks", "list", "--format", "yaml"), "yaml"),
    ],
    ids=["root", "validate", "bad-choice"],
)
def test_wrong_flag_exits_2(opsctl_cli: Run, args: tuple[str, ...], named: str) -> None:
    result = opsctl_cli(*args)
    assert result.code == 2
    assert result.stdout == ""
    assert named in result.stderr
    assert "Traceback" not in result.stderr
