"""Every automated check of the built-in frameworks, run the way CI runs it.

For each built-in item with a check, a fresh workspace starts a run with
every label of its framework (so conditional items apply), puts in place what
the check looks for (a file matching its glob, or a KPI reading meeting its
threshold), and ``opsctl check RUN --complete --run-checks`` must complete
the item with automated evidence. Without that file or reading, the same
check must leave the item open and say why.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from helpers import CliCaller
from opsctl.definitions.catalog import load_catalog
from opsctl.definitions.model import FileCheck, Framework, Item, MetricCheck, Phase

BUILTINS = load_catalog().frameworks()
CHECKED = [
    (framework, phase, item)
    for framework in BUILTINS
    for phase, item in framework.iter_items()
    if item.check is not None
]


def _id(case: tuple[Framework, Phase, Item]) -> str:
    framework, phase, item = case
    return f"{framework.id}:{phase.id}/{item.id}"


def example_path(pattern: str) -> str:
    """A path the glob matches: ``docs/**/*rollback*.md`` -> ``docs/examplerollbackexample.md``."""
    path = pattern.replace("**/", "")
    path = re.sub(r"\[([^\]])[^\]]*\]", r"\1", path)
    return path.replace("*", "example").replace("?", "x")


@pytest.fixture
def workspace(
    isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> CliCaller:
    caller = CliCaller(isolated, capsys, monkeypatch)
    caller.ok("init")
    return caller


def _start(workspace: CliCaller, framework: Framework, phase: Phase, item: Item) -> None:
    """Start a run carrying every label except those that would exclude the item."""
    excluded = {
        label for when in (phase.when, item.when) if when is not None for label in when.not_labels
    }
    labels = [
        arg
        for label in framework.labels
        if label.id not in excluded
        for arg in ("--label", label.id)
    ]
    workspace.ok("start", framework.id, "--title", "Check run", "--id", "run", *labels)


def _provide(workspace: CliCaller, item: Item) -> None:
    check = item.check
    if isinstance(check, FileCheck):
        target = workspace.root / example_path(check.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("written for the test\n", encoding="utf-8")
    else:
        assert isinstance(check, MetricCheck), f"{item.id}: command checks are opt-in"
        workspace.ok(
            "metric", "record", check.metric, f"{check.threshold:g}", "--period", "2026-01"
        )


def _checked_item(workspace: CliCaller, key: str) -> dict[str, Any]:
    _, out, _ = workspace("check", "run", "--complete", "--run-checks", "--format", "json")
    items = [
        item
        for phase in json.loads(out)["runs"][0]["phases"]
        for item in phase["items"]
        if item["key"] == key
    ]
    assert len(items) == 1, out
    return items[0]


@pytest.mark.parametrize("case", CHECKED, ids=[_id(case) for case in CHECKED])
def test_the_check_completes_its_item_when_what_it_looks_for_is_there(
    workspace: CliCaller, case: tuple[Framework, Phase, Item]
) -> None:
    framework, phase, item = case
    _start(workspace, framework, phase, item)
    _provide(workspace, item)
    checked = _checked_item(workspace, f"{phase.id}/{item.id}")
    assert (checked["status"], checked["result"]) == ("done", "passed")
    assert checked["message"].startswith("automated: ")


@pytest.mark.parametrize("case", CHECKED, ids=[_id(case) for case in CHECKED])
def test_the_check_leaves_its_item_open_when_it_is_missing(
    workspace: CliCaller, case: tuple[Framework, Phase, Item]
) -> None:
    framework, phase, item = case
    _start(workspace, framework, phase, item)
    checked = _checked_item(workspace, f"{phase.id}/{item.id}")
    assert (checked["status"], checked["result"]) == ("open", "failed")
    assert "automated check failed" in checked["message"]


def test_at_least_forty_builtin_items_carry_an_automated_check() -> None:
    assert len(CHECKED) >= 40


def test_command_checks_stay_opt_in() -> None:
    kinds = {item.check.kind for _, _, item in CHECKED if item.check is not None}
    assert kinds <= {"file", "metric"}


def test_frameworks_list_reports_checks_and_conditional_items(workspace: CliCaller) -> None:
    listing = json.loads(workspace.ok("frameworks", "list", "--format", "json"))["frameworks"]
    assert sum(row["checks"] for row in listing) == len(CHECKED)
    assert sum(row["conditional"] for row in listing) == sum(
        len(framework.conditional_keys) for framework in BUILTINS
    )


@pytest.mark.parametrize(
    "pattern",
    sorted({item.check.path for _, _, item in CHECKED if isinstance(item.check, FileCheck)}),
)
def test_example_path_matches_its_glob(tmp_path: Path, pattern: str) -> None:
    target = tmp_path / example_path(pattern)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("x", encoding="utf-8")
    assert list(tmp_path.glob(pattern)) == [target]
