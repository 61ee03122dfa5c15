"""`opsctl check` as a CI job runs it: in a fresh clone with a committed workspace."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from junitparser import JUnitXml

from helpers import opsctl_subprocess, process_ok

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
CI_ENV = {**BASE_ENV, "CI": "true"}
"""What a CI job runs with: a separate process, no stdin, CI=true."""
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
    process_ok(["init", "--team", "Checkout"], repo, CI_ENV)
    (repo / ".opsctl" / "frameworks" / "ship-it.yaml").write_text(FRAMEWORK, encoding="utf-8")
    process_ok(["start", "ship-it", "--title", "Release 1", "--id", "rel-1"], repo, CI_ENV)
    process_ok(["done", "rel-1", "ready/notes"], repo, CI_ENV)
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
    result = opsctl_subprocess(
        ["check", "--all", "--phase", "all", "--format", "junit", "--output", "report.xml"],
        clone,
        CI_ENV,
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

    process_ok(["done", "rel-1", "ready/tested"], clone, CI_ENV)
    process_ok(["skip", "rel-1", "ready/docs", "--reason", "no user-facing change"], clone, CI_ENV)
    result = opsctl_subprocess(
        ["check", "--all", "--phase", "all", "--format", "junit", "--output", "report.xml"],
        clone,
        CI_ENV,
    )
    assert result.returncode == 0, (result.stdout, result.stderr)
    [suite] = list(JUnitXml.fromfile(str(clone / "report.xml")))
    assert (suite.tests, suite.failures, suite.skipped) == (3, 0, 1)

    process_ok(["advance", "rel-1"], clone, CI_ENV)
    assert opsctl_subprocess(["check", "--all"], clone, CI_ENV).returncode == 0
    assert (
        opsctl_subprocess(["check", "--all", "--phase", "current"], clone, CI_ENV).returncode == 1
    )
    process_ok(["done", "rel-1", "live/deployed"], clone, CI_ENV)
    assert opsctl_subprocess(["check", "--all", "--phase", "all"], clone, CI_ENV).returncode == 0


def test_ci_job_with_github_annotations_and_step_summary(clone: Path, tmp_path: Path) -> None:
    summary = tmp_path / "step-summary.md"
    summary.touch()
    result = opsctl_subprocess(
        ["check", "--all", "--phase", "all", "--format", "github"],
        clone,
        {**CI_ENV, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)},
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
    result = opsctl_subprocess(["check", "rel-1", "--complete", "--format", "json"], sub, CI_ENV)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert (report["kind"], report["version"], report["mode"]) == ("check", 2, "complete")
    assert report["missing"] == 4


def test_ci_job_does_not_dirty_the_checkout(clone: Path) -> None:
    assert (
        opsctl_subprocess(["check", "--all", "--format", "markdown"], clone, CI_ENV).returncode == 0
    )
    assert git("status", "--porcelain", cwd=clone) == ""


def test_ci_job_with_bad_input_exits_2(clone: Path) -> None:
    result = opsctl_subprocess(
        ["check", "--all", "--format", "junit", "--output", "out/report.xml"], clone, CI_ENV
    )
    assert result.returncode == 2
    assert result.stderr.startswith("opsctl: error: --output out/report.xml:")
    assert len(result.stderr.splitlines()) == 1
    assert git("status", "--porcelain", cwd=clone) == ""
