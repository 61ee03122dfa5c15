"""``opsctl check --run-checks`` runs command checks only from definitions the workspace trusts.

A run's pinned definition (``.opsctl/definitions/<digest>.json``) and the run
file itself are data anyone can commit. A ``command`` check runs only when
the run is pinned to, digest for digest, the workspace's own framework file
for its framework id, and only when the run's history holds. Otherwise the
item fails with why the command was not run; file and metric checks, which
only read, still run. Every command here would leave a marker file behind.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import ok, run_main
from opsctl.definitions.model import CommandCheck, Framework, definition_digest
from opsctl.store.documents import RunDocument
from opsctl.store.files import dumps, save_model

PY = json.dumps(sys.executable)
RUN = Path(".opsctl/runs/r.json")


def framework_text(command_marker: str | None) -> str:
    """A framework with a file check, and a command check writing ``command_marker`` if given."""
    check = ""
    if command_marker is not None:
        code = f"import pathlib; pathlib.Path({command_marker!r}).write_text('ran')"
        check = f"        check: {{kind: command, argv: [{PY}, -c, {json.dumps(code)}]}}\n"
    return (
        "id: trusted\n"
        "title: Trusted\n"
        "area: Testing\n"
        "summary: A file check and a command check.\n"
        "phases:\n"
        "  - id: build\n"
        "    title: Build\n"
        "    items:\n"
        "      - id: notes\n"
        "        title: Notes exist\n"
        "        help: Write NOTES.md.\n"
        "        owner: product-manager\n"
        '        check: {kind: file, path: "NOTES.md"}\n'
        "      - id: tests\n"
        "        title: Tests pass\n"
        "        help: Run them.\n"
        "        owner: qa\n" + check
    )


@pytest.fixture
def ws(capsys: pytest.CaptureFixture[str], isolated: Path) -> Path:
    ok(["init"], capsys)
    (isolated / "NOTES.md").write_text("notes\n", encoding="utf-8")
    return isolated


def write_framework(ws: Path, text: str) -> None:
    (ws / ".opsctl" / "frameworks" / "trusted.yaml").write_text(text, encoding="utf-8")


def check(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    args = ["check", "r", "--run-checks", "--phase", "current", "--format", "json"]
    code, out, err = run_main(args, capsys)
    assert code in (0, 1), (out, err)
    items = json.loads(out)["runs"][0]["phases"][0]["items"]
    return code, {item["key"]: item for item in items}


def item_state(ws: Path, key: str) -> dict[str, Any] | None:
    state: dict[str, Any] | None = json.loads((ws / RUN).read_text("utf-8"))["items"].get(key)
    return state


def plant(ws: Path, planted: Framework) -> None:
    """Pin run ``r`` to ``planted`` by hand, re-chaining the history so it still verifies."""
    digest = definition_digest(planted)
    pinned = ws / ".opsctl" / "definitions" / f"{digest.removeprefix('sha256:')}.json"
    content = {
        "schema": 1,
        "kind": "definition",
        "digest": digest,
        "framework": planted.model_dump(mode="json"),
    }
    pinned.write_text(dumps(content), encoding="utf-8")
    document = RunDocument.model_validate_json((ws / RUN).read_text("utf-8"))
    document.framework.digest = digest
    document.history[0].detail["digest"] = digest
    previous = ""
    for event in document.history:
        event.prev = previous
        event.hash = previous = event.content_hash()
    document.head = previous
    save_model(document, ws / RUN)


def test_a_command_planted_in_a_pinned_definition_does_not_run(
    capsys: pytest.CaptureFixture[str], ws: Path
) -> None:
    write_framework(ws, framework_text(None))
    ok(["start", "trusted", "--title", "R", "--id", "r"], capsys)
    planted = Framework.model_validate(yaml.safe_load(framework_text("planted.txt")))
    plant(ws, planted)
    # The run and its history hold: only the trust rule stands in the way.
    assert ok(["audit", "verify", "r"], capsys).startswith("r: intact")

    code, items = check(capsys)
    assert code == 1
    assert not (ws / "planted.txt").exists()
    message = items["build/tests"]["message"]
    assert message.startswith("open; automated check failed: not run: the run is pinned to ")
    assert str(ws / ".opsctl" / "frameworks" / "trusted.yaml") in message
    assert "command checks run only from the workspace's own framework files" in message
    assert item_state(ws, "build/tests") is None
    # The file check only reads, so it still runs and its pass is recorded.
    notes = item_state(ws, "build/notes")
    assert notes is not None
    assert (notes["by"], notes["evidence"]) == ("opsctl", "automated: file NOTES.md")


def test_a_run_upgraded_to_a_command_the_workspace_no_longer_has_does_not_run_it(
    capsys: pytest.CaptureFixture[str], ws: Path
) -> None:
    # Commit 1 adds a command and moves the run to it; commit 2 restores the file.
    write_framework(ws, framework_text(None))
    ok(["start", "trusted", "--title", "R", "--id", "r"], capsys)
    write_framework(ws, framework_text("planted.txt"))
    ok(["upgrade", "r"], capsys)
    write_framework(ws, framework_text(None))
    assert ok(["audit", "verify", "r"], capsys).startswith("r: intact")

    code, items = check(capsys)
    assert code == 1
    assert not (ws / "planted.txt").exists()
    message = items["build/tests"]["message"]
    assert "not run: the run is pinned to " in message
    assert "'opsctl upgrade r'" in message


def test_a_command_of_a_framework_the_workspace_does_not_have_does_not_run(
    capsys: pytest.CaptureFixture[str], ws: Path
) -> None:
    write_framework(ws, framework_text("planted.txt"))
    ok(["start", "trusted", "--title", "R", "--id", "r"], capsys)
    (ws / ".opsctl" / "frameworks" / "trusted.yaml").unlink()

    code, items = check(capsys)
    assert code == 1
    assert not (ws / "planted.txt").exists()
    assert (
        "not run: no framework file of this workspace defines 'trusted'"
        in (items["build/tests"]["message"])
    )


@pytest.mark.parametrize("edit", ["state", "event"])
def test_a_run_whose_history_was_edited_runs_no_command(
    capsys: pytest.CaptureFixture[str], ws: Path, edit: str
) -> None:
    write_framework(ws, framework_text("ran.txt"))
    ok(["start", "trusted", "--title", "R", "--id", "r"], capsys)
    ok(["done", "r", "notes", "--note", "by hand"], capsys)
    document = json.loads((ws / RUN).read_text("utf-8"))
    if edit == "state":
        document["title"] = "Renamed by hand"
    else:
        document["history"][-1]["detail"]["note"] = "edited"
    (ws / RUN).write_text(json.dumps(document, indent=2), encoding="utf-8")
    assert run_main(["audit", "verify", "r"], capsys)[0] == 1

    code, items = check(capsys)
    assert code == 1
    assert not (ws / "ran.txt").exists()
    message = items["build/tests"]["message"]
    assert message.startswith(
        "open; automated check failed: not run: the run's history does not hold (r:"
    )
    assert item_state(ws, "build/tests") is None


def test_the_workspace_s_own_framework_runs_its_commands(
    capsys: pytest.CaptureFixture[str], ws: Path
) -> None:
    write_framework(ws, framework_text("ran.txt"))
    ok(["start", "trusted", "--title", "R", "--id", "r"], capsys)

    code, items = check(capsys)
    assert code == 0, items
    assert (ws / "ran.txt").read_text(encoding="utf-8") == "ran"
    tests = item_state(ws, "build/tests")
    assert tests is not None
    assert (tests["by"], tests["status"]) == ("opsctl", "done")
    assert tests["evidence"].startswith("automated: ")
    assert ok(["audit", "verify", "r"], capsys).startswith("r: intact")


def test_the_command_check_is_what_the_workspace_file_says(ws: Path) -> None:
    """The planted framework differs from the workspace file only in its command check."""
    planted = Framework.model_validate(yaml.safe_load(framework_text("planted.txt")))
    own = Framework.model_validate(yaml.safe_load(framework_text(None)))
    assert isinstance(planted.phases[0].items[1].check, CommandCheck)
    assert definition_digest(planted) != definition_digest(own)
