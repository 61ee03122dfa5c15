"""Contracts every command keeps: help with an example, versioned JSON."""

from __future__ import annotations

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from opsctl.cli.main import app


def _commands() -> list[list[str]]:
    """Every command path, groups of groups included (``portfolio report monthly``)."""
    paths: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        sub = getattr(command, "commands", None)
        if path:
            paths.append(path)
        for name, child in (sub or {}).items():
            walk(child, [*path, name])

    walk(get_command(app), [])
    return paths


COMMANDS = _commands()


def test_every_documented_verb_exists() -> None:
    names = {" ".join(path) for path in COMMANDS}
    for verb in (
        "frameworks list",
        "frameworks show",
        "validate",
        "schema",
        "init",
        "start",
        "runs",
        "status",
        "done",
        "skip",
        "block",
        "reopen",
        "advance",
        "walk",
        "log",
        "upgrade",
        "check",
        "waivers",
        "metric list",
        "metric record",
        "metric baseline",
        "metric show",
        "report monthly",
        "report quarterly",
        "review due",
        "demo",
        "team add",
        "team list",
        "approve",
        "revoke",
        "audit verify",
        "git setup",
        "merge-file",
        "sync-check",
        "assign",
        "unassign",
        "comment",
        "todo",
        "digest",
        "portfolio status",
        "portfolio report",
    ):
        assert verb in names, verb


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path))
def test_every_command_has_help_with_an_example(path: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Example: opsctl" in result.output or "Example: git config" in result.output


JSON_COMMANDS = [
    (["frameworks", "list"], "frameworks"),
    (["frameworks", "show", "release-management"], "framework"),
    (["runs"], "runs"),
    (["status", "rel-2-4"], "run-status"),
    (["log", "rel-2-4"], "run-log"),
    (["check", "rel-2-4"], "check"),
    (["waivers"], "waivers"),
    (["metric", "list"], "metrics"),
    (["metric", "show", "development-efficiency"], "metric"),
    (["review", "due"], "reviews-due"),
    (["report", "monthly", "--month", "2026-11"], "report-figures"),
    (["report", "quarterly", "--quarter", "2026-Q4"], "report-figures"),
    (["team", "list"], "team"),
    (["audit", "verify"], "audit"),
    (["todo", "--person", "pm@example.com"], "todo"),
    (["digest"], "digest"),
    (["portfolio", "status", "--source", "."], "portfolio-status"),
    (["portfolio", "report", "quarterly", "--source", "."], "portfolio-report"),
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("contract") / "demo"
    result = CliRunner().invoke(app, ["demo", str(folder)])
    assert result.exit_code == 0, result.output
    return str(folder)


VERSIONS = {"check": 2, "metrics": 2, "metric": 2}
"""Shapes past their first version (docs/json.md says what changed)."""


@pytest.mark.parametrize(("args", "kind"), JSON_COMMANDS, ids=lambda v: str(v))
def test_every_read_command_prints_versioned_json(
    demo: str, args: list[str], kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    monkeypatch.chdir(demo)
    result = CliRunner().invoke(app, [*args, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    document = json.loads(result.stdout)
    assert document["kind"] == kind
    assert document["version"] == VERSIONS.get(kind, 1)
