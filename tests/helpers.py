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


class CliCaller:
    """Calls opsctl in-process as one person or another, in a workspace at ``root``."""

    def __init__(
        self, root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self.root = root
        self.capsys = capsys
        self.monkeypatch = monkeypatch

    def __call__(self, *args: str, user: str = "pm@example.com") -> tuple[int, str, str]:
        self.monkeypatch.setenv("OPSCTL_USER", user)
        return run_main(list(args), self.capsys)

    def ok(self, *args: str, user: str = "pm@example.com") -> str:
        code, out, err = self(*args, user=user)
        assert code == 0, (args, out, err)
        return out
