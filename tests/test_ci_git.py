"""`opsctl check` as a CI job runs it: in a fresh clone with a committed workspace."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from junitparser import JUnitXml

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not on PATH")

FRAMEWORK = """\
id: ship-it
title: Ship it
area: Testing
summary: A small release checklist kept in the repository.
phases:
  - id: ready
    title: Ready
    items:
      - {id: notes, title: Release notes written, help: Write them., owner: product-manager}
      - {id: tested, title: Tests pass, help: Run them., owner: qa}
      - {id: docs, title: Docs updated, help: Update them., owner: development}
  - id: live
    title: Live
    items:
      - {id: deployed, title: Deployed, help: Deploy., owner: operations}
"""


BASE_ENV: dict[str, str] = {"OPSCTL_USER": "pm@example.com", "GIT_CONFIG_NOSYSTEM": "1"}
"""Set for every process; the module fixture below runs outside the per-test isolation."""


def git(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **BASE_ENV},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result.stdout


def opsctl(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run opsctl as a CI job does: a separate process, no stdin, CI=true."""
    full_env = {**os.environ, **BASE_ENV, "CI": "true", **env}
    full_env.pop("OPSCTL_WORKSPACE", None)
    return subprocess.run(
        [sys.executable, "-m", "opsctl", *args],
        cwd=cwd,
        env=full_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def ok(args: list[str], cwd: Path) -> str:
    result = opsctl(args, cwd)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result.stdout


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository with a committed workspace and a half-done run `rel-1` (never changed)."""
    base = tmp_path_factory.mktemp("git")
    home = base / "home"
    home.mkdir()
    BASE_ENV["HOME"] = str(home)
    repo = base / "origin"
    repo.mkdir()
    git("init", "-q", cwd=repo)
    git("config", "user.email", "dev@example.com", cwd=repo)
    git("config", "user.name", "Dev", cwd=repo)
    git("config", "commit.gpgsign", "false", cwd=repo)
    (repo / "README.md").write_text("# product\n", encoding="utf-8")
    ok(["init", "--team", "Checkout"], repo)
    (repo / ".opsctl" / "frameworks" / "ship-it.yaml").write_text(FRAMEWORK, encoding="utf-8")
    ok(["start", "ship-it", "--title", "Release 1", "--id", "rel-1"], repo)
    ok(["done", "rel-1", "ready/notes"], repo)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "Start release 1", cwd=repo)
    return repo


@pytest.fixture
def clone(origin: Path, tmp_path: Path) -> Path:
    target = tmp_path / "ci-checkout"
    git("clone", "-q", str(origin), str(target), cwd=tmp_path)
    return target


def test_the_workspace_is_committed_without_lock_files(origin: Path) -> None:
    tracked = git("ls-files", cwd=origin).split()
    assert ".opsctl/runs/rel-1.json" in tracked
    assert ".opsctl/frameworks/ship-it.yaml" in tracked
    assert any(path.startswith(".opsctl/definitions/") for path in tracked)
    assert not [path for path in tracked if path.endswith((".lock", ".tmp"))]
    assert git("status", "--porcelain", cwd=origin) == ""


def test_ci_job_fails_while_items_are_missing_then_passes(clone: Path) -> None:
    result = opsctl(
        ["check", "--all", "--phase", "all", "--format", "junit", "--output", "report.xml"], clone
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    assert "wrote junit report to report.xml" in result.stdout
    xml = JUnitXml.fromfile(str(clone / "report.xml"))
    [suite] = list(xml)
    assert suite.name == "rel-1/ready"
    assert (suite.tests, suite.failures, suite.skipped) == (3, 2, 0)
    failed = {case.name: case.result[0].message for case in suite if not case.is_passed}
    assert failed == {
        "ready/tested": "ready/tested is open (owner: qa): Tests pass",
        "ready/docs": "ready/docs is open (owner: development): Docs updated",
    }

    ok(["done", "rel-1", "ready/tested"], clone)
    ok(["skip", "rel-1", "ready/docs", "--reason", "no user-facing change"], clone)
    result = opsctl(
        ["check", "--all", "--phase", "all", "--format", "junit", "--output", "report.xml"], clone
    )
    assert result.returncode == 0, (result.stdout, result.stderr)
    [suite] = list(JUnitXml.fromfile(str(clone / "report.xml")))
    assert (suite.tests, suite.failures, suite.skipped) == (3, 0, 1)

    ok(["advance", "rel-1"], clone)
    assert opsctl(["check", "--all"], clone).returncode == 1
    ok(["done", "rel-1", "live/deployed"], clone)
    assert opsctl(["check", "--all", "--phase", "all"], clone).returncode == 0


def test_ci_job_with_github_annotations_and_step_summary(clone: Path, tmp_path: Path) -> None:
    summary = tmp_path / "step-summary.md"
    summary.touch()
    result = opsctl(
        ["check", "--all", "--phase", "all", "--format", "github"],
        clone,
        GITHUB_ACTIONS="true",
        GITHUB_STEP_SUMMARY=str(summary),
    )
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines == [
        "::error title=rel-1/ready::ready/tested is open (owner: qa): Tests pass",
        "::error title=rel-1/ready::ready/docs is open (owner: development): Docs updated",
        "opsctl check: 2 missing",
    ]
    assert "| ready | ready/tested | qa | ❌ missing | open |" in summary.read_text("utf-8")


def test_ci_job_from_a_subfolder_and_as_json(clone: Path) -> None:
    sub = clone / "services" / "api"
    sub.mkdir(parents=True)
    result = opsctl(["check", "rel-1", "--format", "json"], sub)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert (report["kind"], report["version"], report["missing"]) == ("check", 1, 2)


def test_ci_job_does_not_dirty_the_checkout(clone: Path) -> None:
    assert opsctl(["check", "--all", "--format", "markdown"], clone).returncode == 1
    assert git("status", "--porcelain", cwd=clone) == ""


def test_ci_job_with_bad_input_exits_2(clone: Path) -> None:
    result = opsctl(["check", "--all", "--format", "junit", "--output", "out/report.xml"], clone)
    assert result.returncode == 2
    assert result.stderr.startswith("opsctl: error: --output out/report.xml:")
    assert len(result.stderr.splitlines()) == 1
    assert git("status", "--porcelain", cwd=clone) == ""
