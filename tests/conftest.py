"""Shared fixtures: every test runs in its own folder, never in a real workspace."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import DEMO_NOW, process_ok
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


@pytest.fixture(scope="session")
def demo_original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace, built once by a real ``opsctl demo``; tests work on copies of it."""
    top = tmp_path_factory.mktemp("demo")
    env = {"OPSCTL_NOW": DEMO_NOW, "HOME": str(top), "XDG_CACHE_HOME": str(top / "cache")}
    process_ok(["demo", str(top / "demo")], top, env)
    return top / "demo"


@pytest.fixture
def demo_copy(demo_original: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the demo, without its cache, as the current folder, at DEMO_NOW."""
    root = tmp_path / "demo"
    shutil.copytree(demo_original, root, ignore=shutil.ignore_patterns("cache"))
    monkeypatch.setenv("OPSCTL_NOW", DEMO_NOW)
    monkeypatch.delenv("OPSCTL_NO_CACHE", raising=False)
    monkeypatch.chdir(root)
    return root
