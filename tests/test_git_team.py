"""Team mode with real git: clones tick, approve and advance, then merge, rebase, cherry-pick.

opsctl runs in-process against each clone (``-w CLONE``); git runs as a real
process with a PATH that has no ``opsctl`` on it, so the merge driver works
only because ``opsctl git setup`` registered ``<python> -m opsctl``.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers import opsctl_subprocess, run_main, two_phase_framework
from opsctl.engine import history as audit
from opsctl.store.documents import RunDocument

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not on PATH")

FRAMEWORK = two_phase_framework(
    metrics=[
        {
            "id": "lead-time",
            "title": "Lead time",
            "unit": "days",
            "direction": "lower",
            "target_improvement_pct": 20,
        }
    ]
)

RUN = Path(".opsctl/runs/rel-1.json")


def _path_without_opsctl() -> str:
    folders = [
        folder
        for folder in os.environ.get("PATH", "").split(os.pathsep)
        if folder and not (Path(folder) / "opsctl").exists()
    ]
    return os.pathsep.join(folders)


GIT_PATH = _path_without_opsctl()


def git_env(home: Path) -> dict[str, str]:
    env = {**os.environ, "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1", "PATH": GIT_PATH}
    env.pop("OPSCTL_WORKSPACE", None)
    return env


def git(
    repo: Path, *args: str, home: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["git", *args],
        cwd=repo,
        env=git_env(home or Path(os.environ["HOME"])),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if check:
        assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result


def identify(repo: Path, name: str, home: Path | None = None) -> None:
    git(repo, "config", "user.email", f"{name}@example.com", home=home)
    git(repo, "config", "user.name", name, home=home)
    git(repo, "config", "commit.gpgsign", "false", home=home)


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository with a committed workspace (init --git), a roster and run rel-1."""
    base = tmp_path_factory.mktemp("team")
    home = base / "home"
    home.mkdir()
    repo = base / "origin"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main", home=home)
    identify(repo, "lead", home=home)
    env = {"HOME": str(home), "OPSCTL_USER": "lead@example.com", "GIT_CONFIG_NOSYSTEM": "1"}
    env["OPSCTL_WORKSPACE"] = ""
    env["OPSCTL_NOW"] = "2026-03-02T09:00:00Z"
    result = opsctl_subprocess(["init", "--git", "--team", "Checkout"], repo, env)
    assert result.returncode == 0, result.stderr
    (repo / ".opsctl" / "frameworks" / "signed.yaml").write_text(FRAMEWORK, encoding="utf-8")
    config = repo / ".opsctl" / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "people: []",
            "people:\n  - {email: dir@example.com, roles: [product-director]}",
        ),
        encoding="utf-8",
    )
    result = opsctl_subprocess(
        ["start", "signed", "--title", "Release 1", "--id", "rel-1"], repo, env
    )
    assert result.returncode == 0, result.stderr
    git(repo, "add", "-A", home=home)
    git(repo, "commit", "-q", "-m", "Workspace and release 1", home=home)
    return repo


