"""`opsctl team remove` and `opsctl team edit` with a three-person roster."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from helpers import CliCaller, store_snapshot, two_phase_framework

ANA, BEN, CY = "ana@example.com", "ben@example.com", "cy@example.com"

CONFIG = f"""\
# Checkout squad. Keep this comment.
team: Checkout
roles: [security]
# Who is who.
people:
  - {{email: {ANA}, name: Ana, roles: [product-director]}}
  - {{email: {BEN}, name: Ben, roles: [product-manager, qa]}}   # the PM
  - {{email: {CY}, name: Cy, roles: [operations, product-director]}}
defaults:
  due_in_days: 14
"""


@pytest.fixture
def team(
    isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> CliCaller:
    """A workspace with three people and run ``r1`` (its plan phase needs a director's sign-off)."""
    caller = CliCaller(isolated, capsys, monkeypatch)
    caller.ok("init")
    (isolated / ".opsctl" / "config.yaml").write_text(CONFIG, encoding="utf-8")
    (isolated / ".opsctl" / "frameworks" / "signed.yaml").write_text(two_phase_framework())
    caller.ok("start", "signed", "--id", "r1", "--title", "R1", user=BEN)
    caller.ok("done", "r1", "scope", "-e", "https://wiki/scope", user=BEN)
    return caller


def people(team: CliCaller) -> list[dict[str, object]]:
    text = (team.root / ".opsctl" / "config.yaml").read_text(encoding="utf-8")
    return list(yaml.safe_load(text)["people"])


def refused(team: CliCaller, *args: str) -> str:
    """A command that must exit 2 with one line and leave every store file as it was."""
    before = store_snapshot(team.root)
    code, out, err = team(*args)
    assert code == 2, (args, out, err)
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert store_snapshot(team.root) == before
    return err


def test_remove_keeps_the_history_and_the_comments(team: CliCaller) -> None:
    out = team.ok("team", "remove", BEN)
    assert out.strip() == f"removed {BEN} (product-manager, qa) from the roster"
    assert [p["email"] for p in people(team)] == [ANA, CY]
    config = (team.root / ".opsctl" / "config.yaml").read_text(encoding="utf-8")
    assert "# Checkout squad. Keep this comment." in config
    assert "# Who is who." in config
    assert "former_people" not in config, "no keys, nothing to keep"
    assert "intact" in team.ok("audit", "verify")
    history = json.loads(team.ok("log", "r1", "--format", "json"))
    assert BEN in json.dumps(history), "their past actions stay as recorded"


def test_remove_one_of_two_holders_of_a_needed_role(team: CliCaller) -> None:
    team.ok("team", "remove", ANA)
    err = refused(team, "team", "remove", CY)
    assert f"{CY} is the last person holding product-director" in err
    assert "run 'r1' still needs" in err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["team", "remove", "zed@example.com"], "'zed@example.com' is not on the team roster"),
        (["team", "remove", BEN, "--reassign-to", BEN], "--reassign-to: ben@example.com is the"),
        (["team", "remove", BEN, "--reassign-to", "zed@example.com"], "--reassign-to: 'zed@"),
        (["team", "edit", "zed@example.com", "--name", "Zed"], "not on the team roster"),
        (["team", "edit", BEN, "--role", "wizard"], "unknown role 'wizard'"),
        (["team", "edit", BEN], "--role: give --role"),
    ],
)
def test_bad_input_is_refused(team: CliCaller, args: list[str], needle: str) -> None:
    assert needle in refused(team, *args)


def test_a_valid_reassign_to_is_accepted_when_nothing_is_assigned(team: CliCaller) -> None:
    out = team.ok("team", "remove", BEN, "--reassign-to", ANA)
    assert "open items" not in out
    assert [p["email"] for p in people(team)] == [ANA, CY]


def test_removing_someone_with_open_assignments_needs_reassign_to(team: CliCaller) -> None:
    team.ok("assign", "r1", "risks", BEN, "--due", "+3d", user=BEN)
    team.ok("assign", "r1", "ship/deploy", BEN, "--any-role", user=BEN)
    err = refused(team, "team", "remove", BEN)
    assert "2 open assigned items (r1:plan/risks, r1:ship/deploy)" in err
    assert "--reassign-to EMAIL" in err


