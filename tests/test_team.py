"""`opsctl team`: the roster in config.yaml, and who opsctl thinks is acting."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from helpers import opsctl_subprocess, run_main
from opsctl.store.workspace import init_workspace

CONFIG = """\
# Checkout squad's workspace. Keep this comment.
team: "Checkout"
# Our own roles, beyond the built-in ones.
roles: [security]   # added for the audit
# Who is who.
people:
  - {email: carol@example.com, name: Carol, roles: [qa]}
defaults:
  # Two weeks per run, agreed in the retro.
  due_in_days: 14
  enforce_owner: false
"""


@pytest.fixture
def workspace(isolated: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    code, _, err = run_main(["init", "--team", "Checkout"], capsys)
    assert code == 0, err
    return isolated / ".opsctl" / "config.yaml"


def roster(config: Path) -> list[dict[str, object]]:
    return yaml.safe_load(config.read_text(encoding="utf-8"))["people"]


def comments(text: str) -> list[str]:
    return [line for line in text.splitlines() if "#" in line]


def test_add_a_new_person_with_a_name(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(
        ["team", "add", "alice@example.com", "--role", "product-director", "--name", "Alice"],
        capsys,
    )
    assert (code, err) == (0, "")
    assert out.strip() == "alice@example.com: product-director"
    assert roster(workspace) == [
        {"email": "alice@example.com", "name": "Alice", "roles": ["product-director"]}
    ]


def test_more_roles_for_an_existing_person_and_a_new_name(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(["team", "add", "alice@example.com", "-r", "qa"], capsys)[0] == 0
    code, out, _ = run_main(
        ["team", "add", "Alice@Example.com", "-r", "qa", "-r", "operations", "--name", "Alice B"],
        capsys,
    )
    assert code == 0
    assert out.strip() == "alice@example.com: qa, operations"
    assert roster(workspace) == [
        {"email": "alice@example.com", "name": "Alice B", "roles": ["qa", "operations"]}
    ]
    code, _, _ = run_main(["team", "add", "alice@example.com", "-r", "qa"], capsys)
    assert code == 0
    assert roster(workspace)[0]["name"] == "Alice B", "no --name keeps the name"


def test_unknown_role_is_refused_naming_the_known_roles(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = workspace.read_bytes()
    code, out, err = run_main(["team", "add", "bob@example.com", "--role", "wizard"], capsys)
    assert code == 2
    assert out == ""
    assert "unknown role 'wizard'" in err
    for role in ("product-director", "product-manager", "operations", "development", "qa"):
        assert role in err
    assert "roles:" in err
    assert workspace.read_bytes() == before


def test_person_with_spaces_is_refused(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = workspace.read_bytes()
    code, _, err = run_main(["team", "add", "bob smith", "--role", "qa"], capsys)
    assert code == 2
    assert "without spaces" in err
    assert workspace.read_bytes() == before


def test_workspace_role_accepted_and_comments_and_settings_survive(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace.write_text(CONFIG, encoding="utf-8")
    code, _, err = run_main(["team", "add", "dan@example.com", "--role", "security"], capsys)
    assert code == 0, err
    code, _, err = run_main(["team", "add", "carol@example.com", "--role", "security"], capsys)
    assert code == 0, err
    after = workspace.read_text(encoding="utf-8")
    assert comments(after) == comments(CONFIG)
    data = yaml.safe_load(after)
    assert data["team"] == "Checkout"
    assert data["roles"] == ["security"]
    assert data["defaults"] == {"due_in_days": 14, "enforce_owner": False}
    assert data["people"] == [
        {"email": "carol@example.com", "name": "Carol", "roles": ["qa", "security"]},
        {"email": "dan@example.com", "roles": ["security"]},
    ]
    assert after.startswith("# Checkout squad's workspace. Keep this comment.\n")


def test_the_template_comments_survive(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = workspace.read_text(encoding="utf-8")
    assert run_main(["team", "add", "alice@example.com", "-r", "qa"], capsys)[0] == 0
    after = workspace.read_text(encoding="utf-8")
    assert comments(after) == comments(before)
    assert yaml.safe_load(after)["defaults"] == yaml.safe_load(before)["defaults"]


def test_list_text_and_json(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(["team", "list"], capsys)
    assert code == 0
    assert "nobody yet" in out
    workspace.write_text(CONFIG, encoding="utf-8")
    run_main(
        ["team", "add", "alice@example.com", "-r", "product-director", "--name", "Alice"], capsys
    )
    run_main(["team", "add", "bob@example.com", "-r", "security", "-r", "qa"], capsys)

    code, out, _ = run_main(["team", "list"], capsys)
    assert code == 0
    lines = [line.split() for line in out.splitlines()]
    assert lines == [
        ["EMAIL", "NAME", "ROLES"],
        ["carol@example.com", "Carol", "qa"],
        ["alice@example.com", "Alice", "product-director"],
        ["bob@example.com", "-", "security,", "qa"],
    ]

    code, out, _ = run_main(["team", "list", "--format", "json"], capsys)
    assert code == 0
    document = json.loads(out)
    assert document["kind"] == "team"
    assert document["version"] == 1
    assert document["people"][2] == {
        "email": "bob@example.com",
        "name": "",
        "roles": ["security", "qa"],
    }
    assert document["roles"] == [
        "product-director",
        "product-manager",
        "operations",
        "development",
        "qa",
        "security",
    ]


def test_team_outside_a_workspace_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["team", "add", "a@example.com", "-r", "qa"], capsys)
    assert code == 2
    assert "opsctl init" in err


# Identity: who the history records as acting.


def _started_by(cwd: Path, env: dict[str, str]) -> str:
    result = opsctl_subprocess(
        ["start", "release-management", "--title", "Identity check", "--id", "who"], cwd, env
    )
    assert result.returncode == 0, result.stderr
    document = json.loads((cwd / ".opsctl" / "runs" / "who.json").read_text(encoding="utf-8"))
    assert document["history"][0]["actor"] == document["created_by"]
    return str(document["created_by"])


@pytest.fixture
def bare_workspace(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace, and an environment without OPSCTL_USER (as in CI)."""
    init_workspace(isolated)
    monkeypatch.delenv("OPSCTL_USER", raising=False)
    return isolated


def test_github_actor_is_used_when_opsctl_user_is_unset(bare_workspace: Path) -> None:
    assert _started_by(bare_workspace, {"GITHUB_ACTOR": "octocat"}) == "octocat"


def test_gitlab_user_email_is_used_when_opsctl_user_is_unset(bare_workspace: Path) -> None:
    env = {"GITLAB_USER_EMAIL": "ci@gitlab.example.com"}
    assert _started_by(bare_workspace, env) == "ci@gitlab.example.com"


def test_opsctl_user_wins_over_the_ci_user(bare_workspace: Path) -> None:
    env = {"OPSCTL_USER": "pm@example.com", "GITHUB_ACTOR": "octocat"}
    assert _started_by(bare_workspace, env) == "pm@example.com"


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not on PATH")
def test_git_user_email_is_used_outside_ci(bare_workspace: Path) -> None:
    home = bare_workspace.parent / "home"
    subprocess.run(
        ["git", "config", "--file", str(home / ".gitconfig"), "user.email", "dev@example.com"],
        check=True,
    )
    assert _started_by(bare_workspace, {"HOME": str(home)}) == "dev@example.com"
