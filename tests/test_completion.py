"""Shell completion: the scripts for bash, zsh and fish, and real bash completion of candidates."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import CliCaller, two_phase_framework

BIN = str(Path(sys.executable).parent)
"""Where the ``opsctl`` script of this environment lives: the completion scripts call it."""

pytestmark = pytest.mark.skipif(
    shutil.which("opsctl", path=BIN) is None, reason="needs the installed opsctl script"
)

CONFIG = """\
team: Checkout
people:
  - {email: ana@example.com, roles: [product-director]}
  - {email: ben@example.com, roles: [product-manager, qa]}
  - {email: cy@example.com, roles: [operations]}
"""


@pytest.fixture
def workspace(
    isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Three people, a workspace framework with a KPI, runs r1 (scope done) and r2."""
    caller = CliCaller(isolated, capsys, monkeypatch)
    caller.ok("init")
    (isolated / ".opsctl" / "config.yaml").write_text(CONFIG, encoding="utf-8")
    metric = {
        "id": "scope-creep",
        "title": "Scope creep",
        "unit": "%",
        "direction": "lower",
        "target_improvement_pct": 20,
    }
    framework = two_phase_framework(metrics=[metric])
    (isolated / ".opsctl" / "frameworks" / "signed.yaml").write_text(framework)
    caller.ok("start", "signed", "--id", "r1", "--title", "R1")
    caller.ok("start", "signed", "--id", "r2", "--title", "R2")
    caller.ok("done", "r1", "scope", "-e", "https://wiki/scope")
    return isolated


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", **extra}


def complete(cwd: Path, line: str) -> list[str]:
    """The candidates opsctl answers for the last word of ``line`` (the bash protocol)."""
    words = line.split(" ")
    result = subprocess.run(
        ["opsctl"],
        cwd=cwd,
        env=_env(COMP_WORDS=line, COMP_CWORD=str(len(words) - 1), _OPSCTL_COMPLETE="complete_bash"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    return result.stdout.split()


def bash_tab(cwd: Path, *words: str) -> list[str]:
    """What bash offers on TAB after ``words``: the real script, sourced, then its function."""
    script = subprocess.run(
        ["opsctl", "--show-completion"], env=_env(), capture_output=True, text=True, check=True
    ).stdout
    array = " ".join(f"'{word}'" for word in words)
    program = (
        f"{script}\n"
        f"COMP_WORDS=({array}); COMP_CWORD={len(words) - 1}\n"
        '_opsctl_completion opsctl; printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    result = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", program],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    return [line for line in result.stdout.splitlines() if line]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completes_run_ids_and_the_open_items_of_a_run(workspace: Path) -> None:
    assert bash_tab(workspace, "opsctl", "status", "") == ["r1", "r2"]
    assert bash_tab(workspace, "opsctl", "done", "r1", "") == [
        "plan/risks",
        "ship/deploy",
        "ship/notes",
    ]
    assert bash_tab(workspace, "opsctl", "done", "r2", "sh") == ["ship/deploy", "ship/notes"]


def test_candidates_for_each_kind_of_argument(workspace: Path) -> None:
    assert "status" in complete(workspace, "opsctl st")
    assert complete(workspace, "opsctl reopen r1 ") == ["plan/scope"]
    assert complete(workspace, "opsctl log r") == ["r1", "r2"]
    frameworks = complete(workspace, "opsctl start ")
    assert {"signed", "release-management", "quality-assurance"} <= set(frameworks)
    assert complete(workspace, "opsctl frameworks new x --from sig") == ["signed"]
    assert complete(workspace, "opsctl team remove ") == [
        "ana@example.com",
        "ben@example.com",
        "cy@example.com",
    ]
    assert complete(workspace, "opsctl team remove cy@example.com --reassign-to b") == [
        "ben@example.com"
    ]
    metrics = complete(workspace, "opsctl metric show ")
    assert {"scope-creep", "defect-escape-rate"} <= set(metrics)
    assert complete(workspace, "opsctl metric show scope") == ["scope-creep"]


def test_no_candidates_and_no_error_outside_a_workspace(isolated: Path) -> None:
    assert complete(isolated, "opsctl status ") == []
    assert complete(isolated, "opsctl done r1 ") == []
    assert "release-management" in complete(isolated, "opsctl start rel")


def test_a_damaged_run_file_offers_no_items(workspace: Path) -> None:
    (workspace / ".opsctl" / "runs" / "r2.json").write_text("{not json", encoding="utf-8")
    assert complete(workspace, "opsctl done r2 ") == []
    assert complete(workspace, "opsctl status ") == ["r1", "r2"]


@pytest.mark.parametrize(
    ("shell", "needles"),
    [
        (
            "bash",
            [
                "_opsctl_completion() {",
                "_OPSCTL_COMPLETE=complete_bash",
                "complete -o default -F _opsctl_completion opsctl",
            ],
        ),
        ("zsh", ["#compdef opsctl", "_OPSCTL_COMPLETE=complete_zsh", "compdef _opsctl_completion"]),
        ("fish", ["complete --command opsctl", "_OPSCTL_COMPLETE=complete_fish"]),
    ],
)
def test_completion_scripts_for_each_shell(isolated: Path, shell: str, needles: list[str]) -> None:
    result = subprocess.run(
        ["opsctl"],
        cwd=isolated,
        env=_env(_OPSCTL_COMPLETE=f"source_{shell}"),
        capture_output=True,
        text=True,
        check=True,
    )
    for needle in needles:
        assert needle in result.stdout, result.stdout


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_show_and_install_completion_from_bash(isolated: Path) -> None:
    home = isolated.parent / "home"
    shown = subprocess.run(
        ["bash", "--norc", "-c", "opsctl --show-completion"],
        env=_env(HOME=str(home)),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "complete -o default -F _opsctl_completion opsctl" in shown
    installed = subprocess.run(
        ["bash", "--norc", "-c", "opsctl --install-completion"],
        env=_env(HOME=str(home)),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    script = home / ".bash_completions" / "opsctl.sh"
    assert f"bash completion installed in {script}" in installed
    assert script.read_text(encoding="utf-8").strip() == shown.strip()
    assert f"source '{script}'" in (home / ".bashrc").read_text(encoding="utf-8")