def test_items_of_a_phase_already_passed_are_not_open_work(team: CliCaller) -> None:
    """Assigned in 'plan', then the run moved on: removing the person neither refuses nor
    half-writes; the old assignment stays in the history as it was."""
    team.ok("assign", "r1", "risks", BEN, user=BEN)
    team.ok("assign", "r1", "ship/deploy", BEN, "--any-role", user=BEN)
    team.ok("done", "r1", "risks", "-e", "https://wiki/risks", user=BEN)
    team.ok("approve", "r1", user=ANA)
    team.ok("advance", "r1", user=BEN)
    team.ok("reopen", "r1", "plan/risks", user=BEN)
    out = team.ok("team", "remove", BEN, "--reassign-to", CY, user=ANA)
    assert "1 open item now assigned to" in out
    status = json.loads(team.ok("status", "r1", "--format", "json"))
    items = {i["id"]: i for phase in status["phases"] for i in phase["items"]}
    assert (items["deploy"]["assignee"], items["risks"]["assignee"]) == (CY, BEN)
    assert "intact" in team.ok("audit", "verify")


def test_reassign_to_hands_open_items_over_in_the_history(team: CliCaller) -> None:
    team.ok("assign", "r1", "risks", BEN, "--due", "+3d", user=BEN)
    team.ok("assign", "r1", "scope", BEN, user=BEN)
    out = team.ok("team", "remove", BEN, "--reassign-to", CY, user=ANA)
    assert "1 open item" in out and CY in out
    status = json.loads(team.ok("status", "r1", "--format", "json"))
    items = {i["id"]: i for phase in status["phases"] for i in phase["items"]}
    assert items["risks"]["assignee"] == CY
    assert items["risks"]["any_role"] is True, "Cy does not hold product-manager"
    assert items["scope"]["assignee"] == BEN, "a done item keeps who did it"
    events = json.loads(team.ok("log", "r1", "--format", "json"))["events"]
    handed = [e for e in events if e["action"] == "assign" and e["detail"].get("was") == BEN]
    assert [(e["actor"], e["detail"]["assignee"]) for e in handed] == [(ANA, CY)]
    assert "intact" in team.ok("audit", "verify")
    assert [p["email"] for p in people(team)] == [ANA, CY]


def test_edit_replaces_roles_and_sets_the_name(team: CliCaller) -> None:
    out = team.ok(
        "team", "edit", "Ben@Example.com", "--role", "security", "-r", "qa", "--name", "B"
    )
    assert out.strip() == f"{BEN} (B): security, qa"
    assert people(team)[1] == {"email": BEN, "name": "B", "roles": ["security", "qa"]}
    team.ok("team", "edit", ANA, "--name", "Ana Director")
    assert people(team)[0] == {"email": ANA, "name": "Ana Director", "roles": ["product-director"]}
    config = (team.root / ".opsctl" / "config.yaml").read_text(encoding="utf-8")
    assert "# the PM" in config


def test_edit_may_not_take_away_the_last_needed_role(team: CliCaller) -> None:
    team.ok("team", "edit", ANA, "--role", "qa")
    err = refused(team, "team", "edit", CY, "--role", "operations")
    assert "last person holding product-director" in err


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")
def test_removed_signer_keeps_verifying_and_signs_nothing_new(
    isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_signed_signoffs import BOB, LEE, Signed

    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    ws = Signed(isolated, capsys, monkeypatch)
    ws.setup()
    ws.ok("approve", "r1", "--key", str(ws.lee), "-m", "go", user=LEE)
    ws.ok("team", "edit", LEE, "--name", "Lee")
    out = ws.ok("team", "remove", LEE)
    assert "kept 1 SSH key under former_people" in out
    config = yaml.safe_load(ws.config.read_text(encoding="utf-8"))
    assert [(p["email"], p["name"]) for p in config["former_people"]] == [(LEE, "Lee")]
    assert LEE not in [p["email"] for p in config["people"]]
    assert "intact" in ws.ok("audit", "verify"), "Lee's signed sign-off still verifies"
    ws.ok("reopen", "r1", "scope", user=BOB)
    ws.ok("done", "r1", "scope", "-e", "https://wiki/scope", user=BOB)
    code, _, err = ws("approve", "r1", "--key", str(ws.lee), user=LEE)
    assert code == 1, err
    ws.ok("team", "add", LEE, "--role", "product-director")
    config = yaml.safe_load(ws.config.read_text(encoding="utf-8"))
    assert "former_people" not in config
    back = next(p for p in config["people"] if p["email"] == LEE)
    assert len(back["keys"]) == 1, "a member who comes back gets their kept key back"
    assert back["name"] == "Lee", "and their name"
    assert "intact" in ws.ok("audit", "verify")
