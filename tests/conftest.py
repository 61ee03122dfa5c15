"""Shared fixtures: every test runs in its own folder, never in a real workspace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from opsctl.cli import state


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run each test in an empty folder with a fake home and a fixed identity."""
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("OPSCTL_USER", "pm@example.com")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for variable in (
        "OPSCTL_WORKSPACE",
        "OPSCTL_NOW",
        "GITHUB_ACTOR",
        "GITLAB_USER_EMAIL",
        "GITHUB_STEP_SUMMARY",
        "NO_COLOR",
    ):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(work)
    state.reset()
    yield work
    state.reset()


@pytest.fixture
def cli() -> CliRunner:
    """A Typer runner for in-process CLI calls."""
    return CliRunner()
