"""Sign-offs with real files: who may approve, revoke, separation of duties, owners."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from helpers import CliCaller, two_phase_framework
from opsctl.definitions.model import Framework
from opsctl.engine.approvals import phase_digest
from opsctl.store.documents import RunDocument

FRAMEWORK = two_phase_framework(
    plan_gate={"approvals": ["product-director"], "separation_of_duties": True},
    ship_gate={"approvals": ["operations"]},
    ship_items=[
        {
            "id": "deploy",
            "title": "Deployed",
            "help": "Deploy it.",
            "owner": "operations",
            "enforce_owner": True,
        },
        {
            "id": "notes",
            "title": "Release notes",
            "help": "Write them.",
            "owner": "development",
            "enforce_owner": False,
        },
    ],
)

ROSTER = {
    "dir@example.com": "product-director",
    "dir2@example.com": "product-director",
    "ops@example.com": "operations",
    "pm@example.com": "product-manager",
    "dev@example.com": "development",
}


class Opsctl(CliCaller):
    """Calls opsctl in-process as one person or another, against run rel-1."""

    def __init__(
        self, root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        super().__init__(root, capsys, monkeypatch)
        self.run_file = root / ".opsctl" / "runs" / "rel-1.json"

    def refused(self, code: int, *args: str, user: str = "pm@example.com") -> str:
        """Run a command that must fail with ``code`` and leave the run file as it was."""
        before = self.run_file.read_bytes()
        got, out, err = self(*args, user=user)
        assert got == code, (args, out, err)
        assert self.run_file.read_bytes() == before, f"{args} changed the run file"
        return err

    def finish_plan(self) -> None:
        """Complete the plan phase's items (as the product manager), so it can be signed."""
        self.ok("done", "rel-1", "scope")
        self.ok("done", "rel-1", "risks")

    def status(self) -> dict[str, object]:
        return json.loads(self.ok("status", "rel-1", "--format", "json"))

    def events(self) -> list[dict[str, object]]:
        return json.loads(self.ok("log", "rel-1", "--format", "json"))["events"]


