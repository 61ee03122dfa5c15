"""Helpers for tests: call opsctl in-process with its error handling, or as a process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from opsctl.cli import state

REPO = Path(__file__).resolve().parents[1]


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Call opsctl's real entry point (with its error handling) in-process."""
    from opsctl.cli.main import main

    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    state.reset()
    out, err = capsys.readouterr()
    return code, out, err


def opsctl_subprocess(
    args: list[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    input_text: str | None = None,
    timeout: float = 60,
):
    """Run opsctl as a real process, as a user or CI job would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "opsctl", *args],
        cwd=cwd,
        env=full_env,
        input=input_text,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
