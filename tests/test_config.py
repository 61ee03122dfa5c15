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


def _cached_value(cache: Path) -> object:
    """The JSON value of an authenticated cache entry (a tag line, then the value)."""
    return json.loads(cache.read_bytes().partition(b"\n")[2])


@pytest.mark.parametrize("damage", ["{", "[]", '{"source": "x", "value": 1}', "", "ab\n{}"])
def test_a_damaged_cache_is_rebuilt_silently(
    workspace: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    ok(["team", "add", "a@x", "--role", "qa"], capsys)
    team(capsys)
    cache = workspace / ".opsctl" / "cache" / "config.json"
    cache.write_text(damage, encoding="utf-8")
    assert [p["email"] for p in team(capsys)["people"]] == ["a@x"]  # type: ignore[index]
    assert _cached_value(cache)["people"][0]["email"] == "a@x"  # type: ignore[index]


def test_a_forged_cache_entry_is_never_believed(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An entry whose value was changed (say, committed with git add -f) fails its tag."""
    ok(["team", "add", "a@x", "--role", "qa"], capsys)
    team(capsys)
    cache = workspace / ".opsctl" / "cache" / "config.json"
    tag, _, value = cache.read_bytes().partition(b"\n")
    cache.write_bytes(tag + b"\n" + value.replace(b"a@x", b"evil@x"))
    assert [p["email"] for p in team(capsys)["people"]] == ["a@x"]  # type: ignore[index]


def test_an_entry_made_with_another_users_key_is_never_believed(
    workspace: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """A cache copied from another machine (another key) misses, then is rewritten."""
    from opsctl.store import cache as cache_module

    ok(["team", "add", "a@x", "--role", "qa"], capsys)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "other-user"))
    cache_module._user_key.cache_clear()
    team(capsys)
    entry = workspace / ".opsctl" / "cache" / "config.json"
    theirs = entry.read_bytes()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "me"))
    cache_module._user_key.cache_clear()
    entry.write_bytes(theirs.replace(b"a@x", b"evil@x"))
    assert [p["email"] for p in team(capsys)["people"]] == ["a@x"]  # type: ignore[index]
    assert entry.read_bytes() != theirs.replace(b"a@x", b"evil@x")
    cache_module._user_key.cache_clear()


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
