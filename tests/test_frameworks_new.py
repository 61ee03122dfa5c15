"""`opsctl frameworks new`: a workspace framework to edit, with its schema; override warnings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from helpers import ok, run_main, store_snapshot, two_phase_framework
from opsctl.definitions.source import data_dir

BUILTINS = data_dir("frameworks")
MODELINE = "# yaml-language-server: $schema=framework.schema.json"


@pytest.fixture
def workspace(isolated: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    ok(["init"], capsys)
    return isolated / ".opsctl" / "frameworks"


def test_a_copy_of_a_builtin_with_its_schema_passes_validate(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = ok(["frameworks", "new", "qa-lite", "--from", "quality-assurance"], capsys)
    written = workspace / "qa-lite.yaml"
    assert f"wrote {written} (a copy of quality-assurance)" in out
    assert "KPIs left declared by quality-assurance: defect-escape-rate" in out
    text = written.read_text(encoding="utf-8")
    assert text.splitlines()[0] == MODELINE
    assert text.count("yaml-language-server") == 1
    data = yaml.safe_load(text)
    assert data["id"] == "qa-lite"
    assert "metrics" not in data
    source = yaml.safe_load((BUILTINS / "quality-assurance.yaml").read_text())
    assert data["phases"] == source["phases"], "the phases are copied as they are"
    schema = json.loads((workspace / "framework.schema.json").read_text(encoding="utf-8"))
    assert schema == json.loads(ok(["schema"], capsys))
    code, out, err = run_main(["validate"], capsys)
    assert (code, err) == (0, ""), err
    assert "ok: 14 frameworks valid" in out
    assert ok(["validate", str(written)], capsys).strip() == "ok: 1 file valid"
    listed = json.loads(ok(["frameworks", "list", "--format", "json"], capsys))
    assert "qa-lite" in [row["id"] for row in listed["frameworks"]]


def test_a_copy_of_a_workspace_framework_into_another_folder(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace / "signed.yaml").write_text(two_phase_framework(), encoding="utf-8")
    result = json.loads(
        ok(
            [
                "frameworks",
                "new",
                "signed-2",
                "--from",
                "signed",
                "--path",
                "drafts",
                "--format",
                "json",
            ],
            capsys,
        )
    )
    assert result["kind"] == "framework-created"
    draft = Path("drafts/signed-2.yaml").resolve()
    assert Path(result["path"]).resolve() == draft
    assert draft.read_text(encoding="utf-8").startswith(MODELINE + "\n")
    assert Path("drafts/framework.schema.json").is_file()
    assert ok(["validate", "drafts/signed-2.yaml"], capsys).strip() == "ok: 1 file valid"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["frameworks", "new", "Bad_Id", "--from", "quality-assurance"], "framework id 'Bad_Id'"),
        (["frameworks", "new", "x", "--from", "nope"], "unknown framework 'nope'"),
        (["frameworks", "new", "mine", "--from", "quality-assurance"], "mine.yaml already exists"),
        (["frameworks", "new", "signed", "--from", "automation"], "already exists in"),
    ],
)
def test_bad_input_writes_nothing(
    workspace: Path, capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    (workspace / "mine.yaml").write_text(two_phase_framework("mine"), encoding="utf-8")
    (workspace / "other.yaml").write_text(two_phase_framework("signed"), encoding="utf-8")
    before = store_snapshot(workspace.parent.parent)
    code, out, err = run_main(args, capsys)
    assert (code, out) == (2, "")
    assert len(err.strip().splitlines()) == 1, err
    assert needle in err
    assert store_snapshot(workspace.parent.parent) == before


def test_force_replaces_an_existing_file(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace / "mine.yaml").write_text(two_phase_framework("mine"), encoding="utf-8")
    ok(["frameworks", "new", "mine", "--from", "automation", "--force"], capsys)
    assert yaml.safe_load((workspace / "mine.yaml").read_text())["title"] == "Automation"


def test_validate_warns_when_a_workspace_framework_replaces_a_builtin(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(["validate"], capsys)
    assert (code, err) == (0, "")
    out = ok(["frameworks", "new", "automation", "--from", "automation"], capsys)
    assert "KPIs left" not in out
    code, out, err = run_main(["validate"], capsys)
    assert code == 0
    assert out.strip() == "ok: 13 frameworks valid"
    assert err.splitlines() == [
        f"opsctl: warning: {workspace / 'automation.yaml'}: framework 'automation' replaces the "
        "built-in framework of the same id; give it an id of its own to keep both "
        "(opsctl frameworks new ID --from automation)"
    ]
    code, _, err = run_main(["validate", ".opsctl/frameworks/automation.yaml"], capsys)
    assert code == 0
    assert "replaces the built-in framework" in err
    code, _, err = run_main(["validate", str(BUILTINS / "automation.yaml")], capsys)
    assert (code, err) == (0, ""), "the built-in file itself replaces nothing"