@pytest.fixture
def ops(
    isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Opsctl:
    runner = Opsctl(isolated, capsys, monkeypatch)
    runner.ok("init")
    (isolated / ".opsctl" / "frameworks" / "signed.yaml").write_text(FRAMEWORK, encoding="utf-8")
    for email, role in ROSTER.items():
        runner.ok("team", "add", email, "--role", role)
    runner.ok("start", "signed", "--title", "Release 1", "--id", "rel-1")
    return runner


def gate(status: dict[str, object], phase: str) -> dict[str, object]:
    [found] = [p for p in status["phases"] if p["id"] == phase]  # type: ignore[attr-defined]
    return found["gate"]


def test_a_non_holder_is_refused_naming_the_role_and_its_holders(ops: Opsctl) -> None:
    ops.ok("done", "rel-1", "scope")
    err = ops.refused(1, "approve", "rel-1", user="pm@example.com")
    assert "pm@example.com may not sign off phase 'plan'" in err
    assert "product-director" in err
    assert "dir@example.com" in err
    assert "dir2@example.com" in err
    err = ops.refused(1, "approve", "rel-1", user="stranger@example.com")
    assert "stranger@example.com may not sign off" in err


def test_nobody_holding_the_role_is_said_so(ops: Opsctl) -> None:
    config = ops.root / ".opsctl" / "config.yaml"
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["people"] = [p for p in data["people"] if "product-director" not in p["roles"]]
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    err = ops.refused(1, "approve", "rel-1", user="dir@example.com")
    assert "nobody yet" in err


def test_approving_a_phase_that_is_not_current_is_a_usage_error(ops: Opsctl) -> None:
    err = ops.refused(2, "approve", "rel-1", "--phase", "ship", user="ops@example.com")
    assert "phase 'ship'" in err
    assert "'plan'" in err
    err = ops.refused(2, "approve", "rel-1", "--phase", "launch", user="dir@example.com")
    assert "unknown phase 'launch'" in err
    assert "plan, ship" in err


def test_approving_with_items_open_is_refused_listing_them(ops: Opsctl) -> None:
    ops.ok("done", "rel-1", "scope")
    err = ops.refused(1, "approve", "rel-1", user="dir@example.com")
    assert "phase 'plan' cannot be signed off while required items are incomplete" in err
    assert "plan/risks (open)" in err
    assert "plan/scope" not in err


def test_approving_twice_says_already_signed_and_records_nothing(ops: Opsctl) -> None:
    ops.finish_plan()
    ops.ok("approve", "rel-1", "--comment", "scope looks right", user="dir@example.com")
    before = ops.run_file.read_bytes()
    out = ops.ok("approve", "rel-1", user="dir@example.com")
    assert "already signed off by dir@example.com (product-director) on 20" in out
    assert ops.run_file.read_bytes() == before


def test_a_second_holder_of_a_signed_role_is_told_it_is_approved(ops: Opsctl) -> None:
    ops.finish_plan()
    ops.ok("approve", "rel-1", user="dir@example.com")
    err = ops.refused(2, "approve", "rel-1", user="dir2@example.com")
    assert "already approved by product-director" in err


def test_an_approval_records_who_when_why_and_what(ops: Opsctl) -> None:
    ops.finish_plan()
    out = ops.ok("approve", "rel-1", "-m", "go", user="dir@example.com")
    assert "phase 'plan' approved as product-director" in out
    [approval] = ops.status()["approvals"]
    run = RunDocument.model_validate_json(ops.run_file.read_bytes())
    framework = Framework.model_validate(yaml.safe_load(FRAMEWORK))
    assert approval["phase"] == "plan"
    assert approval["role"] == "product-director"
    assert approval["by"] == "dir@example.com"
    assert approval["comment"] == "go"
    assert approval["at"]
    assert approval["digest"] == phase_digest(run, framework.phases[0])
    assert "voided" not in approval
    assert gate(ops.status(), "plan")["approvals_missing"] == []


def test_revoke_voids_the_own_approval_with_its_reason(ops: Opsctl) -> None:
    ops.finish_plan()
    ops.ok("approve", "rel-1", "-m", "fine", user="dir2@example.com")
    err = ops.refused(
        2, "revoke", "rel-1", "--phase", "plan", "--reason", "x", user="dir@example.com"
    )
    assert "no sign-off of phase 'plan' by dir@example.com to revoke" in err
    err = ops.refused(2, "revoke", "rel-1", "--phase", "plan", user="dir2@example.com")
    assert "--reason: revoke needs a reason" in err
    err = ops.refused(
        2, "revoke", "rel-1", "--phase", "plan", "--reason", "  ", user="dir2@example.com"
    )
    assert "--reason: revoke needs a reason" in err
    err = ops.refused(
        2, "revoke", "rel-1", "--phase", "ship", "--reason", "x", user="dir2@example.com"
    )
    assert "no sign-off of phase 'ship'" in err

    out = ops.ok(
        "revoke", "rel-1", "--phase", "plan", "--reason", "changed mind", user="dir2@example.com"
    )
    assert "sign-off of phase 'plan' as product-director revoked" in out

    status = ops.status()
    [approval] = status["approvals"]
    assert approval["voided"] == "revoked by dir2@example.com: changed mind"
    assert gate(status, "plan")["approvals_missing"] == ["product-director"]
    text = ops.ok("status", "rel-1")
    assert "voided (revoked by dir2@example.com: changed mind)" in text
    assert "sign-off by product-director" in text.partition("gate needs:")[2]
    assert "void-approval" in ops.ok("log", "rel-1")
    last = ops.events()[-1]
    assert last["action"] == "void-approval"
    assert last["actor"] == "dir2@example.com"
    assert last["detail"]["reason"] == "revoked by dir2@example.com: changed mind"

    ops.refused(2, "revoke", "rel-1", "--phase", "plan", "--reason", "x", user="dir2@example.com")
    ops.ok("approve", "rel-1", user="dir2@example.com")
    assert gate(ops.status(), "plan")["approvals_missing"] == []


def test_separation_of_duties_refuses_the_only_completer(ops: Opsctl) -> None:
    ops.ok("done", "rel-1", "scope", user="dir@example.com")
    ops.ok("done", "rel-1", "risks", user="dir@example.com")
    err = ops.refused(1, "approve", "rel-1", user="dir@example.com")
    assert "separation of duties" in err
    assert "dir@example.com completed every item of phase 'plan'" in err
    ops.ok("approve", "rel-1", user="dir2@example.com")


def test_separation_of_duties_allows_when_someone_else_did_an_item(ops: Opsctl) -> None:
    ops.ok("done", "rel-1", "scope", user="dir@example.com")
    ops.ok("done", "rel-1", "risks", user="pm@example.com")
    ops.ok("approve", "rel-1", user="dir@example.com")


def test_separation_of_duties_is_per_gate(ops: Opsctl) -> None:
    ops.ok("done", "rel-1", "scope")
    ops.ok("done", "rel-1", "risks")
    ops.ok("approve", "rel-1", user="dir@example.com")
    ops.ok("advance", "rel-1")
    ops.ok("done", "rel-1", "deploy", user="ops@example.com")
    ops.ok("done", "rel-1", "notes", user="ops@example.com")
    ops.ok("approve", "rel-1", user="ops@example.com")


def test_enforce_owner_refuses_a_non_owner_and_allows_the_owner(ops: Opsctl) -> None:
    err = ops.refused(1, "done", "rel-1", "ship/deploy", user="pm@example.com")
    assert "operations may change 'deploy'" in err
    assert "ops@example.com" in err
    assert "pm@example.com holds product-manager" in err
    ops.refused(1, "done", "rel-1", "deploy", user="nobody@example.com")
    ops.ok("done", "rel-1", "ship/deploy", user="ops@example.com")
    ops.refused(1, "reopen", "rel-1", "ship/deploy", user="pm@example.com")
    # Not enforced by default: anyone may tick the other items.
    ops.ok("done", "rel-1", "plan/scope", user="dev@example.com")


def test_workspace_default_enforces_owners(ops: Opsctl) -> None:
    config = ops.root / ".opsctl" / "config.yaml"
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["defaults"] = {"enforce_owner": True}
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    err = ops.refused(1, "done", "rel-1", "plan/scope", user="dir@example.com")
    assert "product-manager may change 'scope'" in err
    assert "pm@example.com" in err
    ops.refused(1, "skip", "rel-1", "plan/risks", "-r", "n/a", user="dev@example.com")
    ops.ok("done", "rel-1", "plan/scope", user="pm@example.com")
    # An item saying enforce_owner: false is open to anyone despite the default.
    ops.ok("done", "rel-1", "ship/notes", user="pm@example.com")


def test_reopen_after_approval_voids_it(ops: Opsctl) -> None:
    ops.ok("done", "rel-1", "scope")
    ops.ok("done", "rel-1", "risks")
    ops.ok("approve", "rel-1", user="dir@example.com")
    assert gate(ops.status(), "plan")["approvals_missing"] == []

    ops.ok("reopen", "rel-1", "plan/scope")
    status = ops.status()
    assert gate(status, "plan")["approvals_missing"] == ["product-director"]
    [approval] = status["approvals"]
    assert approval["voided"] == "item 'plan/scope' changed after approval"
    events = ops.events()
    assert [e["action"] for e in events[-2:]] == ["reopen", "void-approval"]
    assert events[-1]["actor"] == "pm@example.com"
    assert events[-1]["detail"]["approver"] == "dir@example.com"
    assert "void-approval" in ops.ok("log", "rel-1")
    assert "voided (item 'plan/scope' changed after approval)" in ops.ok("status", "rel-1")

    code, _, err = ops("advance", "rel-1")
    assert code == 1
    assert "sign-off by product-director" in err
    ops.ok("done", "rel-1", "scope")
    ops.ok("approve", "rel-1", user="dir@example.com")
    ops.ok("advance", "rel-1")
    assert ops.ok("audit", "verify", "rel-1").startswith("rel-1: intact")


def test_changing_an_item_after_approval_voids_it(ops: Opsctl) -> None:
    ops.finish_plan()
    ops.ok("approve", "rel-1", user="dir@example.com")
    out = ops.ok("block", "rel-1", "risks", "--reason", "waiting for legal")
    assert "rel-1: plan/risks is now blocked" in out
    assert (
        "sign-off of phase 'plan' by dir@example.com (product-director) voided: "
        "item 'plan/risks' changed after approval; "
        "may re-approve: dir@example.com, dir2@example.com"
    ) in out
    status = ops.status()
    assert gate(status, "plan")["approvals_missing"] == ["product-director"]
    assert status["approvals"][0]["voided"] == "item 'plan/risks' changed after approval"


def test_status_names_who_signed_whose_was_voided_and_who_must_sign(ops: Opsctl) -> None:
    ops.ok("team", "add", "dir@example.com", "--role", "product-director", "--name", "Dana")
    ops.finish_plan()
    text = ops.ok("status", "rel-1")
    assert (
        "waiting for sign-off by product-director: Dana <dir@example.com>, dir2@example.com" in text
    )
    ops.ok("approve", "rel-1", user="dir@example.com")
    ops.ok("reopen", "rel-1", "plan/scope")
    [voided, waiting] = gate_signoffs(ops.status(), "plan")
    assert voided["state"] == "voided"
    assert voided["by"] == "Dana <dir@example.com>"
    assert voided["reason"] == "item 'plan/scope' changed after approval"
    assert waiting["state"] == "waiting"
    assert waiting["may_sign"] == ["Dana <dir@example.com>", "dir2@example.com"]
    ops.ok("done", "rel-1", "scope")
    ops.ok("approve", "rel-1", user="dir2@example.com")
    ops.ok("advance", "rel-1")
    text = ops.ok("status", "rel-1")
    passed = text.partition("1. Plan")[2].partition("2. Ship")[0]
    assert "voided (item 'plan/scope' changed after approval)" in passed
    assert "signed off product-director by dir2@example.com" in passed
    assert "waiting for sign-off by operations: ops@example.com" in text


def gate_signoffs(status: dict[str, object], phase: str) -> list[dict[str, object]]:
    [found] = [p for p in status["phases"] if p["id"] == phase]  # type: ignore[attr-defined]
    return found["signoffs"]
