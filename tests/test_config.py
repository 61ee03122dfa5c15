"""`.opsctl/config.yaml`: one YAML library reads and writes it; errors placed; cache never lies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import REPO, ok, run_main

CONFIG = ".opsctl/config.yaml"


def refused(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code, out, err = run_main(args, capsys)
    assert code == 2, (args, out, err)
    return err


@pytest.fixture
def workspace(isolated: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    ok(["init", "--team", "Checkout"], capsys)
    return isolated


def team(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    return json.loads(ok(["team", "list", "--format", "json"], capsys))


def test_yaml_1_2_values_mean_the_same_to_reader_and_writer(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace / CONFIG).write_text("team: no\nroles: [on]\n", encoding="utf-8")
    ok(["team", "add", "a@x", "--role", "on"], capsys)
    assert team(capsys)["roles"][-1] == "on"  # type: ignore[index]
    assert (workspace / CONFIG).read_text(encoding="utf-8").startswith("team: no\n")


def test_team_add_keeps_comments(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok(["team", "add", "a@x", "--role", "qa"], capsys)
    text = (workspace / CONFIG).read_text(encoding="utf-8")
    assert "# opsctl workspace configuration. Safe to commit" in text
    assert "# Only people holding an item's owner role may complete it." in text
    assert "{email: a@x, roles: [qa]}" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("teem: x\n", f"{CONFIG}:1:1: teem: unknown field (did you mean 'team'?)"),
        (
            "people:\n  - {email: a@x, rolez: [qa]}\n",
            f"{CONFIG}:2:18: people[0].rolez: unknown field (did you mean 'roles'?)",
        ),
        (
            "defaults:\n  due_in_days: 0\n",
            f"{CONFIG}:2:16: defaults.due_in_days: "
            "input should be greater than or equal to 1 (got 0)",
        ),
        ("team: [\n", f"{CONFIG}:2:1: while parsing a flow node expected the node content"),
        ("- a\n- b\n", f"{CONFIG}:1:1: expected a mapping of settings, found a list"),
        ("bogus: 1\n", "allowed: team, roles, people, defaults"),
    ],
)
def test_errors_name_file_line_and_field(
    workspace: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    (workspace / CONFIG).write_text(text, encoding="utf-8")
    for command in (["team", "list"], ["runs"], ["check", "--all"], ["status", "x"]):
        err = refused(command, capsys)
        assert expected in err
        assert "Traceback" not in err


def test_an_edited_config_is_never_answered_from_the_cache(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok(["team", "add", "a@x", "--role", "qa"], capsys)
    assert [p["email"] for p in team(capsys)["people"]] == ["a@x"]  # type: ignore[index]
    cache = workspace / ".opsctl" / "cache" / "config.json"
    assert cache.is_file()
    config = (workspace / CONFIG).read_text(encoding="utf-8")
    (workspace / CONFIG).write_text(config.replace("a@x", "b@x"), encoding="utf-8")
    assert [p["email"] for p in team(capsys)["people"]] == ["b@x"]  # type: ignore[index]
    (workspace / CONFIG).write_text("teem: x\n", encoding="utf-8")
    assert "unknown field" in refused(["team", "list"], capsys)


@pytest.mark.parametrize("damage", ["{", "[]", '{"source": "x", "value": 1}', ""])
def test_a_damaged_cache_is_rebuilt_silently(
    workspace: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    ok(["team", "add", "a@x", "--role", "qa"], capsys)
    team(capsys)
    cache = workspace / ".opsctl" / "cache" / "config.json"
    cache.write_text(damage, encoding="utf-8")
    assert [p["email"] for p in team(capsys)["people"]] == ["a@x"]  # type: ignore[index]
    assert json.loads(cache.read_text(encoding="utf-8"))["value"]["people"][0]["email"] == "a@x"


def test_a_forged_cache_for_the_same_digest_is_still_validated(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    team(capsys)
    cache = workspace / ".opsctl" / "cache" / "config.json"
    entry = json.loads(cache.read_text(encoding="utf-8"))
    entry["value"]["people"] = [{"email": "x@y", "roles": ["no such role!"]}]
    cache.write_text(json.dumps(entry), encoding="utf-8")
    assert team(capsys)["people"] == []


def test_the_cache_folder_ignores_itself_in_git(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    team(capsys)
    assert (workspace / ".opsctl" / "cache" / ".gitignore").read_text(encoding="utf-8") == "*\n"


def test_status_notices_an_edited_framework_despite_the_digest_cache(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok(["start", "release-management", "--title", "R", "--id", "r1"], capsys)
    before = json.loads(ok(["status", "r1", "--format", "json"], capsys))["definition"]
    assert before["changed"] is False
    assert (workspace / ".opsctl" / "cache" / "definition-digests.json").is_file()
    source = REPO / "frameworks" / "release-management.yaml"
    edited = source.read_text(encoding="utf-8").replace("Plan the release", "Plan it", 1)
    override = workspace / ".opsctl" / "frameworks" / "release-management.yaml"
    override.write_text(edited, encoding="utf-8")
    after = json.loads(ok(["status", "r1", "--format", "json"], capsys))["definition"]
    assert after["changed"] is True
    override.unlink()
    again = json.loads(ok(["status", "r1", "--format", "json"], capsys))["definition"]
    assert again["changed"] is False
