"""The CI recipes of docs/ci.md and the shipped pre-commit hooks, run as written.

Each recipe's ``opsctl`` commands are read from the docs and the hook entries
from ``.pre-commit-hooks.yaml``, then run with bash in a real git repository:
while a run is in progress the pre-commit and pull-request recipes pass, the
release recipes fail until the tagged release's run is complete.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers import REPO, process_ok

pytestmark = pytest.mark.skipif(
    not (Path(sys.executable).parent / "opsctl").exists(), reason="opsctl script not installed"
)

RECIPE = re.compile(r"```yaml\n# recipe: (?P<name>[\w-]+)\n(?P<body>.*?)```", re.DOTALL)
SOLO = """\
id: solo
title: Solo release
area: Testing
summary: One phase, one item.
phases:
  - id: only
    title: Only
    items:
      - {id: one, title: One, help: Do it., owner: qa}
"""


def recipes() -> dict[str, str]:
    """Every ``# recipe: NAME`` YAML block of docs/ci.md, by name."""
    text = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    return {match["name"]: match["body"] for match in RECIPE.finditer(text)}


def opsctl_commands(recipe: str) -> list[str]:
    """The opsctl commands a GitHub (steps' run) or GitLab (script) recipe runs."""
    document = yaml.safe_load(recipe)
    commands: list[str] = []
    for job in (document.get("jobs") or document).values():
        if not isinstance(job, dict):
            continue
        commands += [step["run"] for step in job.get("steps", []) if "run" in step]
        commands += job.get("script", [])
    return [command for command in commands if command.startswith("opsctl ")]


def hook_commands(recipe: str, changed: list[str]) -> list[str]:
    """The commands pre-commit runs for the recipe's hooks, given the changed files."""
    wanted = {hook["id"] for repo in yaml.safe_load(recipe)["repos"] for hook in repo["hooks"]}
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    commands = []
    for hook in hooks:
        if hook["id"] not in wanted:
            continue
        files = [path for path in changed if re.search(hook.get("files", ""), path)]
        if files or hook.get("always_run"):
            arguments = files if hook.get("pass_filenames", True) else []
            commands.append(" ".join([hook["entry"], *arguments]))
    return commands


def run(command: str, repo: Path, ref: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "CI": "true",
        "GITHUB_REF": f"refs/tags/{ref}",
        "CI_COMMIT_TAG": ref,
        "OPSCTL_USER": "pm@example.com",
    }
    env.pop("GITHUB_STEP_SUMMARY", None)
    return subprocess.run(
        ["bash", "-c", command],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(isolated: Path) -> Path:
    """A product repository with a committed workspace and a run for v1.0 in progress."""
    git(isolated, "init", "-q", "-b", "main")
    git(isolated, "config", "user.email", "pm@example.com")
    git(isolated, "config", "user.name", "PM")
    process_ok(["init"], isolated)
    (isolated / ".opsctl" / "frameworks" / "solo.yaml").write_text(SOLO, encoding="utf-8")
    process_ok(
        ["start", "solo", "--title", "Release 1.0", "--id", "rel-1", "--ref", "v1.0"], isolated
    )
    git(isolated, "add", "-A")
    git(isolated, "commit", "-q", "-m", "Start release 1.0")
    return isolated


def test_every_recipe_is_there_and_runs_opsctl() -> None:
    found = recipes()
    assert set(found) == {
        "pre-commit",
        "github-pr",
        "gitlab-pr",
        "github-release",
        "gitlab-release",
    }
    for name in ("github-pr", "gitlab-pr", "github-release", "gitlab-release"):
        assert opsctl_commands(found[name]), name


def test_pre_commit_hooks_pass_with_a_run_in_progress(repo: Path) -> None:
    changed = [
        ".opsctl/frameworks/solo.yaml",
        ".opsctl/runs/rel-1.json",
        ".opsctl/config.yaml",
    ]
    commands = hook_commands(recipes()["pre-commit"], changed)
    assert commands == ["opsctl validate .opsctl/frameworks/solo.yaml", "opsctl sync-check"]
    for command in commands:
        result = run(command, repo, "v1.0")
        assert result.returncode == 0, (command, result.stdout, result.stderr)


@pytest.mark.parametrize("name", ["github-pr", "gitlab-pr"])
def test_pull_request_recipes_pass_while_a_run_is_in_progress(repo: Path, name: str) -> None:
    for command in opsctl_commands(recipes()[name]):
        result = run(command, repo, "v1.0")
        assert result.returncode == 0, (command, result.stdout, result.stderr)


@pytest.mark.parametrize("name", ["github-pr", "gitlab-pr"])
def test_pull_request_recipes_fail_on_a_hand_edited_history(repo: Path, name: str) -> None:
    path = repo / ".opsctl" / "runs" / "rel-1.json"
    path.write_text(path.read_text(encoding="utf-8").replace("Release 1.0", "Release 9"), "utf-8")
    codes = [run(command, repo, "v1.0").returncode for command in opsctl_commands(recipes()[name])]
    assert codes[0] == 1


@pytest.mark.parametrize("name", ["github-release", "gitlab-release"])
def test_release_recipes_pass_only_once_the_tagged_run_is_complete(repo: Path, name: str) -> None:
    [command] = opsctl_commands(recipes()[name])
    result = run(command, repo, "v1.0")
    assert result.returncode == 1
    process_ok(["done", "rel-1", "one"], repo)
    process_ok(["advance", "rel-1"], repo)
    result = run(command, repo, "v1.0")
    assert result.returncode == 0, (result.stdout, result.stderr)
    unlinked = run(command, repo, "v2.0")
    assert unlinked.returncode == 1
    assert "no run is linked to v2.0" in unlinked.stderr