class Team:
    """Clones of the origin, and opsctl run in-process against one of them."""

    def __init__(
        self,
        origin: Path,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        self.origin = origin
        self.tmp_path = tmp_path
        self.capsys = capsys
        self.monkeypatch = monkeypatch

    def clone(self, name: str, *, setup: bool = True, source: Path | None = None) -> Path:
        target = self.tmp_path / name
        git(self.tmp_path, "clone", "-q", str(source or self.origin), str(target))
        identify(target, name)
        if setup:
            self.ok(target, "git", "setup")
            assert git(target, "status", "--porcelain").stdout == ""
        return target

    def __call__(
        self, repo: Path, *args: str, user: str = "pm@example.com", now: str | None = None
    ) -> tuple[int, str, str]:
        self.monkeypatch.setenv("OPSCTL_USER", user)
        if now:
            self.monkeypatch.setenv("OPSCTL_NOW", f"2026-03-02T{now}:00Z")
        self.monkeypatch.chdir(repo)
        try:
            return run_main(["-w", str(repo), *args], self.capsys)
        finally:
            self.monkeypatch.delenv("OPSCTL_NOW", raising=False)

    def ok(self, repo: Path, *args: str, **kwargs: Any) -> str:
        code, out, err = self(repo, *args, **kwargs)
        assert code == 0, (args, out, err)
        return out

    def commit(self, repo: Path, message: str) -> None:
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", message)

    def pull(self, repo: Path, other: Path) -> subprocess.CompletedProcess[str]:
        """Merge another clone's HEAD into this one, as `git pull --no-rebase` does."""
        git(repo, "fetch", "-q", str(other), "HEAD")
        return git(repo, "merge", "--no-edit", "FETCH_HEAD", check=False)

    def run(self, repo: Path) -> dict[str, Any]:
        return json.loads((repo / RUN).read_text(encoding="utf-8"))

    def status(self, repo: Path) -> dict[str, Any]:
        return json.loads(self.ok(repo, "status", "rel-1", "--format", "json"))

    def verified(self, repo: Path) -> None:
        out = self.ok(repo, "audit", "verify", "rel-1")
        assert out.startswith("rel-1: intact"), out


@pytest.fixture
def team(
    origin: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Team:
    (tmp_path / "home").mkdir(exist_ok=True)
    return Team(origin, tmp_path, capsys, monkeypatch)


def merged_cleanly(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "CONFLICT" not in result.stdout


def actions(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (e["action"], e.get("item") or e.get("phase") or "", e["actor"])
        for e in document["history"]
    ]


# Setup.


def test_git_setup_registers_the_driver_through_this_python(team: Team) -> None:
    assert shutil.which("opsctl", path=GIT_PATH) is None, "the driver must not need opsctl on PATH"
    a = team.clone("a", setup=False)
    out = team.ok(a, "git", "setup")
    expected = f"{shlex.quote(sys.executable)} -m opsctl merge-file %O %A %B %P"
    assert git(a, "config", "merge.opsctl.driver").stdout.strip() == expected
    assert expected in out
    assert git(a, "config", "merge.opsctl.name").stdout.strip() == "opsctl store merge"
    attributes = (a / ".gitattributes").read_text(encoding="utf-8")
    assert ".opsctl/**/*.json merge=opsctl" in attributes.splitlines()
    checked = git(a, "check-attr", "merge", str(RUN), ".opsctl/metrics.json", "README.md").stdout
    assert checked.splitlines() == [
        f"{RUN}: merge: opsctl",
        ".opsctl/metrics.json: merge: opsctl",
        "README.md: merge: unspecified",
    ]
    team.ok(a, "git", "setup")
    assert (a / ".gitattributes").read_text(encoding="utf-8") == attributes
    assert git(a, "status", "--porcelain").stdout == "", (
        ".gitattributes was committed by init --git"
    )


def test_init_git_outside_a_repository_creates_nothing(
    team: Team, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    code, out, err = team(folder, "init", "--git")
    assert code == 2, (out, err)
    assert "git rev-parse" in err
    assert list(folder.iterdir()) == []


def test_init_git_inside_a_repository(team: Team, tmp_path: Path) -> None:
    repo = tmp_path / "fresh"
    repo.mkdir()
    git(repo, "init", "-q")
    sub = repo / "ops"
    sub.mkdir()
    out = team.ok(sub, "init", "--git")
    assert (sub / ".opsctl" / "config.yaml").is_file()
    assert "merge=opsctl" in (repo / ".gitattributes").read_text(encoding="utf-8")
    assert "-m opsctl merge-file" in git(repo, "config", "merge.opsctl.driver").stdout
    assert "routes .opsctl/**/*.json" in out


# Merges.


def test_two_clones_tick_different_items_and_merge_cleanly(team: Team) -> None:
    a, b = team.clone("a"), team.clone("b")
    team.ok(a, "done", "rel-1", "scope", now="10:00")
    team.commit(a, "scope agreed")
    team.ok(
        b, "done", "rel-1", "risks", "--note", "three risks", user="dev@example.com", now="10:30"
    )
    team.commit(b, "risks listed")

    merged_cleanly(team.pull(a, b))
    assert git(a, "status", "--porcelain").stdout == ""
    assert len(git(a, "log", "--format=%H", "-1", "--format=%P").stdout.split()) == 2
    document = team.run(a)
    assert sorted(document["items"]) == ["plan/risks", "plan/scope"]
    assert document["items"]["plan/risks"]["note"] == "three risks"
    assert actions(document) == [
        ("start", "", "lead@example.com"),
        ("done", "plan/scope", "pm@example.com"),
        ("done", "plan/risks", "dev@example.com"),
        ("merge", "", "opsctl"),
    ]
    team.verified(a)
    assert team.ok(a, "sync-check").startswith("ok: 1 runs intact")

    # The other clone takes the merge as a fast-forward and agrees.
    git(b, "pull", "-q", "--ff-only", str(a), "main")
    assert team.run(b) == document


def test_both_clones_tick_the_same_item_later_wins(team: Team) -> None:
    a, b = team.clone("a"), team.clone("b")
    team.ok(a, "done", "rel-1", "risks", "--note", "from a", now="10:00")
    team.commit(a, "risks from a")
    team.ok(b, "done", "rel-1", "risks", "--note", "from b", user="dev@example.com", now="11:00")
    team.commit(b, "risks from b")

    result = team.pull(a, b)
    merged_cleanly(result)
    assert (
        "opsctl: merge-file: .opsctl/runs/rel-1.json: rel-1: plan/risks changed on both sides"
        in (result.stderr)
    )
    assert "kept the later change (done by dev@example.com at 2026-03-02T11:00:00" in (
        result.stderr
    )
    document = team.run(a)
    assert document["items"]["plan/risks"]["note"] == "from b"
    notes = [e["detail"].get("note") for e in document["history"] if e.get("item") == "plan/risks"]
    assert notes == ["from a", "from b"]
    team.verified(a)


def test_one_clone_advances_while_the_other_ticks_the_next_phase(team: Team) -> None:
    a = team.clone("a")
    team.ok(a, "done", "rel-1", "scope", now="10:00")
    team.ok(a, "done", "rel-1", "risks", now="10:05")
    team.ok(a, "approve", "rel-1", user="dir@example.com", now="10:10")
    team.commit(a, "planning done")
    b = team.clone("b", source=a)

    team.ok(a, "advance", "rel-1", now="11:00")
    team.commit(a, "advance")
    team.ok(b, "done", "rel-1", "ship/notes", user="dev@example.com", now="11:30")
    team.commit(b, "notes")

    merged_cleanly(team.pull(b, a))
    status = team.status(b)
    assert status["run"]["phase"] == "ship"
    ship = next(p for p in status["phases"] if p["id"] == "ship")
    assert [i["status"] for i in ship["items"]] == ["open", "done"]
    assert status["approvals"][0].get("voided") is None
    team.verified(b)


def test_approval_is_voided_when_the_other_clone_reopens_after_it(team: Team) -> None:
    a = team.clone("a")
    team.ok(a, "done", "rel-1", "scope", now="10:00")
    team.ok(a, "done", "rel-1", "risks", now="10:05")
    team.commit(a, "planning items")
    b = team.clone("b", source=a)

    team.ok(a, "approve", "rel-1", "-m", "go", user="dir@example.com", now="11:00")
    team.commit(a, "approved")
    team.ok(b, "reopen", "rel-1", "plan/scope", now="11:30")
    team.commit(b, "scope reopened")

    merged_cleanly(team.pull(a, b))
    status = team.status(a)
    plan = next(p for p in status["phases"] if p["id"] == "plan")
    assert plan["gate"]["approvals_missing"] == ["product-director"]
    [approval] = status["approvals"]
    assert approval["voided"].startswith("item 'plan/scope' changed")
    assert approval["voided"].endswith("(found when merging)")
    voids = [e for e in team.run(a)["history"] if e["action"] == "void-approval"]
    assert [v["actor"] for v in voids] == ["opsctl"]
    assert "void-approval" in team.ok(a, "log", "rel-1")
    team.verified(a)
    code, _, err = team(a, "advance", "rel-1")
    assert code == 1
    assert "sign-off by product-director" in err


def _items_at(repo: Path, ref: str) -> dict[str, Any]:
    text = git(repo, "show", f"{ref}:{RUN}").stdout
    document = RunDocument.model_validate_json(text)
    finding = audit.verify(document)
    assert finding is None, f"{ref}: {finding}"
    return json.loads(text)["items"]


def test_rebase_and_cherry_pick_give_the_merge_state(team: Team) -> None:
    a, b = team.clone("a"), team.clone("b")
    team.ok(a, "done", "rel-1", "scope", now="10:00")
    team.commit(a, "scope")
    team.ok(b, "done", "rel-1", "risks", user="dev@example.com", now="10:30")
    team.commit(b, "risks")
    team.ok(b, "done", "rel-1", "ship/notes", user="dev@example.com", now="10:45")
    team.commit(b, "notes")
    git(a, "fetch", "-q", str(b), "main:theirs")
    fork = git(a, "merge-base", "main", "theirs").stdout.strip()

    git(a, "checkout", "-q", "-b", "merged", "main")
    merged_cleanly(git(a, "merge", "--no-edit", "theirs", check=False))
    merge_items = _items_at(a, "merged")
    assert sorted(merge_items) == ["plan/risks", "plan/scope", "ship/notes"]

    git(a, "checkout", "-q", "-b", "rebased", "theirs")
    rebase = git(a, "rebase", "main", check=False)
    assert rebase.returncode == 0, (rebase.stdout, rebase.stderr)
    assert _items_at(a, "rebased") == merge_items
    assert git(a, "rev-list", "--count", "main..rebased").stdout.strip() == "2"

    git(a, "checkout", "-q", "-b", "picked", "main")
    pick = git(a, "cherry-pick", f"{fork}..theirs", check=False)
    assert pick.returncode == 0, (pick.stdout, pick.stderr)
    assert _items_at(a, "picked") == merge_items

    # Each replayed commit was merged by the driver and recorded as such.
    text = git(a, "show", f"rebased:{RUN}").stdout
    assert [e["action"] for e in json.loads(text)["history"]].count("merge") == 2


def _hand_edit(team: Team, repo: Path) -> None:
    """Change the note of the run's last event in the file, as a text editor would."""
    document = team.run(repo)
    document["history"][-1]["detail"]["note"] = "rewritten by hand"
    (repo / RUN).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", "utf-8")


@pytest.mark.parametrize("broken", ["ours", "theirs"])
def test_a_hand_edited_history_is_not_merged_into_an_intact_one(team: Team, broken: str) -> None:
    a, b = team.clone("a"), team.clone("b")
    team.ok(a, "done", "rel-1", "scope", "--note", "from a", now="10:00")
    team.ok(b, "done", "rel-1", "risks", "--note", "from b", user="dev@example.com", now="10:30")
    _hand_edit(team, a if broken == "ours" else b)
    team.commit(a, "scope")
    team.commit(b, "risks")

    result = team.pull(a, b)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert f"CONFLICT (content): Merge conflict in {RUN}" in result.stdout
    assert (
        f"opsctl: merge-file: {RUN}: cannot merge: {broken}: rel-1: event #2 "
        "(done plan/" in result.stderr
    )
    assert "was edited: its hash does not match" in result.stderr
    text = (a / RUN).read_text(encoding="utf-8")
    assert "<<<<<<< ours" in text
    assert ">>>>>>> theirs" in text
    assert "rewritten by hand" in text
    # The edited clone is the one to repair: its own audit names the same event.
    git(a, "merge", "--abort")
    assert git(a, "status", "--porcelain").stdout == ""
    code, _, err = team(a if broken == "ours" else b, "audit", "verify", "rel-1")
    assert code == 1
    assert "rel-1: event #2 (done plan/" in err


def test_without_the_driver_git_conflicts_and_status_says_what_to_do(team: Team) -> None:
    b = team.clone("b")
    plain = team.clone("plain", setup=False)
    assert git(plain, "config", "merge.opsctl.driver", check=False).returncode == 1
    team.ok(b, "done", "rel-1", "risks", now="10:30")
    team.commit(b, "risks")
    team.ok(plain, "done", "rel-1", "scope", now="10:00")
    team.commit(plain, "scope")

    result = team.pull(plain, b)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert f"CONFLICT (content): Merge conflict in {RUN}" in result.stdout
    text = (plain / RUN).read_text(encoding="utf-8")
    assert "<<<<<<< " in text
    assert ">>>>>>> " in text

    code, out, err = team(plain, "status", "rel-1")
    assert (code, out) == (2, "")
    assert str(plain / RUN) in err
    assert "has git conflict markers; run 'opsctl git setup' and redo the merge" in err
    code, _, err = team(plain, "sync-check")
    assert code == 2
    assert "conflict markers" in err

    # The recovery docs/team.md describes.
    git(plain, "merge", "--abort")
    team.ok(plain, "git", "setup")
    merged_cleanly(team.pull(plain, b))
    assert sorted(team.run(plain)["items"]) == ["plan/risks", "plan/scope"]
    team.verified(plain)


def test_kpi_readings_recorded_on_both_sides_merge(team: Team) -> None:
    a, b = team.clone("a"), team.clone("b")
    team.ok(a, "metric", "baseline", "lead-time", "20", "--period", "2026-01", now="10:00")
    team.ok(a, "metric", "record", "lead-time", "18", "--period", "2026-02", now="10:05")
    team.commit(a, "february lead time")
    team.ok(b, "metric", "record", "lead-time", "16", "--period", "2026-03", now="10:10")
    team.commit(b, "march lead time")

    merged_cleanly(team.pull(a, b))
    metrics = json.loads((a / ".opsctl" / "metrics.json").read_text(encoding="utf-8"))
    lead = metrics["metrics"]["lead-time"]
    assert lead["baseline"]["value"] == 20
    assert {period: r["value"] for period, r in lead["readings"].items()} == {
        "2026-02": 18,
        "2026-03": 16,
    }
    assert len(metrics["history"]) == 3
    assert team.ok(a, "sync-check").startswith("ok:")


# sync-check for CI.


def test_sync_check_passes_on_a_clean_store_and_fails_on_a_hand_edit(team: Team) -> None:
    a = team.clone("a")
    team.ok(a, "done", "rel-1", "scope", now="10:00")
    out = team.ok(a, "sync-check")
    assert out == "ok: 1 runs intact, KPI and review records valid, frameworks valid\n"

    document = team.run(a)
    document["items"]["plan/risks"] = dict(document["items"]["plan/scope"])
    (a / RUN).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    code, out, err = team(a, "sync-check")
    assert (code, out) == (1, "")
    assert f"opsctl: sync-check: {a / RUN}: rel-1:" in err
    assert "item 'plan/risks' is 'done' but the history leads to 'open'" in err


def test_sync_check_names_a_missing_definition(team: Team) -> None:
    a = team.clone("a")
    for definition in (a / ".opsctl" / "definitions").glob("*.json"):
        definition.unlink()
    code, _, err = team(a, "sync-check")
    assert code == 2
    assert "does not exist" in err


def test_merge_file_leaves_a_conflict_for_input_it_cannot_merge(team: Team, tmp_path: Path) -> None:
    a = team.clone("a")
    base = tmp_path / "base.json"
    ours = tmp_path / "ours.json"
    theirs = tmp_path / "theirs.json"
    base.write_text('{\n  "kind": "run",\n  "schema": 2\n}\n', encoding="utf-8")
    ours.write_text('{\n  "kind": "run",\n  "schema": [\n}\n', encoding="utf-8")
    theirs.write_text('{\n  "kind": "run",\n  "schema": 3\n}\n', encoding="utf-8")
    code, _, err = team(a, "merge-file", str(base), str(ours), str(theirs), "x/rel-1.json")
    assert code == 1
    assert "opsctl: merge-file: x/rel-1.json: cannot merge:" in err
    assert "not valid JSON" in err
    text = ours.read_text(encoding="utf-8")
    assert "<<<<<<< ours" in text
    assert '"schema": [' in text
    assert '"schema": 3' in text
